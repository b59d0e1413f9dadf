"""Review pages, PDF, zip export and API: permissions for every role, conflicts, the PDF's content."""

import datetime
import io
import re
import shutil
import subprocess
import zipfile

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import tokens
from core import jobs
from kpis import services as kpi_services
from kpis.periods import Period
from kpis.registry import REGISTRY
from notifications.models import PersonSettings
from reviews.cycles import selectors as cycle_selectors
from reviews.cycles import services as cycle_services
from reviews.models import CycleExport, Review, ReviewCycle
from reviews.output import exports
from reviews.output.pdf import review_pdf
from reviews.writing import disputes as review_disputes
from reviews.writing import selectors, services
from tests import factories
from tests.demo_snapshot import built_once
from tests.kpis import world

Q3 = "2026-Q3"
D = datetime.date


@pytest.fixture
def w(db, settings, tmp_path):
    settings.TIME_ZONE = "America/New_York"
    settings.MEDIA_ROOT = str(tmp_path)
    # Built by the first test, copied back for the others (tests/demo_snapshot.py).
    return built_once(("tests/reviews/test_review_pages.py", "w"), _build_w)


def _build_w():
    w = world.build()
    w["manager_a"], w["manager_b"] = w["team_a"].manager, w["team_b"].manager
    w["hr"] = factories.HrFactory(email="hr@example.com")
    w["admin"] = factories.AdminFactory(email="admin@example.com")
    kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=D(2026, 11, 1))
    w["cycle"] = cycle_services.cycle_create(
        user=w["hr"], period=Q3, self_review_due=D(2026, 10, 10), manager_review_due=D(2026, 10, 20)
    )
    cycle_services.cycle_open(user=w["hr"], cycle=w["cycle"])
    r = Review.objects.get(cycle=w["cycle"], csm=w["bob"])
    r = services.review_send_to_csm(user=w["manager_a"], review=r, version=r.version)
    w["review"] = r
    return w


def submitted(w):
    r = w["review"]
    r = services.review_save_self(
        user=w["bob"], review=r, version=r.version, sections={"outcomes": "Kept X3 and X5."}
    )
    r = services.review_submit_self(user=w["bob"], review=r, version=r.version)
    r = services.review_save_manager(
        user=w["manager_a"],
        review=r,
        version=r.version,
        final_rating="3",
        final_rating_reason="Solid quarter.",
        sections={"outcomes": "Agreed."},
    )
    return services.review_submit(user=w["manager_a"], review=r, version=r.version)


PAGE_ACCESS = {
    "bob": 200,
    "ann": 404,
    "cat": 404,
    "manager_a": 200,
    "manager_b": 404,
    "hr": 200,
    "admin": 200,
}


@pytest.mark.parametrize("who", sorted(PAGE_ACCESS))
def test_review_page_permissions(client, w, who):
    client.force_login(w[who])
    assert client.get(reverse("review-detail", args=[w["review"].pk])).status_code == PAGE_ACCESS[who]


@pytest.mark.parametrize(
    ("who", "before", "after"),
    [
        ("bob", 404, 200),
        ("manager_a", 200, 200),
        ("hr", 200, 200),
        ("ann", 404, 404),
        ("manager_b", 404, 404),
    ],
)
def test_pdf_and_history_permissions(client, w, who, before, after):
    client.force_login(w[who])
    assert client.get(reverse("review-pdf", args=[w["review"].pk])).status_code == before
    assert client.get(reverse("review-history", args=[w["review"].pk])).status_code == before
    submitted(w)
    assert client.get(reverse("review-pdf", args=[w["review"].pk])).status_code == after


@pytest.mark.parametrize(("who", "expected"), [("hr", 200), ("admin", 200), ("manager_a", 404), ("bob", 404)])
def test_cycle_pages_are_hrs(client, w, who, expected):
    client.force_login(w[who])
    assert client.get(reverse("cycle-list")).status_code == expected
    assert client.get(reverse("cycle-detail", args=[w["cycle"].pk])).status_code == expected


def test_the_csm_does_not_see_the_managers_draft_on_the_page(client, w):
    r = services.review_save_manager(
        user=w["manager_a"],
        review=w["review"],
        version=w["review"].version,
        sections={"outcomes": "SECRET DRAFT"},
    )
    client.force_login(w["bob"])
    html = client.get(reverse("review-detail", args=[r.pk])).content.decode()
    assert "SECRET DRAFT" not in html and "Hidden until the manager submits the review." in html


