"""Content-Security-Policy and Permissions-Policy on every answer of every URL, for every role, and
templates that need no exception to the policy: no inline script, no event-handler attribute, no
style attribute (tests/browser/test_csp.py walks the pages in Chromium with the policy enforced)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.test_permission_matrix import ROLES, TABLE, objects  # noqa: F401 -- objects is a fixture

ROOT = Path(__file__).resolve().parent.parent
# Templates that never reach a browser under the site's policy: emails (mail clients) and the PDFs
# (WeasyPrint, on the server).
NOT_PAGES = (
    "templates/notifications/email/",
    "templates/reviews/pdf.html",
    "templates/reviews/cycle_summary_pdf.html",
)


def directives(header: str) -> dict[str, set[str]]:
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = set(values)
    return out


def assert_strict(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy")
    assert csp, f"{where}: no Content-Security-Policy"
    d = directives(csp)
    assert d["default-src"] == {"'self'"}, where
    assert d["script-src"] == {"'self'"}, where  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert d["style-src"] == {"'self'"}, where
    assert d["object-src"] == {"'none'"} and d["frame-ancestors"] == {"'none'"}, where
    policy = response.headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy, f"{where}: {feature} not off in {policy!r}"


@pytest.mark.parametrize("role", ROLES)
def test_every_answer_of_every_url_carries_the_policies(client, org, objects, role):  # noqa: F811
    users = {
        "csm": org.csm_a,
        "csm_other": org.csm_b,
        "manager": org.manager_a,
        "manager_other": org.manager_b,
        "hr": org.hr,
        "admin": org.admin,
    }
    if role != "anon":
        client.force_login(users[role])
    checked = 0
    for name, (kwargs, query, _expected) in sorted(TABLE.items()):
        url = reverse(name, kwargs=kwargs(objects) if callable(kwargs) else kwargs) + query
        assert_strict(client.get(url), f"{role} {name} {url}")  # 200, 302, 403, 404, 405 alike
        checked += 1
    assert checked == len(TABLE) > 60
    assert_strict(client.get("/no-such-page/"), "404 page")


def test_the_api_docs_and_the_admin_keep_the_strict_policy(client, org):
    client.force_login(org.admin)
    for url in (reverse("api-docs"), reverse("api-docs") + "?script=", "/admin/", "/admin/accounts/user/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response, url)
    page = client.get(reverse("api-docs")).content.decode()
    # Swagger UI's start-up script comes from its own URL, its styles from files.
    assert re.search(r"<script>\s*\S", page) is None and "<style" not in page
    assert f'<script src="{reverse("api-docs")}?script="></script>' in page


def page_templates():
    for path in sorted((ROOT / "templates").rglob("*.html")):
        rel = path.relative_to(ROOT).as_posix()
        if not rel.startswith(NOT_PAGES):
            yield rel, path.read_text()


def test_no_template_needs_an_exception_to_the_policy():
    found = []
    for rel, text in page_templates():
        for m in re.finditer(r"<script\b(?![^>]*\bsrc=)[^>]*>", text):
            found.append(f"{rel}: inline script {m.group(0)}")
        for m in re.finditer(r"<[a-zA-Z][^>]*\s(on[a-z]+)\s*=", text):
            found.append(f"{rel}: event-handler attribute {m.group(1)}")
        for m in re.finditer(r"<[a-zA-Z][^>]*\sstyle\s*=", text):
            found.append(f"{rel}: style attribute {m.group(0)[:60]}")
        if "<style" in text:
            found.append(f"{rel}: <style> element")
    assert not found, "\n".join(found)
    assert len(list(page_templates())) > 40


def test_charts_are_images_so_their_own_styles_stay_inside_them():
    from kpis import charts

    html = charts.trend(["2026-07", "2026-08"], [1, 2], title="NRR")
    assert html.startswith('<img class="chart-img" src="data:image/svg+xml;base64,')
    assert 'alt="NRR. July 2026: 1.00; August 2026: 2.00"' in html
    assert "<style" not in html
