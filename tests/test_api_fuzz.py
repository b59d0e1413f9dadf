"""API fuzzing: schemathesis generates requests from /api/schema/ for every operation, sent as each
role (token authentication) to the WSGI app: no 5xx, and responses conform to the schema.

A generated id almost never names an object that exists (nearly every request answered 404 before the
view read its body): each request with an id is sent again on the objects the fixture made, so that
the generated bodies and parameters reach the views."""

import datetime

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from accounts.models import Role
from config.wsgi import application
from kpis import services as kpi_services
from kpis.periods import Period
from okrs import services as okr_services
from reviews.cycles import services as cycle_services
from reviews.input import services as input_services
from reviews.notes import services as note_services
from tests import factories
from tests.fuzz import examples

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def keep_connection():
    """The raw WSGI app closes the database connection after each request; the test's transaction
    needs it open (django.test.Client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(org, keep_connection):
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
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
    note = note_services.note_create(author=org.manager_a, csm=org.csm_a, kind="praise", body="Good QBR.")
    contributor = factories.UserFactory(email="ae@example.com", name="Ada Exec", role=Role.CONTRIBUTOR)
    request = input_services.input_request_create(
        user=org.manager_a, review=cycle.reviews.get(csm=org.csm_a), contributor=contributor
    )
    users = {
        "csm": org.csm_a,
        "manager": org.manager_a,
        "hr": org.hr,
        "admin": org.admin,
        "contributor": contributor,
    }
    REAL_IDS.update(
        {
            "/api/v1/objectives/": objective.pk,
            "/api/v1/key-results/": kr.pk,
            "/api/v1/check-ins/": check_in.pk,
            "/api/v1/reviews/": cycle.reviews.get(csm=org.csm_a).pk,
            "/api/v1/cycles/": cycle.pk,
            "/api/v1/feedback-notes/": note.pk,
            "/api/v1/scorecards/": org.csm_a.pk,
            "/api/v1/input-requests/": request.pk,
        }
    )
    return {role: Token.objects.create(user=user).key for role, user in users.items()}


# The path of an operation -> the id of an object the fixture made (filled by it).
REAL_IDS: dict[str, int] = {}


def _on_real_objects(case):
    """The same request on an object that exists, or None when the path names no object of ours."""
    prefix = next((p for p in REAL_IDS if case.path.startswith(p)), None)
    names = [n for n in ("id", "user_id") if n in (case.path_parameters or {})]
    if prefix is None or not names:
        return None
    real = case.derive(keep_auth=True)
    real.path_parameters[names[0]] = REAL_IDS[prefix]
    return real


@pytest.mark.django_db
@schema.parametrize()
# Valid and invalid data (schemathesis generates both by default), bounded here; a long run by hand:
#     FUZZ_EXAMPLES=500 bash scripts/test.sh tests/test_api_fuzz.py
@settings(
    max_examples=examples(5),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_5xx_and_conforms(case, tokens):
    real = _on_real_objects(case)
    for role, key in tokens.items():
        for sent in (case, real) if real is not None else (case,):
            response = sent.call(headers={"Authorization": f"Token {key}"})
            assert response.status_code < 500, (
                f"{role} {sent.method} {sent.formatted_path} {sent.body!r:.300}: {response.status_code}"
            )
            sent.validate_response(
                response,
                checks=[
                    schemathesis.checks.not_a_server_error,
                    schemathesis.checks.response_schema_conformance,
                ],
            )
