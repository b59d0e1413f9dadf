"""OKR pages: the row redrawn whole after a check-in, milestones that keep their state,
the check-in history with its chart, the team page as a collapsible tree, HR reaching every team."""

import pytest
from django.urls import reverse

from okrs import services
from tests import factories
from tests.kpis import world

Q3 = "2026-Q3"


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    w["manager_a"] = w["team_a"].manager
    w["hr"] = factories.HrFactory(email="hr@example.com")
    w["team_obj"] = services.objective_create(
        user=w["manager_a"], period=Q3, title="Keep them", team=w["team_a"]
    )
    w["obj"] = services.objective_create(
        user=w["ann"], period=Q3, title="Grow", csm=w["ann"], parent=w["team_obj"]
    )
    w["kr"] = services.key_result_create(
        user=w["ann"], objective=w["obj"], title="Plans", kind="numeric", baseline=0, target=10
    )
    w["ms"] = services.key_result_create(
        user=w["ann"], objective=w["obj"], title="Kick-off", kind="milestone"
    )
    return w


def test_a_check_in_answers_the_whole_row(client, w):
    client.force_login(w["ann"])
    url = reverse("okrs-check-in", args=[w["kr"].pk])
    client.post(url, {"value": "2", "confidence": "5", "note": "slow start"}, HTTP_ACCEPT="application/json")
    data = client.post(
        url, {"value": "4", "confidence": "7", "note": "picking up"}, HTTP_ACCEPT="application/json"
    ).json()
    row = data["row_html"]
    assert row.startswith(f'<tr id="kr-{w["kr"].pk}"')
    assert "confidence 7/10" in row and "picking up" in row  # the last check-in, fresh
    assert "History (2 check-ins)" in row and "slow start" in row  # the history, oldest first
    assert row.index("slow start") < row.index("picking up", row.index("History"))
    # Its chart, an image (the page's CSP refuses pygal's inline <style>) described for screen readers.
    assert '<img class="chart-img" src="data:image/svg+xml;base64,' in row and 'alt="' in row
    assert 'value="0.40"' in row and data["objective_score"] == "0.20"


def test_a_done_milestone_stays_done_after_reload(client, w):
    client.force_login(w["ann"])
    client.post(reverse("okrs-check-in", args=[w["ms"].pk]), {"done": "yes", "confidence": "9"})
    html = client.get(reverse("okrs-mine") + f"?period={Q3}").content.decode()
    row = html.split(f'id="kr-{w["ms"].pk}"')[1].split("</form>")[0]
    assert '<option value="yes" selected>' in row and '<option value="no">' in row
    # Saving again without touching the select keeps it done.
    client.post(reverse("okrs-check-in", args=[w["ms"].pk]), {"done": "yes", "confidence": "9"})
    w["ms"].refresh_from_db()
    assert w["ms"].done


def test_the_team_page_is_a_tree(client, w):
    client.force_login(w["manager_a"])
    html = client.get(reverse("okrs-team", args=[w["team_a"].pk]) + f"?period={Q3}").content.decode()
    tree = html.split('<ul class="okr-tree">')[1]
    root = tree.index(f'id="tree-{w["team_obj"].pk}"')
    child = tree.index(f'id="tree-{w["obj"].pk}"')
    assert root < tree.index('<ul class="children">') < child
    assert "<details open" in tree and 'class="scorebar' in tree


def test_hr_reaches_every_teams_okrs(client, w):
    client.force_login(w["hr"])
    html = client.get(reverse("okrs-team", args=[w["team_a"].pk]) + f"?period={Q3}").content.decode()
    picker = html.split('class="teampicker"')[1].split("</nav>")[0]
    assert reverse("okrs-team", args=[w["team_b"].pk]) in picker and 'aria-current="page"' in picker
    assert client.get(reverse("okrs-team", args=[w["team_b"].pk])).status_code == 200
    teams = client.get(reverse("team-list")).content.decode()
    assert reverse("okrs-team", args=[w["team_b"].pk]) in teams
