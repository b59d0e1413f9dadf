"""The user guide's pictures (docs/guide/*.md), taken from the demo in a real browser.

Signs in as each role, opens the pages the guide shows and checks what each one says. The pictures
in docs/img/ are written again only with UPDATE_GUIDE_SCREENSHOTS=1 (1366 px wide, the window
only, reduced to 256 colours), so a normal run leaves the tree clean; every run also takes the same
pages at 390 and 1366 px, the whole page, into var/screenshots/guide/ for a person to look at.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from kpis.periods import Period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent.parent
IMG = ROOT / "docs" / "img"
SHOTS = ROOT / "var" / "screenshots" / "guide"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DESKTOP, PHONE = 1366, 390
MAX_TOTAL_BYTES = 1_500_000


@pytest.fixture
def demo(db):
    today = timezone.localdate()
    call_command("seed_demo", today=today, accounts=600, verbosity=0)
    return Period.containing(today)


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _shots(current: Period):
    """Per role: (picture name, address, texts the page must show)."""
    from accounts.models import Team, User
    from reviews.models import ReviewCycle

    camila = User.objects.get(email="csm@example.com")
    atlas = Team.objects.get(name="Atlas")
    closed = current.previous()
    cycle = ReviewCycle.objects.get(period=str(closed))
    return {
        "csm@example.com": [
            ("guide-csm-home", "/", ["Least likely to still pay at the end of", "likely to still pay on"]),
            ("guide-csm-at-risk", f"/scorecard/{camila.pk}/at-risk/", ["Accounts at risk", "least likely"]),
            (
                "guide-csm-scorecard",
                f"/scorecard/?period={closed}",
                ["Scorecard of Camila Souza", "Account retention"],
            ),
        ],
        "manager@example.com": [
            ("guide-manager-home", "/", ["at a glance", "accounts least likely to still pay"]),
            ("guide-manager-team", f"/team/{atlas.pk}/?period={closed}", ["Camila Souza", "Wei Zhang"]),
            (
                "guide-manager-at-risk",
                f"/scorecard/{camila.pk}/at-risk/?period={closed}",
                ["Accounts at risk: Camila Souza", "still pa"],
            ),
        ],
        "hr@example.com": [
            ("guide-hr-cycles", "/cycles/", ["Review cycles"]),
            ("guide-hr-calibration", f"/cycles/{cycle.pk}/calibration/", ["Calibration", "Camila Souza"]),
        ],
        "admin@example.com": [
            ("guide-cs-ops-imports", "/imports/", ["Import"]),
            ("guide-cs-ops-sources", "/imports/sources/", ["ource"]),
        ],
    }


def _save_small(png: bytes, path: Path) -> None:
    """A screenshot reduced to 256 colours and compressed: a page of text stays sharp."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def test_the_guides_pictures_show_each_roles_pages(live_server, demo):
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: `make test` installs it with apt-get."
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    update = os.environ.get("UPDATE_GUIDE_SCREENSHOTS") == "1"
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    missing = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for email, shots in _shots(demo).items():
            context = browser.new_context(viewport={"width": DESKTOP, "height": 900})
            page = context.new_page()
            _login(page, base, email)
            for name, url, texts in shots:
                for width in (PHONE, DESKTOP):
                    page.set_viewport_size({"width": width, "height": 844 if width == PHONE else 900})
                    response = page.goto(base + url)
                    assert response.status == 200, (name, url, response.status)
                    page.wait_for_load_state("load")
                    body = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
                    missing += [f"{name}: {t!r}" for t in texts if t.lower() not in body.lower()]
                    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
                    if update and width == DESKTOP:
                        _save_small(page.screenshot(full_page=False), IMG / f"{name}.png")
            context.close()
        browser.close()
    assert not missing, "\n".join(missing)
    pictures = sorted(IMG.glob("guide-*.png"))
    expected = {f"{name}.png" for shots in _shots(demo).values() for name, _, _ in shots}
    assert {p.name for p in pictures} == expected
    assert sum(p.stat().st_size for p in pictures) < MAX_TOTAL_BYTES
    guides = "".join(
        (ROOT / "docs" / "guide" / f).read_text() for f in ("csm.md", "manager.md", "hr.md", "cs-ops.md")
    )
    assert all(f"../img/{name}" in guides for name in expected)
