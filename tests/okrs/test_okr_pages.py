"""OKR pages and API: check-in without leaving the page, clear errors, every role's rights."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from okrs import services
from okrs.models import CheckIn, Objective
from tests import factories
from tests.kpis import world

Q3 = "2026-Q3"


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    w["manager_a"], w["manager_b"] = w["team_a"].manager, w["team_b"].manager
    w["hr"] = factories.HrFactory(email="hr@example.com")
    w["admin"] = factories.AdminFactory(email="admin@example.com")
    w["obj"] = services.objective_create(user=w["ann"], period=Q3, title="Grow", csm=w["ann"])
    w["kr"] = services.key_result_create(
        user=w["ann"], objective=w["obj"], title="Plans", kind="numeric", baseline=0, target=10
    )
    return w


def test_my_okrs_page_and_inline_check_in(client, w):
    client.force_login(w["ann"])
    html = client.get(reverse("okrs-mine") + f"?period={Q3}").content.decode()
    assert "Grow" in html and "Plans" in html and "expected 1.0" in html
    url = reverse("okrs-check-in", args=[w["kr"].pk])
    response = client.post(
        url, {"value": "4", "confidence": "7", "note": "ok"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json()["progress"] == "0.40" and response.json()["objective_score"] == "0.40"
    bad = client.post(url, {"value": "4", "confidence": "12"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400
    assert bad.json()["errors"]["confidence"] == [
        "Confidence is a whole number from 0 (no chance) to 10 (certain)."
    ]
    assert CheckIn.objects.count() == 1
    # Without JavaScript: a redirect back to the key result.
    response = client.post(url, {"value": "5", "confidence": "6"})
    assert response.status_code == 302 and response["Location"].endswith(f"#kr-{w['kr'].pk}")


def test_new_objective_form_errors_are_clear(client, w):
    client.force_login(w["ann"])
    other = services.objective_create(user=w["manager_a"], period="2026-Q2", title="Old", team=w["team_a"])
    response = client.post(
        reverse("okrs-mine") + f"?period={Q3}", {"title": "X", "commitment": "committed", "parent": other.pk}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()  # not offered: another quarter's
    response = client.post(reverse("okrs-mine") + f"?period={Q3}", {"title": "  ", "commitment": "committed"})
    assert "This field is required." in response.content.decode()  # a blank title, stripped
    assert not Objective.objects.filter(period=Q3, title__in=["X", ""]).exists()


def test_add_key_result_refuses_equal_target(client, w):
    client.force_login(w["ann"])
    response = client.post(
        reverse("okrs-kr-add", args=[w["obj"].pk]),
        {
            "title": "Same",
            "kind": "numeric",
            "baseline": "5",
            "target": "5",
            "weight": "1",
            "direction": "increase",
        },
        follow=True,
    )
    assert "The target equals the baseline" in response.content.decode()
    assert w["obj"].key_results.count() == 1


@pytest.mark.parametrize(
    ("who", "expected"),
    [("ann", 200), ("bob", 404), ("manager_a", 200), ("manager_b", 404), ("hr", 404), ("admin", 200)],
)
def test_check_in_rights(client, w, who, expected):
    client.force_login(w[who])
    response = client.post(
        reverse("okrs-check-in", args=[w["kr"].pk]),
        {"value": "3", "confidence": "5"},
        HTTP_ACCEPT="application/json",
    )
    # bob and manager_b cannot see the key result (404); HR sees it but may not write (400 with the reason).
    if who == "hr":
        assert response.status_code == 400 and "may not" in str(response.json()["errors"])
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"), [("ann", 404), ("manager_a", 200), ("manager_b", 404), ("hr", 200)]
)
def test_team_okr_page_rights(client, w, who, expected):
    client.force_login(w[who])
    assert client.get(reverse("okrs-team", args=[w["team_a"].pk]) + f"?period={Q3}").status_code == expected


def test_team_page_rollout_and_close(client, w):
    team_obj = services.objective_create(user=w["manager_a"], period=Q3, title="Retain", team=w["team_a"])
    client.force_login(w["manager_a"])
    response = client.post(reverse("okrs-rollout", args=[team_obj.pk]), {"segment": ""}, follow=True)
    assert "Rolled out to 2 CSMs (0 had it already)." in response.content.decode()
    response = client.post(reverse("okrs-close"), {"period": Q3}, follow=True)
    assert "HR closes a quarter" in response.content.decode()
    client.force_login(w["hr"])
    response = client.post(reverse("okrs-close"), {"period": Q3}, follow=True)
    assert "Q3 2026 is closed: its scores are frozen." in response.content.decode()
    html = client.get(reverse("okrs-team", args=[w["team_a"].pk]) + f"?period={Q3}").content.decode()
    assert "This quarter is closed" in html and "Roll out" not in html


def test_api_scoped_and_writes_through_services(w):
    api = APIClient()
    api.force_authenticate(w["bob"])
    assert api.get("/api/v1/objectives/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    api.force_authenticate(w["manager_a"])
    data = api.get("/api/v1/objectives/", {"period": Q3}).json()["results"]
    assert [o["title"] for o in data] == ["Grow"] and data[0]["key_results"][0]["progress"] == "0.00"
    api.force_authenticate(w["ann"])
    response = api.post(
        "/api/v1/check-ins/", {"key_result": w["kr"].pk, "value": "10", "confidence": "9"}, format="json"
    )
    assert response.status_code == 201
    assert api.get(f"/api/v1/key-results/{w['kr'].pk}/").json()["progress"] == "1.00"
    response = api.post(
        "/api/v1/key-results/",
        {"objective": w["obj"].pk, "title": "Bad", "kind": "numeric", "baseline": "3", "target": "3"},
        format="json",
    )
    assert response.status_code == 400 and "target" in response.json()
    api.force_authenticate(w["cat"])
    response = api.post("/api/v1/check-ins/", {"key_result": w["kr"].pk, "confidence": "5"}, format="json")
    assert response.status_code == 400 and response.json() == {"key_result": ["No such key result."]}
    api.force_authenticate(w["hr"])
    response = api.post(
        "/api/v1/objectives/", {"period": Q3, "title": "HR's", "csm": w["ann"].pk}, format="json"
    )
    assert response.status_code == 403
    assert Objective.objects.filter(title="HR's").count() == 0
