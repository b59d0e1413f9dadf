"""OKRs that carry over: an objective not finished when its quarter closed goes on in the next one,
with its key results reset or kept, linked both ways; once only; nothing written on bad input."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from okrs import selectors, services
from okrs.models import KeyResult, Objective

Q3, Q4 = "2026-Q3", "2026-Q4"


@pytest.fixture
def grow(org):
    """CSM A's Q3 objective: a numeric key result 10 -> 20 checked in at 15 (progress 0.50) and a done
    milestone (1.00), weight 1 each: score (0.50 + 1.00) / 2 = 0.75. Then HR closes Q3."""
    objective = services.objective_create(user=org.csm_a, period=Q3, title="Grow the book", csm=org.csm_a)
    numeric = services.key_result_create(
        user=org.csm_a, objective=objective, title="Expansions", kind="numeric", baseline=10, target=20
    )
    services.check_in_create(
        user=org.csm_a, key_result=numeric, value=15, confidence=6, date=datetime.date(2026, 9, 1)
    )
    milestone = services.key_result_create(
        user=org.csm_a, objective=objective, title="QBR deck", kind="milestone"
    )
    services.check_in_create(
        user=org.csm_a, key_result=milestone, done=True, confidence=9, date=datetime.date(2026, 9, 2)
    )
    services.okr_quarter_close(user=org.hr, period=Q3)
    objective = Objective.objects.get(pk=objective.pk)
    assert selectors.objective_score(objective) == Decimal("0.75")
    return objective


def krs(objective):
    return [
        (k.title, k.baseline, k.target, k.current, k.done)
        for k in objective.key_results.order_by("position", "pk")
    ]


def test_carried_over_with_the_key_results_starting_again(org, grow):
    copy = services.objective_carry_over(user=org.csm_a, objective=grow, values="reset")
    assert (copy.period, copy.title, copy.csm, copy.carried_from) == (Q4, "Grow the book", org.csm_a, grow)
    assert krs(copy) == [
        ("Expansions", Decimal("10.00"), Decimal("20.00"), Decimal("10.00"), False),
        ("QBR deck", None, None, None, False),
    ]
    assert selectors.objective_score(copy) == Decimal("0.00")
    # The original keeps its frozen score and its key results.
    assert selectors.objective_score(Objective.objects.get(pk=grow.pk)) == Decimal("0.75")
    assert Objective.objects.get(pk=grow.pk).carried_into == copy


def test_carried_over_keeping_the_values(org, grow):
    copy = services.objective_carry_over(user=org.manager_a, objective=grow, values="keep")
    assert krs(copy) == [
        ("Expansions", Decimal("10.00"), Decimal("20.00"), Decimal("15.00"), False),
        ("QBR deck", None, None, None, True),
    ]
    assert selectors.objective_score(copy) == Decimal("0.75")  # (0.50 + 1.00) / 2, live again


def test_twice_is_refused_and_writes_nothing(org, grow):
    services.objective_carry_over(user=org.csm_a, objective=grow, values="reset")
    before = (Objective.objects.count(), KeyResult.objects.count())
    with pytest.raises(ValidationError, match="Already carried over into 2026-Q4"):
        services.objective_carry_over(user=org.csm_a, objective=grow, values="keep")
    assert (Objective.objects.count(), KeyResult.objects.count()) == before


@pytest.mark.parametrize("values", ["", "maybe", None])
def test_bad_values_are_refused_and_write_nothing(org, grow, values):
    with pytest.raises(ValidationError, match="start again or keep"):
        services.objective_carry_over(user=org.csm_a, objective=grow, values=values)
    assert not Objective.objects.filter(period=Q4).exists()


def test_an_open_quarter_a_finished_objective_and_a_closed_next_quarter_are_refused(org, grow):
    open_one = services.objective_create(user=org.csm_a, period=Q4, title="Open", csm=org.csm_a)
    with pytest.raises(ValidationError, match="once its quarter is closed"):
        services.objective_carry_over(user=org.csm_a, objective=open_one, values="reset")
    done = services.objective_create(user=org.csm_a, period="2026-Q2", title="Done", csm=org.csm_a)
    milestone = services.key_result_create(user=org.csm_a, objective=done, title="Ship", kind="milestone")
    services.check_in_create(
        user=org.csm_a, key_result=milestone, done=True, confidence=9, date=datetime.date(2026, 5, 1)
    )
    services.okr_quarter_close(user=org.hr, period="2026-Q2")
    with pytest.raises(ValidationError, match="finished"):
        services.objective_carry_over(user=org.csm_a, objective=done, values="reset")
    services.okr_quarter_close(user=org.hr, period=Q4)
    with pytest.raises(ValidationError, match="2026-Q4 is closed"):
        services.objective_carry_over(user=org.csm_a, objective=grow, values="reset")
    assert Objective.objects.filter(carried_from__isnull=False).count() == 0


@pytest.mark.parametrize("who", ["csm_a2", "hr", "manager_b"])
def test_only_who_may_edit_it_carries_it_over(org, grow, who):
    with pytest.raises(PermissionDenied):
        services.objective_carry_over(user=getattr(org, who), objective=grow, values="reset")
    assert not Objective.objects.filter(period=Q4).exists()


def test_a_team_objective_carried_first_takes_its_aligned_objectives_along(org):
    team = services.objective_create(user=org.manager_a, period=Q3, title="Team growth", team=org.team_a)
    mine = services.objective_create(user=org.csm_a, period=Q3, title="My part", csm=org.csm_a, parent=team)
    services.okr_quarter_close(user=org.hr, period=Q3)
    team_copy = services.objective_carry_over(user=org.manager_a, objective=team, values="reset")
    my_copy = services.objective_carry_over(user=org.csm_a, objective=mine, values="reset")
    assert my_copy.parent == team_copy


def test_both_pages_show_the_link_and_the_button_is_gone_after(org, grow, client):
    client.force_login(org.csm_a)
    page = client.get(reverse("okrs-mine") + f"?period={Q3}").content.decode()
    assert reverse("okrs-carry-over", args=[grow.pk]) in page
    response = client.post(reverse("okrs-carry-over", args=[grow.pk]), {"values": "keep"})
    copy = Objective.objects.get(carried_from=grow)
    assert response.status_code == 302 and response["Location"].endswith(f"?period={Q4}#objective-{copy.pk}")
    page = client.get(reverse("okrs-mine") + f"?period={Q3}").content.decode()
    assert f'href="?period={Q4}#objective-{copy.pk}"' in page and "Carried over into" in page
    assert reverse("okrs-carry-over", args=[grow.pk]) not in page
    page = client.get(reverse("okrs-mine") + f"?period={Q4}").content.decode()
    assert f'href="?period={Q3}#objective-{grow.pk}"' in page and "Carried over from" in page
    # A second post says why and changes nothing.
    response = client.post(reverse("okrs-carry-over", args=[grow.pk]), {"values": "keep"}, follow=True)
    assert "Already carried over" in response.content.decode()
    assert Objective.objects.filter(carried_from=grow).count() == 1
    # Another team's CSM may not see it.
    client.force_login(org.csm_b)
    assert client.post(reverse("okrs-carry-over", args=[grow.pk]), {"values": "keep"}).status_code == 404


def test_the_api_carries_over_and_links_both_ways(org, grow):
    api = APIClient()
    api.force_authenticate(org.csm_a)
    url = f"/api/v1/objectives/{grow.pk}/carry-over/"
    assert api.post(url, {"values": "sometimes"}, format="json").status_code == 400
    response = api.post(url, {"values": "reset"}, format="json")
    assert response.status_code == 201
    copy = response.json()
    assert copy["period"] == Q4 and copy["carried_from"] == grow.pk and copy["carried_into"] is None
    assert [k["current"] for k in copy["key_results"]] == ["10.00", None]
    assert api.get(f"/api/v1/objectives/{grow.pk}/").json()["carried_into"] == copy["id"]
    again = api.post(url, {"values": "reset"}, format="json")
    assert again.status_code == 400 and "Already carried over" in str(again.json())
    api.force_authenticate(org.hr)
    assert api.post(url, {"values": "reset"}, format="json").status_code == 403