def test_the_frozen_table_follows_an_edit_of_the_template_weights(client, w):
    client.force_login(w["manager_a"])
    url = reverse("review-detail", args=[w["review"].pk])
    template = w["cycle"].template
    shown = [
        m["metric"]
        for m in w["review"].snapshot["metrics"]
        if m["metric"] in REGISTRY and REGISTRY[m["metric"]].group != "context"
    ]
    marked = sum(1 for key in shown if key in template.kpi_weights)
    assert marked > 0
    assert client.get(url).content.decode().count("<td>✔") == marked  # and now cached
    unweighted = next(key for key in shown if key not in template.kpi_weights)
    template.kpi_weights = {**template.kpi_weights, unweighted: next(iter(template.kpi_weights.values()))}
    template.save()
    assert client.get(url).content.decode().count("<td>✔") == marked + 1


def test_autosave_and_conflict_on_the_page(client, w):
    client.force_login(w["bob"])
    url = reverse("review-save", args=[w["review"].pk])
    v = w["review"].version
    ok = client.post(url, {"version": v, "section_outcomes": "draft one"}, HTTP_ACCEPT="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == v + 1
    stale = client.post(
        url, {"version": v, "section_outcomes": "from another tab"}, HTTP_ACCEPT="application/json"
    )
    assert stale.status_code == 409 and stale.json()["conflict"] is True
    page = client.post(url, {"version": v, "section_outcomes": "typed in the other tab"})
    assert page.status_code == 409 and "typed in the other tab" in page.content.decode()
    assert Review.objects.get(pk=w["review"].pk).self_assessment == {"outcomes": "draft one"}


def test_transition_buttons_refuse_illegal_steps_with_a_message(client, w):
    client.force_login(w["manager_a"])
    response = client.post(
        reverse("review-transition", args=[w["review"].pk, "submit"]),
        {"version": w["review"].version},
        follow=True,
    )
    assert "The CSM submits their self-review first." in response.content.decode()


def test_pdf_contains_the_name_every_metric_value_and_the_hash(w, tmp_path):
    r = submitted(w)
    review_disputes.dispute_raise(user=w["bob"], review=r, metric="nrr", comment="Billing error on X4")
    pdf = review_pdf(Review.objects.get(pk=r.pk), viewer=w["hr"])
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert w["bob"].name in flat
    for m in r.snapshot["metrics"]:
        if (
            m["metric"] in ("nrr", "logo_retention", "first_response_hours", "csat", "escalation_rate")
            and m["value"]
        ):
            assert m["value"] in flat, m["metric"]
    assert "94.44%" in flat and "2.00 h" in flat
    # The hash may wrap across lines in the extracted text: compare without any white space.
    assert selectors.content_hash(Review.objects.get(pk=r.pk)) in "".join(text.split())
    assert "Billing error on X4" in flat and "Methodology" in flat
    # Benchmarks and definitions are cited as a reader would, never by a file's name.
    assert "SaaStr workshop, 2024" in flat and "The metric definitions, as the engine computes them" in flat
    assert ".md" not in flat and "seed" not in flat.lower()
    assert not re.search(r"\b\d{3}_[0-9a-f]{16}\b", "".join(text.split()))
    # Rendered as PNG, the first page is a readable page, not a blank one.
    assert shutil.which("pdftoppm"), "poppler-utils is needed: `make test` installs it with apt-get."
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True
    )
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    inked = sum(image.histogram()[:200])
    assert 0.02 * image.width * image.height < inked < 0.5 * image.width * image.height


def test_the_hash_changes_with_the_content_and_not_otherwise(w):
    r = submitted(w)
    first = selectors.content_hash(r)
    assert selectors.content_hash(Review.objects.get(pk=r.pk)) == first
    review_disputes.comment_add(user=w["bob"], review=r, body="Thanks")
    assert selectors.content_hash(Review.objects.get(pk=r.pk)) != first


