"""OKR writes that must stay inside the site and the team: closing a quarter never redirects off
site; a CSM cannot align under another team's objective, and one they may not see looks missing."""

from django.urls import reverse
from rest_framework.test import APIClient

from okrs import services as okr_services
from okrs.models import Objective


def test_closing_a_quarter_never_redirects_off_site(client, org):
    client.force_login(org.hr)
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(reverse("okrs-close"), {"period": "2026-Q3", "next": target})
        assert response.status_code == 302 and response["Location"] == reverse("okrs-mine"), target
    response = client.post(reverse("okrs-close"), {"period": "2026-Q3", "next": "/okrs/?period=2026-Q3"})
    assert response["Location"] == "/okrs/?period=2026-Q3"


def test_a_csm_cannot_align_under_another_teams_objective_and_hidden_looks_like_missing(org):
    other = okr_services.objective_create(user=org.manager_b, period="2026-Q4", title="B's", team=org.team_b)
    api = APIClient()
    api.force_authenticate(org.csm_a)
    answers = []
    for parent in (other.pk, 999999):
        response = api.post(
            "/api/v1/objectives/",
            {"period": "2026-Q4", "title": "Mine", "csm": org.csm_a.pk, "parent": parent},
            format="json",
        )
        assert response.status_code == 400
        answers.append(response.json())
    assert answers[0] == answers[1] == {"parent": ["No such objective."]}
    assert Objective.objects.filter(title="Mine").count() == 0
    # Aligning under one's own team's objective works.
    mine = okr_services.objective_create(user=org.manager_a, period="2026-Q4", title="A's", team=org.team_a)
    response = api.post(
        "/api/v1/objectives/",
        {"period": "2026-Q4", "title": "Mine", "csm": org.csm_a.pk, "parent": mine.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
