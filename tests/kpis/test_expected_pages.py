"""Where expected results show: the scorecard's lines, the team dashboard's lift columns, the
drill-down of an expected figure and the page "How expected results are computed".

The organisation is the hand-worked one of test_expected.py (its docstring works the numbers): ann
15 good + 5 poor accounts, all still paying; bob 5 good + 15 poor, 6 poor lost. A good account is
expected to still pay 95 % of the time, a poor one 70 %.

    ann: expected 88.75 %, actual 100.00 %, lift +3.32, 90 % interval −2.61 to +9.25
    bob: expected 76.25 %, actual 70.00 %, lift -1.12, 90 % interval -7.52 to +5.28
    the team (the only one, shrunk alone): raw lift 85 - 82.5 = +2.5, sampling variance
      (20 x 0.95 x 0.05 + 20 x 0.7 x 0.3) / 40^2 x 10^4 = 32.1875 > 2.5^2: tau^2 = 0, so its lift is
      0.00 with the interval 0.00 to 0.00.
"""

import csv
import io
import re
from html import unescape

import pytest
from django.urls import reverse

from kpis import services
from kpis.periods import Period
from tests import factories
from tests.kpis.test_expected import Q3, hand  # noqa: F401 (the fixture)


def text(response) -> str:
    """The page's text, tags removed, spaces collapsed."""
    html = unescape(response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" ,", ",").replace(" :", ":")


def line(response, outcome: str) -> str:
    html = response.content.decode()
    found = re.search(rf'<li data-outcome="{outcome}">(.*?)</li>', html, re.S)
    assert found, outcome
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).replace(" ,", ",").replace(" :", ":")


@pytest.fixture
def computed(hand):  # noqa: F811
    services.kpi_run_compute(period=Q3)
    return hand


def test_the_scorecard_reads_retention_against_the_expected(client, computed):
    client.force_login(computed["ann"])
    response = client.get(reverse("my-scorecard") + "?period=2026-Q3")
    assert response.status_code == 200
    said = line(response, "logo_retention")
    assert said.strip() == (
        "Account retention: expected 88.75%, actual 100.00%: +3.32 points, 90 % interval −2.61 to +9.25"
    )
    assert line(response, "nrr").strip() == (
        "MRR retention (NRR): expected 88.75%, actual 100.00%: +1.35 points, 90 % interval −3.67 to +6.38"
    )
    assert "Gross revenue retention (GRR): expected 88.75%" in line(response, "gross_retention")
    html = response.content.decode()
    pk = computed["ann"].pk
    for key in ("logo_retention_expected", "logo_retention_lift", "nrr_expected"):
        assert reverse("explain", args=[pk, key]) + "?period=2026-Q3" in html, key
    assert reverse("expected-method") + "?period=2026-Q3" in html


def test_a_lift_without_enough_data_says_why_and_shows_no_number(client, computed, settings):
    settings.KPI_EXPECTED_MIN_BOOK = 21  # both books hold 20 starting accounts
    services.kpi_run_compute(period=Q3)
    client.force_login(computed["bob"])
    said = line(client.get(reverse("my-scorecard") + "?period=2026-Q3"), "logo_retention")
    assert said.strip() == (
        "Account retention: expected 76.25%, actual 70.00%: "
        "Not enough data: 20 starting accounts, at least 21 needed."
    )
    assert "points" not in said and "interval" not in said


def test_a_month_has_no_expected_lines(client, computed):
    client.force_login(computed["ann"])
    response = client.get(reverse("my-scorecard") + "?period=2026-08")
    assert response.status_code == 200 and 'id="expected-results"' not in response.content.decode()


