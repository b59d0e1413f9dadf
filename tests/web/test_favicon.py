"""The site has an icon: every page links it, and /favicon.ico answers with it, not 404."""

from pathlib import Path

from django.urls import reverse

STATIC = Path(__file__).resolve().parent.parent.parent / "static"


def test_favicon_ico_answers_with_the_icon_to_anyone(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert body == (STATIC / "favicon.ico").read_bytes()


def test_every_page_links_the_icon(client, db):
    page = client.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert '<link rel="icon" href="/static/favicon.ico"' in page
    svg = (STATIC / "favicon.svg").read_text()
    assert svg.startswith("<svg") and 'viewBox="0 0 32 32"' in svg
    missing = client.get("/no-such-page/").content.decode()
    assert 'rel="icon"' in missing
