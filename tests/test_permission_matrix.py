"""The permission matrix: every URL of the URLconf, for every role, against own and others' objects.

The objects belong to "csm" (team A). A URL that is not in TABLE fails the test, so a new page or
endpoint cannot skip it. GET is used everywhere; write-only endpoints answer 405 once the caller is
authenticated (their rules are tested by each feature's tests).
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import tokens
from accounts.models import Role
from datain.models import ImportRun
from kpis import services as kpi_services
from kpis.periods import Period
from notifications import mail as notification_mail
from notifications import services as notification_services
from okrs import services as okr_services
from reviews.cycles import services as cycle_services
from reviews.input import services as input_services
from reviews.models import CycleExport, Dispute
from reviews.notes import services as note_services
from reviews.writing import services as review_services
from tests import factories

ROLES = ("csm", "csm_other", "manager", "manager_other", "hr", "admin", "anon")


def row(*codes):
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes, strict=True))


ALL_200 = row(200, 200, 200, 200, 200, 200, 200)
LOGGED_IN = row(200, 200, 200, 200, 200, 200, 302)
API_LIST = row(200, 200, 200, 200, 200, 200, 401)
OWN_PAGE = row(200, 404, 200, 404, 200, 200, 302)
OWN_API = row(200, 404, 200, 404, 200, 200, 401)
POST_ONLY = row(405, 405, 405, 405, 405, 405, 302)
API_POST_ONLY = row(405, 405, 405, 405, 405, 405, 401)
HR_PAGE = row(404, 404, 404, 404, 200, 200, 302)
# Review cycles are HR's as a whole: every other role is refused (403) on every cycles endpoint.
HR_ONLY_API = row(403, 403, 403, 403, 200, 200, 401)
HR_ONLY_API_POST = row(403, 403, 403, 403, 405, 405, 401)
OPS_PAGE = row(403, 403, 403, 403, 403, 200, 302)
TEAM_PAGE = row(404, 404, 200, 404, 200, 200, 302)
MANAGER_PAGE = row(404, 404, 200, 404, 200, 200, 302)
# SCIM provisioning opens to the identity provider's bearer token only: every session answers 401.
SCIM = row(401, 401, 401, 401, 401, 401, 401)
NOTE_READERS = MANAGER_PAGE
NOTE_READERS_API = row(404, 404, 200, 404, 200, 200, 401)

# url name: (kwargs or callable(objects) -> kwargs, query string, expected answers)
TABLE = {
    "home": ({}, "", LOGGED_IN),
    "login": ({}, "", ALL_200),
    "favicon": ({}, "", ALL_200),
    # The scripts' words (Django's JavaScript catalog): every page loads it, signed in or not.
    "javascript-catalog": ({}, "", ALL_200),
    # Sign-in (allauth): the login page's aliases, two-factor and the identity provider's pages.
    "account_login": ({}, "", ALL_200),
    "account_logout": ({}, "", row(200, 200, 200, 200, 200, 200, 302)),
    "account_inactive": ({}, "", ALL_200),
    "account_reauthenticate": ({}, "", LOGGED_IN),
    "mfa_index": ({}, "", LOGGED_IN),
    "mfa_activate_totp": ({}, "", row(302, 302, 302, 302, 302, 302, 302)),
    "mfa_authenticate": ({}, "", row(302, 302, 302, 302, 302, 302, 302)),
    "mfa_reauthenticate": ({}, "", row(302, 302, 302, 302, 302, 302, 302)),
    "mfa_deactivate_totp": ({}, "", row(404, 404, 404, 404, 404, 404, 302)),
    "mfa_view_recovery_codes": ({}, "", row(404, 404, 404, 404, 404, 404, 302)),
    "mfa_generate_recovery_codes": ({}, "", row(302, 302, 302, 302, 302, 302, 302)),
    "mfa_download_recovery_codes": ({}, "", row(404, 404, 404, 404, 404, 404, 302)),
    "openid_connect_login": ({"provider_id": "sso"}, "", row(404, 404, 404, 404, 404, 404, 404)),
    "openid_connect_callback": ({"provider_id": "sso"}, "", row(404, 404, 404, 404, 404, 404, 404)),
    "socialaccount_login_cancelled": ({}, "", ALL_200),
    "socialaccount_login_error": ({}, "", row(401, 401, 401, 401, 401, 401, 401)),
    "socialaccount_signup": ({}, "", row(302, 302, 302, 302, 302, 302, 302)),
    "logout": ({}, "", row(405, 405, 405, 405, 405, 405, 405)),
    "set_language": ({}, "", row(302, 302, 302, 302, 302, 302, 302)),
    # Single sign-on (SAML): open to all, a provider's answer comes before anyone is signed in; with no
    # SAML provider configured (here) its pages answer 404, the ACS hands a GET on to its finish step.
    "saml_login": ({"organization_slug": "sso"}, "", row(404, 404, 404, 404, 404, 404, 404)),
    "saml_acs": ({"organization_slug": "sso"}, "", row(302, 302, 302, 302, 302, 302, 302)),
    "saml_finish_acs": ({"organization_slug": "sso"}, "", row(404, 404, 404, 404, 404, 404, 404)),
    "saml_metadata": ({"organization_slug": "sso"}, "", row(404, 404, 404, 404, 404, 404, 404)),
    "saml_sls": ({"organization_slug": "sso"}, "", row(404, 404, 404, 404, 404, 404, 404)),
    "admin:index": ({}, "", row(302, 302, 302, 302, 302, 200, 302)),
    "import-list": ({}, "", OPS_PAGE),
    "import-detail": (lambda o: {"run_id": o["import"].pk}, "", OPS_PAGE),
    "import-status": (lambda o: {"run_id": o["import"].pk}, "", OPS_PAGE),
    "import-confirm": (lambda o: {"run_id": o["import"].pk}, "", POST_ONLY),
    "import-retry": (lambda o: {"run_id": o["import"].pk}, "", POST_ONLY),
    "sources-list": ({}, "", OPS_PAGE),
    "api-ingest": ({"kind": "tickets"}, "", row(403, 403, 403, 403, 403, 405, 401)),
    "api-kpis": ({}, "?period=2026-Q3", API_LIST),
    "api-scorecard": (lambda o: {"user_id": o["csm"].pk}, "", OWN_API),
    "api-schema": ({}, "", ALL_200),
    "api-docs": ({}, "", ALL_200),
    "api-root": ({}, "", API_LIST),
    "api-objective-list": ({}, "", API_LIST),
    "api-objective-detail": (lambda o: {"pk": o["objective"].pk}, "", OWN_API),
    "api-objective-carry-over": (lambda o: {"pk": o["objective"].pk}, "", API_POST_ONLY),
    "api-key-result-list": ({}, "", API_LIST),
    "api-key-result-detail": (lambda o: {"pk": o["kr"].pk}, "", OWN_API),
    "api-check-in-list": ({}, "", API_LIST),
    "api-check-in-detail": (lambda o: {"pk": o["check_in"].pk}, "", OWN_API),
    "api-review-list": ({}, "", API_LIST),
    "api-review-detail": (lambda o: {"pk": o["review"].pk}, "", OWN_API),
    "api-review-transition": (lambda o: {"pk": o["review"].pk}, "", API_POST_ONLY),
    # The PDF as the page's: the CSM's own only once submitted (this one is in self-review).
    "api-review-pdf": (lambda o: {"pk": o["review"].pk}, "", row(404, 404, 200, 404, 200, 200, 401)),
    "api-cycle-list": ({}, "", HR_ONLY_API),
    "api-cycle-detail": (lambda o: {"pk": o["cycle"].pk}, "", HR_ONLY_API),
    "api-cycle-open": (lambda o: {"pk": o["cycle"].pk}, "", HR_ONLY_API_POST),
    "api-cycle-advance": (lambda o: {"pk": o["cycle"].pk}, "", HR_ONLY_API_POST),
    "api-cycle-ask-input": (lambda o: {"pk": o["cycle"].pk}, "", HR_ONLY_API_POST),
    # HR's; the fixture's export is only queued, so there is no zip yet (404).
    "api-cycle-zip": (lambda o: {"pk": o["cycle"].pk}, "", row(403, 403, 403, 403, 404, 404, 401)),
    "my-scorecard": ({}, "", row(200, 200, 302, 302, 302, 302, 302)),
    "scorecard": (lambda o: {"user_id": o["csm"].pk}, "", OWN_PAGE),
    "explain": (lambda o: {"user_id": o["csm"].pk, "metric": "nrr"}, "", OWN_PAGE),
    # The organisation's model (no CSM's data): every signed-in person.
    "expected-method": ({}, "", LOGGED_IN),
    "at-risk": (lambda o: {"user_id": o["csm"].pk}, "", OWN_PAGE),
    "team-list": ({}, "", row(404, 404, 302, 302, 200, 200, 302)),
    "team-detail": (lambda o: {"team_id": o["team"].pk}, "", TEAM_PAGE),
    "account-detail": (lambda o: {"account_id": o["account"].pk}, "", OWN_PAGE),
    "okrs-mine": ({}, "", row(200, 200, 302, 302, 302, 302, 302)),
    "okrs-team": (lambda o: {"team_id": o["team"].pk}, "", TEAM_PAGE),
    "okrs-kr-add": (lambda o: {"objective_id": o["objective"].pk}, "", POST_ONLY),
    "okrs-rollout": (lambda o: {"objective_id": o["objective"].pk}, "", POST_ONLY),
    "okrs-final-score": (lambda o: {"objective_id": o["objective"].pk}, "", POST_ONLY),
    "okrs-carry-over": (lambda o: {"objective_id": o["objective"].pk}, "", POST_ONLY),
    "okrs-check-in": (lambda o: {"kr_id": o["kr"].pk}, "", POST_ONLY),
    "okrs-close": ({}, "", POST_ONLY),
    "review-list": ({}, "", LOGGED_IN),
    "review-detail": (lambda o: {"review_id": o["review"].pk}, "", OWN_PAGE),
    "review-save": (lambda o: {"review_id": o["review"].pk}, "", POST_ONLY),
    "review-refresh": (lambda o: {"review_id": o["review"].pk}, "", POST_ONLY),
    "review-transition": (lambda o: {"review_id": o["review"].pk, "action": "submit"}, "", POST_ONLY),
    "review-dispute": (lambda o: {"review_id": o["review"].pk}, "", POST_ONLY),
    "review-dispute-answer": (
        lambda o: {"review_id": o["review"].pk, "dispute_id": o["dispute"].pk},
        "",
        POST_ONLY,
    ),
    "review-dispute-close": (
        lambda o: {"review_id": o["review"].pk, "dispute_id": o["dispute"].pk, "how": "resolve"},
        "",
        POST_ONLY,
    ),
    "review-comment": (lambda o: {"review_id": o["review"].pk}, "", POST_ONLY),
    # The CSM's own review in self-review: its history and PDF wait until it is submitted.
    "review-history": (lambda o: {"review_id": o["review"].pk}, "", MANAGER_PAGE),
    "review-pdf": (lambda o: {"review_id": o["review"].pk}, "", MANAGER_PAGE),
    "cycle-list": ({}, "", HR_PAGE),
    # A note by the manager on the CSM, not shown to the CSM: its author, HR and admins read it.
    "feedback-list": ({}, "", LOGGED_IN),
    "feedback-edit": (lambda o: {"note_id": o["note"].pk}, "", row(404, 404, 200, 404, 404, 404, 302)),
    "feedback-delete": (lambda o: {"note_id": o["note"].pk}, "", POST_ONLY),
    "feedback-history": (lambda o: {"note_id": o["note"].pk}, "", NOTE_READERS),
    "api-feedback-note-list": ({}, "", API_LIST),
    "api-feedback-note-detail": (lambda o: {"pk": o["note"].pk}, "", NOTE_READERS_API),
    "api-feedback-note-history": (lambda o: {"pk": o["note"].pk}, "", NOTE_READERS_API),
    "cycle-detail": (lambda o: {"cycle_id": o["cycle"].pk}, "", HR_PAGE),
    "cycle-action": (lambda o: {"cycle_id": o["cycle"].pk, "action": "open"}, "", POST_ONLY),
    # HR's confirmation before asking colleagues for input on every review of the cycle.
    "cycle-ask-input": (lambda o: {"cycle_id": o["cycle"].pk}, "", HR_PAGE),
    "cycle-export": (lambda o: {"cycle_id": o["cycle"].pk, "export_id": o["export"].pk}, "", HR_PAGE),
    "api-todos": ({}, "", API_LIST),
    "notification-list": ({}, "", LOGGED_IN),
    # The CSM's own notification: followed (302 to its object), nobody else's (404).
    "notification-open": (
        lambda o: {"notification_id": o["notification"].pk},
        "",
        row(302, 404, 404, 404, 404, 404, 302),
    ),
    "notification-read": ({}, "", POST_ONLY),
    "notification-preferences": ({}, "", LOGGED_IN),
    "api-token-create": ({}, "", POST_ONLY),
    # A person's API token is theirs alone: nobody else, not even HR, sees its revoke page.
    "api-token-revoke": (
        lambda o: {"token_id": o["api_token"].pk},
        "",
        row(200, 404, 404, 404, 404, 404, 302),
    ),
    # The signed token is the credential (one click from an email, no login).
    "notification-unsubscribe": (lambda o: {"token": o["unsubscribe"]}, "", ALL_200),
    # Only in the local setup (DEBUG, the catcher's folder): 404 everywhere else, for everyone.
    "caught-mail": ({}, "", row(404, 404, 404, 404, 404, 404, 404)),
    "caught-mail-detail": (
        {"name": "20260101-000000-000000-00000000.eml"},
        "",
        row(404, 404, 404, 404, 404, 404, 404),
    ),
    "cycle-export-retry": (
        lambda o: {"cycle_id": o["cycle"].pk, "export_id": o["export"].pk},
        "",
        POST_ONLY,
    ),
    # The session opens once the cycle is in calibration (tests/reviews/test_cycles.py): this one is open.
    "cycle-calibration": (lambda o: {"cycle_id": o["cycle"].pk}, "", row(404, 404, 404, 404, 404, 404, 302)),
    "cycle-calibration-action": (
        lambda o: {"cycle_id": o["cycle"].pk, "review_id": o["review"].pk, "action": "adjust"},
        "",
        POST_ONLY,
    ),
    "cycle-review-action": (
        lambda o: {"cycle_id": o["cycle"].pk, "review_id": o["review"].pk, "action": "remind"},
        "",
        POST_ONLY,
    ),
    "cycle-summary-pdf": (lambda o: {"cycle_id": o["cycle"].pk}, "", HR_PAGE),
    "scim:root": ({}, "", SCIM),
    "scim:users": ({}, "", SCIM),
    "scim:user": (lambda o: {"pk": o["csm"].pk}, "", SCIM),
    "scim:groups": ({}, "", SCIM),
    "scim:group": (lambda o: {"pk": o["team"].pk}, "", SCIM),
    "scim:config": ({}, "", SCIM),
    "scim:schemas": ({}, "", SCIM),
    "scim:schema": ({"pk": "urn:ietf:params:scim:schemas:core:2.0:User"}, "", SCIM),
    "scim:resource-types": ({}, "", SCIM),
    "scim:resource-type": ({"pk": "User"}, "", SCIM),
    "scim:elsewhere": ({"rest": "Nowhere"}, "", SCIM),
    # Input from colleagues: everyone's own list; a request is its contributor's alone (below).
    "input-list": ({}, "", LOGGED_IN),
    "input-detail": (
        lambda o: {"request_id": o["input_request"].pk},
        "",
        row(404, 404, 404, 404, 404, 404, 302),
    ),
    "input-decline": (lambda o: {"request_id": o["input_request"].pk}, "", POST_ONLY),
    "review-input-request": (lambda o: {"review_id": o["review"].pk}, "", POST_ONLY),
    "api-input-request-list": ({}, "", API_LIST),
    "api-input-request-detail": (
        lambda o: {"pk": o["input_request"].pk},
        "",
        row(404, 404, 404, 404, 404, 404, 401),
    ),
    "api-input-request-answer": (lambda o: {"pk": o["input_request"].pk}, "", API_POST_ONLY),
    "api-input-request-decline": (lambda o: {"pk": o["input_request"].pk}, "", API_POST_ONLY),
}
# A contributor (a colleague outside CS who gives review input) signs in like everyone and reaches
# only the requests addressed to them: every other page answers 404 and every other API endpoint 403,
# whatever its own rule. Written out for every URL, like the table above.
_PAGE_404 = 404
_API_403 = 403
CONTRIBUTOR = {
    "home": 302,  # to the requests addressed to them
    "login": 200,
    "favicon": 200,
    "javascript-catalog": 200,
    "logout": 405,
    "account_login": 200,
    "account_logout": 200,
    "set_language": 302,
    "admin:index": 302,
    "input-list": 200,
    "input-detail": 200,  # the request is addressed to them
    "input-decline": 405,
    "review-input-request": _PAGE_404,
    "notification-list": 200,
    "notification-open": 404,  # the CSM's notification
    "notification-read": 405,
    "notification-preferences": 200,
    "notification-unsubscribe": 200,
    "api-token-create": 405,
    "api-token-revoke": 404,  # the CSM's token
    "api-schema": 200,
    "api-docs": 200,
    "api-root": 200,
    "api-todos": 200,
    "api-input-request-list": 200,
    "api-input-request-detail": 200,
    "api-input-request-answer": 405,
    "api-input-request-decline": 405,
    "caught-mail": 404,
    "caught-mail-detail": 404,
    **{
        name: _PAGE_404
        for name in (
            "import-list",
            "import-detail",
            "import-status",
            "import-confirm",
            "import-retry",
            "sources-list",
            "my-scorecard",
            "scorecard",
            "explain",
            "expected-method",
            "at-risk",
            "team-list",
            "team-detail",
            "account-detail",
            "okrs-mine",
            "okrs-team",
            "okrs-kr-add",
            "okrs-rollout",
            "okrs-final-score",
            "okrs-check-in",
            "okrs-close",
            "review-list",
            "review-detail",
            "review-save",
            "review-refresh",
            "review-transition",
            "review-dispute",
            "review-dispute-answer",
            "review-dispute-close",
            "review-comment",
            "review-history",
            "review-pdf",
            "cycle-list",
            "cycle-detail",
            "cycle-action",
            "cycle-ask-input",
            "cycle-export",
            "cycle-export-retry",
            "cycle-calibration",
            "cycle-calibration-action",
            "cycle-review-action",
            "cycle-summary-pdf",
        )
    },
    # Sign-in pages (allauth), feedback notes and OKR carry-over are not theirs: 404 like every page.
    **{
        name: _PAGE_404
        for name in (
            "account_inactive",
            "account_reauthenticate",
            "mfa_index",
            "mfa_activate_totp",
            "mfa_authenticate",
            "mfa_reauthenticate",
            "mfa_deactivate_totp",
            "mfa_view_recovery_codes",
            "mfa_generate_recovery_codes",
            "mfa_download_recovery_codes",
            "openid_connect_login",
            "openid_connect_callback",
            "socialaccount_login_cancelled",
            "socialaccount_login_error",
            "socialaccount_signup",
            "saml_login",
            "saml_acs",
            "saml_finish_acs",
            "saml_metadata",
            "saml_sls",
            "okrs-carry-over",
            "feedback-list",
            "feedback-edit",
            "feedback-delete",
            "feedback-history",
        )
    },
    # SCIM answers a session, any session, 401: it opens to the identity provider's token only.
    **{name: 401 for name in TABLE if name.startswith("scim:")},
    **{
        name: _API_403
        for name in (
            "api-objective-carry-over",
            "api-feedback-note-list",
            "api-feedback-note-detail",
            "api-feedback-note-history",
            "api-ingest",
            "api-kpis",
            "api-scorecard",
            "api-objective-list",
            "api-objective-detail",
            "api-key-result-list",
            "api-key-result-detail",
            "api-check-in-list",
            "api-check-in-detail",
            "api-review-list",
            "api-review-detail",
            "api-review-transition",
            "api-review-pdf",
            "api-cycle-list",
            "api-cycle-detail",
            "api-cycle-open",
            "api-cycle-advance",
            "api-cycle-ask-input",
            "api-cycle-zip",
        )
    },
}
# Django's admin: every page of it is staff-only, tested through its index.
SKIPPED_NAMESPACES = {"admin"}


def url_names(patterns=None, prefix=""):
    names = set()
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            if p.namespace in SKIPPED_NAMESPACES:
                continue
            names |= url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(prefix + p.name)
    return names


@pytest.fixture
def objects(org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return build_objects(org)


def build_objects(org):
    """One of each object the table's URLs name, all the CSM's of team A (tests/i18n reuses it)."""
    q3 = Period.parse("2026-Q3")
    kpi_services.kpi_run_compute(period=q3, as_of=datetime.date(2026, 11, 1))
    objective = okr_services.objective_create(user=org.csm_a, period="2026-Q4", title="Grow", csm=org.csm_a)
    kr = okr_services.key_result_create(
        user=org.csm_a, objective=objective, title="n", kind="numeric", baseline=0, target=5
    )
    check_in = okr_services.check_in_create(user=org.csm_a, key_result=kr, value=1, confidence=5)
    cycle = cycle_services.cycle_create(
        user=org.hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 5),
        manager_review_due=datetime.date(2026, 10, 9),
    )
    cycle_services.cycle_open(user=org.hr, cycle=cycle)
    review = cycle.reviews.get(csm=org.csm_a)
    review = review_services.review_send_to_csm(user=org.manager_a, review=review, version=review.version)
    dispute = Dispute.objects.create(review=review, metric="nrr", comment="c", raised_by=org.csm_a)
    contributor = factories.UserFactory(email="ae@example.com", name="Ada Exec", role=Role.CONTRIBUTOR)
    return {
        "csm": org.csm_a,
        "team": org.team_a,
        "account": org.account_a,
        "objective": objective,
        "kr": kr,
        "check_in": check_in,
        "cycle": cycle,
        "review": review,
        "dispute": dispute,
        "import": ImportRun.objects.create(kind="tickets", source="upload", status="valid"),
        "export": CycleExport.objects.create(cycle=cycle, total=0, status="queued"),
        "notification": notification_services.notify(
            org.csm_a,
            "review_submitted",
            message=("step_submit_csm", {"period": "2026-Q3"}),
            url=f"/reviews/{review.pk}/",
        ),
        "unsubscribe": notification_mail.unsubscribe_token(org.csm_a, "cycle_opened"),
        "api_token": tokens.issue(person=org.csm_a, name="BI")[0],
        "note": note_services.note_create(
            author=org.manager_a, csm=org.csm_a, kind="concern", body="Private."
        ),
        "contributor": contributor,
        "input_request": input_services.input_request_create(
            user=org.manager_a, review=review, contributor=contributor
        ),
    }


def test_every_url_is_in_the_table():
    missing = url_names() - set(TABLE)
    assert not missing, f"Add these URLs to the permission matrix: {sorted(missing)}"
    stale = set(TABLE) - url_names() - {"admin:index"}
    assert not stale, f"These URLs are gone: {sorted(stale)}"
    assert set(CONTRIBUTOR) == set(TABLE), sorted(set(CONTRIBUTOR) ^ set(TABLE))


def test_contributor_reaches_only_their_input_requests(client, org, objects):
    client.force_login(objects["contributor"])
    wrong = []
    for name, (kwargs, query, _expected) in sorted(TABLE.items()):
        url = reverse(name, kwargs=kwargs(objects) if callable(kwargs) else kwargs) + query
        status = client.get(url).status_code
        if status != CONTRIBUTOR[name]:
            wrong.append(f"{name} {url}: {status}, expected {CONTRIBUTOR[name]}")
    assert not wrong, "contributor:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, org, objects, role):
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
    wrong = []
    for name, (kwargs, query, expected) in sorted(TABLE.items()):
        url = reverse(name, kwargs=kwargs(objects) if callable(kwargs) else kwargs) + query
        status = client.get(url).status_code
        if status != expected[role]:
            wrong.append(f"{name} {url}: {status}, expected {expected[role]}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