def test_the_team_dashboard_shows_each_lift_with_its_interval_never_sorted(client, computed):
    client.force_login(computed["team"].manager)
    url = reverse("team-detail", args=[computed["team"].pk]) + "?period=2026-Q3"
    response = client.get(url)
    html = response.content.decode()
    cells = re.findall(r'<td class="num lift" data-lift="logo_retention">(.*?)</td>', html, re.S)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    # ann, bob (by name), then the team's roll-up.
    assert cells == ["+3.32 (−2.61 to +9.25)", "−1.12 (−7.52 to +5.28)", "0.00 (0.00 to 0.00)"]
    assert reverse("explain", args=[computed["ann"].pk, "logo_retention_lift"]) in html
    # Beside the raw account retention they read.
    head = re.findall(
        r"<th scope=\"col\"[^>]*>(.*?)</th>", html.split("<thead>")[1].split("</thead>")[0], re.S
    )
    head = [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in head]
    at = head.index("Account retention")
    assert head[at + 1 : at + 4] == [
        "Lift in account retention (90 % interval)",
        "Lift in gross revenue retention (90 % interval)",
        "Lift in net revenue retention (90 % interval)",
    ]
    # The lift's header is no sorting link, and asking to sort by it changes nothing.
    assert "sort=logo_retention_lift" not in html and "sort=-logo_retention_lift" not in html
    sorted_html = client.get(url + "&sort=-logo_retention_lift").content.decode()
    order = re.findall(r'data-lift="logo_retention">(.*?)</td>', sorted_html, re.S)
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in order] == cells


def test_the_team_csv_carries_the_lifts_and_their_intervals(client, computed):
    client.force_login(computed["team"].manager)
    url = reverse("team-detail", args=[computed["team"].pk]) + "?period=2026-Q3&format=csv"
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig"))))
    start = rows[0].index("Lift in account retention (points)")
    assert rows[0][start : start + 3] == [
        "Lift in account retention (points)",
        "Lift in account retention, 90 % interval low",
        "Lift in account retention, 90 % interval high",
    ]
    by_email = {r[1]: r[start : start + 3] for r in rows[1:]}
    assert by_email["ann@example.com"] == ["3.32", "-2.61", "9.25"]
    assert by_email["bob@example.com"] == ["-1.12", "-7.52", "5.28"]
    assert rows[-1][start : start + 3] == ["0.00", "0.00", "0.00"]  # the team, shrunk alone
    assert rows[-2][start : start + 3] == ["", "", ""]  # no median of lifts


def test_the_team_dashboard_says_why_a_lift_is_missing(client, computed, settings):
    settings.KPI_EXPECTED_MIN_BOOK = 21
    services.kpi_run_compute(period=Q3)
    client.force_login(computed["team"].manager)
    html = client.get(reverse("team-detail", args=[computed["team"].pk]) + "?period=2026-Q3").content.decode()
    cell = re.findall(r'data-lift="nrr">(.*?)</td>', html, re.S)[0]
    assert "not enough data" in cell
    assert "Not enough data: 20 starting accounts, at least 21 needed." in cell
    assert not re.search(r"\d+\.\d\d", cell.replace("20 ", "").replace("21 ", ""))