def test_cycle_zip_export(client, w, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "send", lambda name, args: sent.append((name, args)) or "task-id")
    client.force_login(w["hr"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cycle-action", args=[w["cycle"].pk, "export"]))
    export = CycleExport.objects.get()
    assert sent == [("reviews.export_cycle", [export.pk, 1])]  # the export and its attempt
    # HR reads Spanish when the zip is made: the summary in it is named in Spanish, as it is written.
    settings_es = PersonSettings.objects.create(person=w["hr"], language="es")
    exports.cycle_export_build(export_id=export.pk)
    settings_es.delete()
    status = client.get(reverse("cycle-export", args=[w["cycle"].pk, export.pk])).json()
    assert {k: status[k] for k in ("status", "done", "total", "error", "percent")} == {
        "status": "done",
        "done": 4,
        "total": 4,
        "error": "",
        "percent": 100,
    }
    assert status["phrase"].startswith("Ready: 4 PDFs, made at ")
    response = client.get(reverse("cycle-export", args=[w["cycle"].pk, export.pk]) + "?download=1")
    assert response["Content-Disposition"] == 'attachment; filename="2026-Q3 reviews.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == sorted(
        [f"2026-Q3 {w[n].name}.pdf" for n in ("ann", "bob", "cat", "dan")] + ["2026-Q3 resumen del ciclo.pdf"]
    )
    # The zip's own name is in the language of who downloads it; any other script as filename*.
    url = reverse("cycle-export", args=[w["cycle"].pk, export.pk]) + "?download=1"
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert spanish["Content-Disposition"] == 'attachment; filename="2026-Q3 evaluaciones.zip"'
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese["Content-Disposition"] == (
        "attachment; filename*=utf-8''2026-Q3%20%E7%BB%A9%E6%95%88%E8%AF%84%E4%BC%B0.zip"
    )


def test_calibration_page(client, w):
    cycle_services.cycle_advance(
        user=w["hr"], cycle=w["cycle"], override_reason="Only Bob's review matters here"
    )
    r = submitted(w)
    r = services.review_acknowledge(user=w["bob"], review=r, version=r.version)
    client.force_login(w["hr"])
    html = client.get(reverse("cycle-calibration", args=[w["cycle"].pk])).content.decode()
    assert "Distribution per manager against the organisation" in html and w["bob"].name in html
    data = cycle_selectors.calibration(cycle=w["cycle"])
    assert data["managers"][0]["counts"] == [0, 0, 1, 0, 0] and data["managers"][0]["manager"] == str(
        w["manager_a"]
    )


def test_api_hides_drafts_and_refuses_stale_versions(w):
    r = services.review_save_manager(
        user=w["manager_a"], review=w["review"], version=w["review"].version, sections={"outcomes": "draft"}
    )
    r = services.review_save_self(user=w["bob"], review=r, version=r.version, sections={"outcomes": "mine"})
    api = APIClient()
    api.force_authenticate(w["bob"])
    data = api.get(f"/api/v1/reviews/{r.pk}/").json()
    assert data["manager_assessment"] is None and data["final_rating"] is None
    stale = api.post(
        f"/api/v1/reviews/{r.pk}/transition/",
        {"action": "submit_self", "version": r.version - 1},
        format="json",
    )
    assert stale.status_code == 409
    ok = api.post(
        f"/api/v1/reviews/{r.pk}/transition/", {"action": "submit_self", "version": r.version}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "manager_review"
    illegal = api.post(
        f"/api/v1/reviews/{r.pk}/transition/", {"action": "finalize", "version": r.version + 1}, format="json"
    )
    assert illegal.status_code == 403
    api.force_authenticate(w["ann"])
    assert api.get(f"/api/v1/reviews/{r.pk}/").status_code == 404
    api.force_authenticate(w["manager_a"])
    assert api.get("/api/v1/cycles/").status_code == 403  # review cycles are HR's
    api.force_authenticate(w["hr"])
    assert [c["period"] for c in api.get("/api/v1/cycles/").json()["results"]] == [Q3]


def test_refused_reads_of_someone_elses_review_are_recorded(client, w):
    from accounts.models import AccessDenial

    client.force_login(w["ann"])
    assert client.get(reverse("review-detail", args=[w["review"].pk])).status_code == 404
    assert (
        AccessDenial.objects.filter(user=w["ann"], what="review", object_id=str(w["review"].pk)).count() == 1
    )


@pytest.mark.parametrize("who", ["bob", "manager_a"])
def test_every_cycles_endpoint_tells_a_csm_or_a_manager_that_review_cycles_are_hrs(w, who):
    """The list answered an empty 200, the detail, open and advance 404, create 403: one answer now."""
    cycle = w["review"].cycle
    api = APIClient()
    api.force_authenticate(w[who])
    body = {"period": "2026-Q4", "self_review_due": "2027-01-05", "manager_review_due": "2027-01-15"}
    answers = [
        api.get("/api/v1/cycles/"),
        api.get(f"/api/v1/cycles/{cycle.pk}/"),
        api.get("/api/v1/cycles/999999/"),
        api.post("/api/v1/cycles/", body, format="json"),
        api.post(f"/api/v1/cycles/{cycle.pk}/open/", {"confirm": True}, format="json"),
        api.post(f"/api/v1/cycles/{cycle.pk}/advance/", {"override_reason": "x"}, format="json"),
    ]
    refusal = {"detail": "Review cycles are HR's: only HR and CS ops / admin see and run them."}
    assert [(a.status_code, a.json()) for a in answers] == [(403, refusal)] * len(answers)
    assert ReviewCycle.objects.get(pk=cycle.pk).status == "open" and ReviewCycle.objects.count() == 1
    # HR meets the product's words for a cycle that does not exist, not DRF's.
    api.force_authenticate(w["hr"])
    for missing in (
        api.get("/api/v1/cycles/999999/"),
        api.get("/api/v1/cycles/abc/"),
        api.post("/api/v1/cycles/999999/open/", {}, format="json"),
        api.post("/api/v1/cycles/999999/advance/", {}, format="json"),
    ):
        assert (missing.status_code, missing.json()) == (404, {"detail": "No such review cycle."})


def test_cycle_api_create_and_open(w):
    api = APIClient()
    api.force_authenticate(w["manager_a"])
    body = {"period": "2026-Q4", "self_review_due": "2027-01-05", "manager_review_due": "2027-01-15"}
    assert api.post("/api/v1/cycles/", body, format="json").status_code == 403
    api.force_authenticate(w["hr"])
    bad = api.post("/api/v1/cycles/", {**body, "manager_review_due": "2027-01-01"}, format="json")
    assert bad.status_code == 400 and "after the self-review" in bad.json()["manager_review_due"][0]
    created = api.post("/api/v1/cycles/", body, format="json")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    # 2026-Q4 has no published KPI run: opening it needs the confirmation, after reading what is missing.
    refused = api.post(f"/api/v1/cycles/{created.json()['id']}/open/", format="json")
    assert refused.status_code == 400 and "No KPI run of Q4 2026 is published" in refused.json()["confirm"][0]
    opened = api.post(f"/api/v1/cycles/{created.json()['id']}/open/", {"confirm": True}, format="json")
    assert opened.status_code == 200 and opened.json()["status"] == "open"


# --- the review page's queries (the page people type into) ------------------------------

# Session, user, the person's language (notifications.language), the review (with its cycle,
# template, CSM, team and reviewer), its flags, its comments, and the bell's unread count: whatever
# the review holds.
REVIEW_PAGE_QUERIES = 7
# The person writing a review not yet submitted also gets the quarter's customer comments to quote
# (the ownership steps of the CSM's accounts, then the comments) and the quarter's feedback notes
# (a submitted review keeps its own copy): three more; the reviewer also reads the colleagues' input
# (its requests) and whom to ask (the CSM's book in the quarter, its account team, its previous owners,
# the teammates): five more, whatever the review holds.
WRITING_PAGE_QUERIES = REVIEW_PAGE_QUERIES + 8


def _page_queries(client, review) -> tuple[int, str]:
    cache.clear()  # the frozen tables are rendered, not read from the cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("review-detail", args=[review.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def _more_sections(review, n: int) -> Review:
    """``n`` more sections in the review's template."""
    template = review.cycle.template
    template.sections = template.sections + [
        {"key": f"extra{i}", "title": f"Extra part {i}"} for i in range(n)
    ]
    template.save()
    return Review.objects.get(pk=review.pk)


def test_the_review_page_asks_the_same_few_queries_of_the_manager_writing_it(client, w):
    r = w["review"]
    r = services.review_save_self(user=w["bob"], review=r, version=r.version, sections={"outcomes": "Mine."})
    r = services.review_submit_self(user=w["bob"], review=r, version=r.version)
    full = r.snapshot
    Review.objects.filter(pk=r.pk).update(snapshot={**full, "metrics": full["metrics"][:2]})
    client.force_login(w["manager_a"])
    few, html = _page_queries(client, r)
    assert few == WRITING_PAGE_QUERIES and 'name="section_outcomes"' in html
    # The whole snapshot, four more sections, five saves in the history and two comments.
    Review.objects.filter(pk=r.pk).update(snapshot=full)
    r = _more_sections(r, 4)
    for i in range(5):
        r = services.review_save_manager(
            user=w["manager_a"], review=r, version=r.version, sections={"outcomes": f"Draft {i}."}
        )
    review_disputes.comment_add(user=w["manager_a"], review=r, body="First.")
    review_disputes.comment_add(user=w["bob"], review=r, body="Second.")
    many, html = _page_queries(client, r)
    assert many == WRITING_PAGE_QUERIES
    assert html.count('id="section-') == len(r.cycle.template.sections) and "Second." in html
    assert html.count('<tr id="snap-') > 2


def test_the_review_page_asks_the_same_few_queries_of_the_csm_whatever_its_flags(client, w):
    r = submitted(w)
    client.force_login(w["bob"])
    before, html = _page_queries(client, r)
    assert before == REVIEW_PAGE_QUERIES and 'id="flag-form"' in html
    shown = [
        m["metric"]
        for m in r.snapshot["metrics"]
        if m["metric"] in REGISTRY and REGISTRY[m["metric"]].group != "context"
    ]
    assert html.split('id="flag-metric">')[1].count("<option") == len(shown) + 1  # and the OKR score
    for key in shown[:3]:
        review_disputes.dispute_raise(user=w["bob"], review=r, metric=key, comment="Looks off.")
    review_disputes.dispute_answer(user=w["manager_a"], dispute=r.disputes.first(), answer="Checked.")
    review_disputes.comment_add(user=w["bob"], review=r, body="Thanks.")
    r = _more_sections(r, 3)
    after, html = _page_queries(client, r)
    assert after == REVIEW_PAGE_QUERIES
    assert html.count('class="box flag') == 3 and "Checked." in html and "Thanks." in html


# --- Files through the API: a review's PDF, a cycle's zip ---------------------------------------


def _api_as(person) -> APIClient:
    api = APIClient()
    api.force_authenticate(person)
    return api


def _integration() -> APIClient:
    call_command("create_api_token", email="crm-sync@example.com", name="CRM sync", stdout=io.StringIO())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user__email='crm-sync@example.com').key}")
    return api


