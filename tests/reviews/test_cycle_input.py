"""HR asks colleagues for input on every review of a cycle at once (issue 27): the plan and its
counts on a hand-made organisation worked out by hand, the confirmation page, the API operation,
asking twice, reviews past writing, and who may.

The organisation (``org``, cycle 2026-Q3 open without KPIs):

- CSM A owns Alpha all quarter and took Xeno from CSM B on 15 Aug. Alpha's account team: Ada Exec
  (account executive) and Sam Eng (solutions engineer). Manager A has asked Sam already, by hand.
  Suggestions in order: Ada, Sam (account team), CSM B (previous owner), CSM A2 (teammate).
  With 3 per review and Sam counting: Ada and CSM B are asked.
- CSM A2 owns Alder; Ada is its account executive. Suggestions: Ada, CSM A (teammate): both asked.
- CSM B's review is submitted already: skipped, though Sue leads Bravo's support.

So: 4 requests, to 3 people (Ada twice, CSM B, CSM A), on 2 reviews; 1 review past writing.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AccountTeamMember, Role
from notifications.selectors import todos_for
from reviews.cycles import services as cycle_services
from reviews.input import services as input_services
from reviews.models import InputRequest, Review, ReviewStatus
from tests import factories

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    cycle = cycle_services.cycle_create(
        user=org.hr, period="2026-Q3", self_review_due=D(2026, 10, 5), manager_review_due=D(2026, 10, 9)
    )
    xeno = factories.CustomerAccountFactory(external_id="X-1", name="Xeno", signed_on=D(2025, 1, 1))
    factories.AssignmentFactory(account=xeno, csm=org.csm_b, start_date=D(2025, 1, 1))
    factories.AssignmentFactory(account=xeno, csm=org.csm_a, start_date=D(2026, 8, 15))
    cycle_services.cycle_open(user=org.hr, cycle=cycle, confirm=True)
    people = {
        key: factories.UserFactory(email=f"{key}@example.com", name=name, role=Role.CONTRIBUTOR)
        for key, name in (("ada", "Ada Exec"), ("sam", "Sam Eng"), ("sue", "Sue Lead"))
    }
    for account, person, role in (
        (org.account_a, people["ada"], "account_executive"),
        (org.account_a, people["sam"], "solutions_engineer"),
        (org.account_a2, people["ada"], "account_executive"),
        (org.account_b, people["sue"], "support_lead"),
    ):
        AccountTeamMember.objects.create(account=account, person=person, role=role, start_date=D(2026, 1, 1))
    review_a = Review.objects.get(cycle=cycle, csm=org.csm_a)
    input_services.input_request_create(user=org.manager_a, review=review_a, contributor=people["sam"])
    Review.objects.filter(cycle=cycle, csm=org.csm_b).update(status=ReviewStatus.SUBMITTED)
    return cycle, people


def asked():
    return sorted(
        InputRequest.objects.values_list(
            "review__csm__name", "contributor__name", "source", "requested_by__name"
        )
    )


EXPECTED = [
    ("CSM A", "Ada Exec", "account_team", "HR"),
    ("CSM A", "CSM B", "previous_owner", "HR"),
    ("CSM A", "Sam Eng", "added", "Manager A"),
    ("CSM A2", "Ada Exec", "account_team", "HR"),
    ("CSM A2", "CSM A", "teammate", "HR"),
]


def test_the_plan_then_the_asking_and_twice_asks_nobody_twice(org, world):
    cycle, people = world
    plan = input_services.cycle_input_plan(user=org.hr, cycle=cycle)
    assert (plan.requests, plan.people, plan.reviews, plan.reviews_past_writing) == (4, 3, 2, 1)
    assert InputRequest.objects.count() == 1  # the plan only reads
    done = input_services.cycle_input_request_all(user=org.hr, cycle=cycle, expected=4)
    assert (done.requests, done.people) == (4, 3)
    assert asked() == EXPECTED
    # As when asked one by one: a to-do each (Ada: one per review).
    assert [t.text for t in todos_for(people["ada"])] == [
        "Give your input on the Q3 2026 review of CSM A",
        "Give your input on the Q3 2026 review of CSM A2",
    ]
    again = input_services.cycle_input_request_all(user=org.hr, cycle=cycle)
    assert (again.requests, again.people, again.reviews) == (0, 0, 0)
    assert asked() == EXPECTED


def test_a_smaller_cap_and_a_stale_confirmation(org, world):
    cycle, _people = world
    # One per review: CSM A has Sam already; CSM A2 gets Ada.
    assert input_services.cycle_input_plan(user=org.hr, cycle=cycle, per_review=1).requests == 1
    with pytest.raises(ValidationError, match="4 requests would go out now"):
        input_services.cycle_input_request_all(user=org.hr, cycle=cycle, expected=5)
    with pytest.raises(ValidationError, match="between 1 and 10"):
        input_services.cycle_input_plan(user=org.hr, cycle=cycle, per_review=0)
    assert InputRequest.objects.count() == 1


def test_only_hr_and_admins_ask_for_a_whole_cycle(org, world):
    cycle, people = world
    for outsider in (org.manager_a, org.csm_a, people["ada"]):
        with pytest.raises(PermissionDenied):
            input_services.cycle_input_plan(user=outsider, cycle=cycle)
        with pytest.raises(PermissionDenied):
            input_services.cycle_input_request_all(user=outsider, cycle=cycle)
    assert input_services.cycle_input_plan(user=org.admin, cycle=cycle).requests == 4
    draft = cycle_services.cycle_create(
        user=org.hr, period="2026-Q2", self_review_due=D(2026, 7, 5), manager_review_due=D(2026, 7, 9)
    )
    with pytest.raises(ValidationError, match="open cycle"):
        input_services.cycle_input_plan(user=org.hr, cycle=draft)
    assert InputRequest.objects.count() == 1


def test_the_cycle_page_confirms_the_numbers_then_asks(client, org, world):
    cycle, _people = world
    client.force_login(org.hr)
    page = client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    url = reverse("cycle-ask-input", args=[cycle.pk])
    assert url in page and "Ask colleagues for input on every review" in page
    confirm = client.get(url).content.decode()
    assert "4 requests will go out to 3 people, on 2 reviews." in confirm
    assert "1 review is submitted already" in confirm
    assert "This cycle's input is named" in confirm
    assert "Ada Exec" in confirm and "Owned Xeno until 14 Aug 2026" in confirm
    # A stale number asks nobody and sends back to the confirmation.
    stale = client.post(url, {"expected": "3"}, follow=True).content.decode()
    assert "4 requests would go out now" in stale and InputRequest.objects.count() == 1
    done = client.post(url, {"expected": "4"}, follow=True).content.decode()
    assert "4 requests for input sent to 3 people" in done
    assert asked() == EXPECTED
    assert "Nobody new to ask" in client.get(url).content.decode()
    assert "Nobody new to ask" in client.post(url, {"expected": "0"}, follow=True).content.decode()
    assert asked() == EXPECTED


def test_the_confirmation_states_anonymous_input(client, org, world):
    cycle, _people = world
    input_services.cycle_set_input_anonymity(user=org.hr, cycle=cycle, anonymous=True)
    client.force_login(org.admin)
    confirm = client.get(reverse("cycle-ask-input", args=[cycle.pk])).content.decode()
    assert "This cycle's input is anonymous" in confirm


def test_other_roles_find_no_such_page(client, org, world):
    cycle, people = world
    url = reverse("cycle-ask-input", args=[cycle.pk])
    for person in (org.manager_a, org.csm_a, people["ada"]):
        client.force_login(person)
        assert client.get(url).status_code == 404
        assert client.post(url, {"expected": "4"}).status_code == 404
    assert InputRequest.objects.count() == 1


def test_the_api_operation(org, world):
    cycle, _people = world
    api = APIClient()
    url = f"/api/v1/cycles/{cycle.pk}/ask-input/"
    api.force_authenticate(org.manager_a)
    assert api.post(url, {}, format="json").status_code == 403
    api.force_authenticate(org.hr)
    bad = api.post(url, {"per_review": 11}, format="json")
    assert bad.status_code == 400 and "per_review" in bad.json()
    dry = api.post(url, {"dry_run": True}, format="json")
    assert dry.status_code == 200
    assert dry.json() == {
        "requests": 4,
        "people": 3,
        "reviews": 2,
        "reviews_past_writing": 1,
        "dry_run": True,
    }
    stale = api.post(url, {"expected": 2}, format="json")
    assert stale.status_code == 400 and "4 requests would go out now" in stale.json()["expected"][0]
    assert InputRequest.objects.count() == 1
    sent = api.post(url, {"expected": 4}, format="json")
    assert sent.status_code == 200 and sent.json()["requests"] == 4
    assert asked() == EXPECTED
    again = api.post(url, {}, format="json")
    assert again.json() == {
        "requests": 0,
        "people": 0,
        "reviews": 0,
        "reviews_past_writing": 1,
        "dry_run": False,
    }
    assert api.post("/api/v1/cycles/999999/ask-input/", {}, format="json").status_code == 404


def test_a_colleague_on_fifteen_accounts_is_named_with_two_and_a_count(client, org, world):
    """Lea leads support on 15 accounts of CSM A2's book: the confirmation names the first two (by
    name) and counts the 13 others, in the reader's language, instead of listing all fifteen."""
    cycle, _people = world
    lea = factories.UserFactory(email="lea@example.com", name="Lea Lead", role=Role.CONTRIBUTOR)
    for name in ["Globex", "Acme"] + [f"Hooli {i:02d}" for i in range(1, 14)]:
        account = factories.CustomerAccountFactory(
            external_id=f"L-{name}", name=name, signed_on=D(2025, 1, 1)
        )
        factories.AssignmentFactory(account=account, csm=org.csm_a2, start_date=D(2025, 1, 1))
        AccountTeamMember.objects.create(
            account=account, person=lea, role="support_lead", start_date=D(2026, 1, 1)
        )
    client.force_login(org.hr)
    url = reverse("cycle-ask-input", args=[cycle.pk])
    confirm = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Support lead on Acme, Globex and 13 more accounts" in confirm
    assert "Hooli" not in confirm
    assert "Account executive on Alder" in confirm  # one account: named, no count
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Acme, Globex y 13 cuentas más" in spanish
    turkish = client.get(url, HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert "Acme, Globex ve 13 hesap daha" in turkish