def test_the_drill_down_of_an_expected_figure_adds_up(client, computed):
    client.force_login(computed["bob"])
    pk = computed["bob"].pk
    response = client.get(reverse("explain", args=[pk, "gross_retention_expected"]) + "?period=2026-Q3")
    assert response.status_code == 200
    page = text(response)
    assert "Expected retained MRR $15,250.00 ÷ starting MRR $20,000.00 × 100 = 76.25%" in page, page[:2000]
    html = response.content.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1].split("</tbody>")[0], re.S)
    cells = [
        [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in rows
    ]
    assert len(cells) == 20
    # account, segment, health at the start, time since signing, starting MRR, expected %, expected, actual
    good = [c for c in cells if c[2] == "Good"]
    poor = [c for c in cells if c[2] == "Poor"]
    assert len(good) == 5 and len(poor) == 15
    assert {tuple(c[1:]) for c in good} == {
        ("SMB", "Good", "over 2 years", "1,000.00", "95.00", "950.00", "1,000.00")
    }
    assert {c[6] for c in poor} == {"700.00"} and sorted({c[7] for c in poor}) == ["0.00", "1,000.00"]
    total = re.sub(r"<[^>]+>|\s+", " ", html.split("<tfoot>")[1].split("</tfoot>")[0])
    assert re.sub(r"\s+", " ", total).split() == (
        ["Total:", "20", "accounts", "20,000.00", "76.25", "15,250.00", "14,000.00"]
    )


def test_the_drill_down_of_account_retention_counts_accounts(client, computed):
    client.force_login(computed["ann"])
    url = reverse("explain", args=[computed["ann"].pk, "logo_retention_lift"]) + "?period=2026-Q3"
    html = client.get(url).content.decode()
    total = re.sub(r"<[^>]+>|\s+", " ", html.split("<tfoot>")[1].split("</tfoot>")[0])
    assert total.split() == ["Total:", "20", "accounts", "20,000.00", "88.75", "20", "of", "20"]
    # How the lift came about, from the published values (weight 18.4375 / 62.5 = 0.295).
    assert (
        "Actual 100.00% − expected 88.75% = +11.25 points before allowing for luck; 29.5% of it is kept "
        "(by the book's size against the spread of every book's lifts): +3.32 points, 90 % interval −2.61 "
        "to +9.25." in " ".join(unescape(html).split())
    )


def test_the_method_page_explains_the_model_in_words(client, computed):
    client.force_login(computed["ann"])
    response = client.get(reverse("expected-method") + "?period=2026-Q3")
    assert response.status_code == 200
    page = text(response)
    assert (
        "Here an account in poor health at the quarter's start still pays at its end 70% of the time; "
        "in good health 95%." in page
    )
    # Health is the only input that varies: good and poor, for each outcome.
    assert page.count("Health at the quarter's start: Good 95%; Poor 70%") == 3
    assert "Fitted on Q3 2025 to Q2 2026 (4 quarters), 160 accounts counted once per quarter" in page
    assert "checked on Q2 2026, held out of a first fit" in page
    assert "Method version expected-1" in page
    assert (
        "On Q2 2026, held out, a model fitted on the quarters before it expected 82.5% over 40 accounts, "
        "and 82.5% happened: 0.0 points apart." in page
    )
    html = response.content.decode()
    assert html.count('src="data:image/svg+xml;base64,') == 3  # a calibration chart per outcome
    assert "data-withheld" not in html
    # The organisation's model only: no CSM, no account.
    for name in ("bob@example.com", computed["bob"].name, "Customer 1"):
        assert name not in html, name


def test_the_method_page_says_why_lifts_are_withheld(client, computed, settings):
    settings.KPI_EXPECTED_MAX_CALIBRATION_GAP = -1
    services.kpi_run_compute(period=Q3)
    client.force_login(computed["ann"])
    response = client.get(reverse("expected-method") + "?period=2026-Q3")
    page = text(response)
    assert response.content.decode().count("data-withheld") == 3
    assert page.count("Withheld: on the held-out quarter (Q2 2026)") == 3
    assert (
        "Withheld: on the held-out quarter (Q2 2026) the model expected net revenue retention of 82.5% "
        "and 82.5% happened, 0.0 points apart, more than the -1.0 allowed." in page
    )


def test_the_method_page_of_a_quarter_without_history(client, computed):
    services.kpi_run_compute(period=Period.parse("2025-Q4"))
    client.force_login(computed["ann"])
    # The drill-down lists the cohort it would be read on, and says why there is no expectation.
    drill = text(
        client.get(reverse("explain", args=[computed["ann"].pk, "nrr_expected"]) + "?period=2025-Q4")
    )
    assert "Not enough history: 1 earlier quarter with paying accounts, at least 2 needed." in drill
    page = text(client.get(reverse("expected-method") + "?period=2025-Q4"))
    assert "Not enough history: 1 earlier quarter with paying accounts, at least 2 needed." in page
    assert "What the model learned" not in page
    page = text(client.get(reverse("expected-method") + "?period=2024-Q1"))
    assert "No published KPI run of Q1 2024 yet" in page


@pytest.mark.parametrize("role", ["csm", "manager", "hr", "admin"])
def test_everyone_who_sees_scorecards_sees_the_method(client, computed, role):
    user = {
        "csm": computed["ann"],
        "manager": computed["team"].manager,
        "hr": factories.HrFactory(),
        "admin": factories.AdminFactory(),
    }[role]
    client.force_login(user)
    assert client.get(reverse("expected-method") + "?period=2026-Q3").status_code == 200


def test_the_method_page_is_closed_to_the_anonymous_and_integrations(client, computed):
    url = reverse("expected-method") + "?period=2026-Q3"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(factories.UserFactory(role="service"))
    assert client.get(url).status_code == 404