def _read_token(person) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(person=person, name='HRIS')[1]}")
    return api


@pytest.mark.parametrize(
    ("who", "before", "after"),
    [
        ("bob", 404, 200),  # the CSM: their own, once submitted
        ("manager_a", 200, 200),  # the team's manager and reviewer
        ("hr", 200, 200),
        ("admin", 200, 200),
        ("ann", 404, 404),  # another CSM
        ("manager_b", 404, 404),  # another team's manager
    ],
)
def test_review_pdf_through_the_api_for_whoever_may_read_it(w, who, before, after):
    url = f"/api/v1/reviews/{w['review'].pk}/pdf/"
    for api in (_api_as(w[who]), _read_token(w[who])):  # a session, and the person's read token
        response = api.get(url, HTTP_ACCEPT="application/pdf")
        assert response.status_code == before
        if before == 404:
            assert response.json() == {"detail": "No such review."}
    submitted(w)
    for api in (_api_as(w[who]), _read_token(w[who])):
        response = api.get(url)
        assert response.status_code == after
        if after == 200:
            assert response["Content-Type"] == "application/pdf"
            assert response.content.startswith(b"%PDF-")
            assert response["Content-Disposition"] == (f'inline; filename="{Q3} {w["bob"].name}.pdf"')
            text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
            assert w["bob"].name in text


