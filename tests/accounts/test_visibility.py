"""visible_to for every role against their own and another team's objects (docs/architecture.md, "Who uses it")."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import CustomerAccount, Team, User
from activity.models import Ticket, Touchpoint
from tests import factories


def emails(qs):
    return sorted(u.email for u in qs)


def test_csm_sees_only_themselves(org):
    assert emails(User.objects.visible_to(org.csm_a)) == ["csm.a@example.com"]


def test_manager_sees_self_and_own_team_not_other_team(org):
    assert emails(User.objects.visible_to(org.manager_a)) == [
        "csm.a2@example.com",
        "csm.a@example.com",
        "manager.a@example.com",
    ]
    assert emails(User.objects.visible_to(org.manager_b)) == [
        "csm.b@example.com",
        "manager.b@example.com",
    ]


@pytest.mark.parametrize("who", ["hr", "admin"])
def test_hr_and_admin_see_everyone(org, who):
    assert User.objects.visible_to(getattr(org, who)).count() == 7


def test_anonymous_and_inactive_see_nothing(org):
    assert User.objects.visible_to(AnonymousUser()).count() == 0
    org.manager_a.is_active = False
    org.manager_a.save()
    assert User.objects.visible_to(org.manager_a).count() == 0
    assert CustomerAccount.objects.visible_to(org.manager_a).count() == 0


def test_teams(org):
    assert list(Team.objects.visible_to(org.csm_a)) == [org.team_a]
    assert list(Team.objects.visible_to(org.manager_b)) == [org.team_b]
    assert Team.objects.visible_to(org.hr).count() == 2
    assert Team.objects.visible_to(AnonymousUser()).count() == 0


def account_ids(user):
    return sorted(a.external_id for a in CustomerAccount.objects.visible_to(user))


def test_accounts_by_role(org):
    assert account_ids(org.csm_a) == ["A-1"]
    assert account_ids(org.csm_a2) == ["A-2"]
    assert account_ids(org.csm_b) == ["B-1"]
    assert account_ids(org.manager_a) == ["A-1", "A-2"]
    assert account_ids(org.manager_b) == ["B-1"]
    assert account_ids(org.hr) == ["A-1", "A-2", "B-1"]
    assert account_ids(org.admin) == ["A-1", "A-2", "B-1"]


def test_a_reassigned_account_leaves_the_old_book(org):
    factories.AssignmentFactory(account=org.account_a, csm=org.csm_b, start_date="2025-06-01")
    assert account_ids(org.csm_a) == []
    assert account_ids(org.csm_b) == ["A-1", "B-1"]
    assert account_ids(org.manager_a) == ["A-2"]
    assert account_ids(org.manager_b) == ["A-1", "B-1"]


def test_facts_follow_their_account(org):
    factories.TicketFactory(account=org.account_a, external_id="TA")
    factories.TicketFactory(account=org.account_b, external_id="TB")
    factories.TouchpointFactory(account=org.account_b, csm=org.csm_b, external_id="PB")

    def ids(model, user):
        return sorted(model.objects.visible_to(user).values_list("external_id", flat=True))

    assert ids(Ticket, org.csm_a) == ["TA"]
    assert ids(Ticket, org.csm_b) == ["TB"]
    assert ids(Ticket, org.manager_a) == ["TA"]
    assert ids(Ticket, org.manager_b) == ["TB"]
    assert ids(Ticket, org.hr) == ["TA", "TB"]
    assert ids(Touchpoint, org.csm_a) == []
    assert ids(Touchpoint, org.manager_b) == ["PB"]
    assert ids(Ticket, AnonymousUser()) == []
