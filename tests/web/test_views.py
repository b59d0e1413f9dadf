import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_with_email_and_password_lands_on_home(client, org):
    response = client.post(
        reverse("login"), {"username": "manager.a@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    page = client.get(reverse("home")).content.decode()
    assert "Team A" in page
    assert "csm.a2@example.com" in page
    assert "csm.b@example.com" not in page


def test_wrong_password_is_refused(client, org):
    response = client.post(reverse("login"), {"username": "csm.a@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("who", "present", "absent"),
    [
        ("csm_a", ["My book of accounts", "Alpha"], ["Bravo", "Alder"]),
        ("csm_b", ["My book of accounts", "Bravo"], ["Alpha"]),
        ("manager_b", ["Team B", "csm.b@example.com"], ["Team A", "csm.a@example.com"]),
        ("hr", ["Team A", "Team B", "Customer accounts"], ["Open the Django admin"]),
        ("admin", ["Team A", "Team B", "Open the Django admin"], []),
    ],
)
def test_home_page_per_role(client, org, who, present, absent):
    client.force_login(getattr(org, who))
    page = client.get(reverse("home")).content.decode()
    for text in present:
        assert text in page
    for text in absent:
        assert text not in page


def test_logout(client, org):
    client.force_login(org.csm_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_each_fact_admin_browses_by_the_facts_own_day_or_moment():
    from django.contrib import admin

    from activity import models as facts

    by_date = {
        model.__name__: admin.site._registry[model].date_hierarchy
        for model in (
            facts.RevenueEvent,
            facts.Ticket,
            facts.SurveyResponse,
            facts.UsageSnapshot,
            facts.HealthSnapshot,
            facts.AdvocacyEvent,
            facts.Touchpoint,
        )
    }
    assert by_date == {
        "RevenueEvent": "date",
        "Ticket": "opened_at",
        "SurveyResponse": "responded_at",
        "UsageSnapshot": "date",
        "HealthSnapshot": "date",
        "AdvocacyEvent": "date",
        "Touchpoint": "occurred_at",
    }


def test_admin_reachable_by_admin_only(client, org):
    client.force_login(org.admin)
    assert client.get("/admin/accounts/customeraccount/").status_code == 200
    assert client.get("/admin/activity/ticket/").status_code == 200
    client.force_login(org.csm_a)
    assert client.get("/admin/accounts/customeraccount/").status_code == 302


@pytest.mark.parametrize(
    ("who", "present", "absent"),
    [
        ("csm_a", ["my-scorecard", "okrs-mine", "review-list"], ["team-list", "cycle-list", "import-list"]),
        ("manager_a", ["team-list", "okrs-mine", "review-list"], ["my-scorecard", "cycle-list"]),
        ("hr", ["team-list", "cycle-list"], ["import-list", "admin:index"]),
        ("admin", ["team-list", "cycle-list", "import-list", "admin:index", "api-docs"], ["my-scorecard"]),
    ],
)
def test_navigation_per_role(client, org, who, present, absent):
    client.force_login(getattr(org, who))
    links = [url for _, url in client.get(reverse("home")).context["nav_items"]]
    assert links[0] == reverse("home")
    for name in present:
        assert reverse(name) in links
    for name in absent:
        assert reverse(name) not in links
