"""Every API list is paginated: ?limit= is honoured (default 50, at most 500), ?offset= pages on."""

import datetime

import pytest
from rest_framework.test import APIClient

from kpis import services as kpi_services
from kpis.periods import Period
from okrs import services as okr_services
from reviews.cycles import services as cycle_services

LISTS = (
    "/api/v1/objectives/",
    "/api/v1/key-results/",
    "/api/v1/check-ins/",
    "/api/v1/reviews/",
    "/api/v1/cycles/",
    "/api/v1/kpis/?period=2026-Q3",
    "/api/v1/todos/",  # HR: the late reviews of each manager, the cycles to move on
)


@pytest.fixture
def data(org):
    kpi_services.kpi_run_compute(period=Period.parse("2026-Q3"), as_of=datetime.date(2026, 11, 1))
    for title in ("One", "Two", "Three"):
        objective = okr_services.objective_create(
            user=org.csm_a, period="2026-Q4", title=title, csm=org.csm_a
        )
        kr = okr_services.key_result_create(
            user=org.csm_a, objective=objective, title="n", kind="numeric", baseline=0, target=5
        )
        okr_services.check_in_create(user=org.csm_a, key_result=kr, value=1, confidence=5)
    for period in ("2026-Q2", "2026-Q3"):
        cycle = cycle_services.cycle_create(
            user=org.hr,
            period=period,
            self_review_due=datetime.date(2026, 10, 5),
            manager_review_due=datetime.date(2026, 10, 9),
        )
        cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)  # 2026-Q2 has no KPI run


@pytest.mark.parametrize("url", LISTS)
def test_limit_and_offset_on_every_list(org, data, url):
    api = APIClient()
    api.force_authenticate(org.hr)
    sep = "&" if "?" in url else "?"
    whole = api.get(f"{url}{sep}limit=500").json()
    assert whole["count"] >= 2, whole
    first = api.get(f"{url}{sep}limit=1").json()
    second = api.get(f"{url}{sep}limit=1&offset=1").json()
    assert len(first["results"]) == len(second["results"]) == 1
    assert first["results"][0] != second["results"][0]
    assert first["count"] == whole["count"] and first["next"] and first["previous"] is None
    assert first["results"] + second["results"] == whole["results"][:2]


def test_the_default_page_and_the_maximum(org, data):
    api = APIClient()
    api.force_authenticate(org.hr)
    kpis = api.get("/api/v1/kpis/?period=2026-Q3").json()
    assert kpis["count"] > 50 and len(kpis["results"]) == 50
    assert len(api.get("/api/v1/kpis/?period=2026-Q3&limit=100000").json()["results"]) == min(
        kpis["count"], 500
    )
    assert api.get("/api/v1/kpis/?period=2026-Q3&limit=abc").status_code == 200  # falls back to the default