def test_review_pdf_through_the_api_refuses_an_integration_and_the_anonymous(w):
    submitted(w)
    url = f"/api/v1/reviews/{w['review'].pk}/pdf/"
    assert _integration().get(url).status_code == 403
    assert APIClient().get(url).status_code == 401
    assert _api_as(w["hr"]).get("/api/v1/reviews/999999/pdf/").status_code == 404


def test_cycle_zip_through_the_api_is_hrs_once_an_export_is_done(w, tmp_path):
    url = f"/api/v1/cycles/{w['cycle'].pk}/zip/"
    hr = _api_as(w["hr"])
    missing = hr.get(url, HTTP_ACCEPT="application/zip")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "No export of this cycle is ready: start one on the cycle's page, then fetch it here."
    }
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Bob.pdf", b"%PDF-1.7 Bob")
    # A failed export is no file; a done one whose file went missing neither.
    CycleExport.objects.create(cycle=w["cycle"], status="failed", path=str(path), error="down")
    assert hr.get(url).status_code == 404
    gone = CycleExport.objects.create(cycle=w["cycle"], status="done", path=str(tmp_path / "gone.zip"))
    assert hr.get(url).status_code == 404
    gone.delete()
    CycleExport.objects.create(cycle=w["cycle"], status="done", path=str(path))
    for api in (hr, _api_as(w["admin"]), _read_token(w["hr"])):
        response = api.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == f'attachment; filename="{Q3} reviews.zip"'
        body = b"".join(response.streaming_content)
        assert zipfile.ZipFile(io.BytesIO(body)).read("Bob.pdf") == b"%PDF-1.7 Bob"
    for who in ("bob", "manager_a"):
        for api in (_api_as(w[who]), _read_token(w[who])):
            assert api.get(url).status_code == 403
    assert _integration().get(url).status_code == 403
    assert APIClient().get(url).status_code == 401
    assert hr.get("/api/v1/cycles/999999/zip/").status_code == 404
