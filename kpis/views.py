"""Scorecards, the team dashboard and the drill-down behind every number."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from accounts.access import get_visible_or_404
from accounts.models import Role, Segment, Team, User
from accounts.requests import PersonRequest
from activity.models import AdvocacyKind, HealthBand, TouchpointKind
from core import dates, spreadsheets
from kpis import dashboard, explaining, pagecache, scorecards, selectors
from kpis import expected_method as method_page
from kpis.engine import drilldown
from kpis.periods import Period, PeriodError
from kpis.registry import REGISTRY
from kpis.templatetags.kpi_format import number


def _period(request: HttpRequest) -> Period:
    text = request.GET.get("period")
    if not text:
        return scorecards.default_period()
    try:
        return Period.parse(text)
    except PeriodError as exc:
        messages.warning(request, str(exc))
        return scorecards.default_period()


def _period_choices(period: Period) -> list[str]:
    """The current quarter and the 7 before it, the current month and the 11 before it: never a
    period that has not started."""
    current = scorecards.default_period()
    quarters = [str(p) for p in reversed(current.last(8))]
    months = [str(p) for p in reversed(Period.containing(timezone.localdate(), "month").last(12))]
    options = quarters + months
    if str(period) not in options:
        options.insert(0, str(period))
    return options


def _visible_csm(request: HttpRequest, user_id: int) -> User:
    return get_visible_or_404(
        request=request,
        visible=User.objects.visible_to(request.user).filter(role=Role.CSM).select_related("team"),
        pk=user_id,
        what="scorecard",
    )


@login_required
def my_scorecard(request: PersonRequest) -> HttpResponse:
    if request.user.role != Role.CSM:
        return redirect("team-list")
    return _scorecard(request, request.user)


@login_required
def scorecard(request: PersonRequest, user_id: int) -> HttpResponse:
    return _scorecard(request, _visible_csm(request, user_id))


def _scorecard(request: HttpRequest, csm: User) -> HttpResponse:
    period = _period(request)
    # The card is only built when its cached fragment is missing (kpis.pagecache).
    card = SimpleLazyObject(lambda: scorecards.scorecard(csm=csm, period=period))
    return render(
        request,
        "kpis/scorecard.html",
        {
            "card": card,
            "freshness": scorecards.freshness(period),
            "cache_version": pagecache.version(),
            "fragment_seconds": pagecache.FRAGMENT_SECONDS,
            "period": period,
            "periods": _period_choices(period),
            "csm": csm,
        },
    )


@login_required
def explain(request: PersonRequest, user_id: int, metric: str) -> HttpResponse:
    csm = _visible_csm(request, user_id)
    if metric not in REGISTRY:
        raise Http404(_("Unknown metric"))
    period = _period(request)
    # Counted to the day of the published value (a period in progress is stored to date).
    explanation = selectors.kpi_explain(csm=csm, metric=metric, period=period)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{metric}-{period}-{csm.pk}.csv"'
        writer = spreadsheets.writer(response)
        writer.writerow(explanation.columns)
        writer.writerows(explanation.rows)
        return response
    col = explanation.account_column
    numeric = _numeric_columns(explanation)
    account_ids = selectors.account_ids_by_external_id(
        [] if col is None else [r[col] for r in explanation.rows]
    )
    return render(
        request,
        "kpis/explain.html",
        {
            "csm": csm,
            "period": period,
            "metric": REGISTRY[metric],
            "explanation": explanation,
            "columns": _columns(explanation, numeric),
            "rows": [_cells(explanation, row, numeric, account_ids) for row in _rows_in_words(explanation)],
            "totals": [
                _cells(explanation, row, numeric, {}, total=True)
                for row in _in_words(explanation, explanation.totals)
            ],
            "adds_up": explaining.adds_up(explanation),
            "lift_story": selectors.lift_story(csm=csm, metric=metric, period=period),
            "has_times": any(isinstance(c, datetime.datetime) for r in explanation.rows for c in r),
            "csv_url": reverse("explain", args=[csm.pk, metric]) + f"?period={period}&format=csv",
        },
    )


def _columns(explanation: drilldown.Explanation, numeric: set[int]) -> list[dict]:
    """The page's columns: the account's id and name make one (the CSV keeps both)."""
    col = explanation.account_column
    columns = [{"text": c, "num": i in numeric} for i, c in enumerate(explanation.columns)]
    return columns if col is None else columns[: col + 1] + columns[col + 2 :]


def _numeric_columns(explanation: drilldown.Explanation) -> set[int]:
    """The columns holding numbers (aligned right): those where some row has one."""
    return {
        i
        for row in explanation.rows
        for i, cell in enumerate(row)
        if isinstance(cell, Decimal | int) and not isinstance(cell, bool)
    }


def _cells(
    explanation: drilldown.Explanation, row: list, numeric: set[int], account_ids: dict[str, int], total=False
) -> list[dict]:
    """A row as the page shows it: the account by its name (a link to it), its id beside it. In a
    total row the two cells say what is counted ("Total: 24 accounts"). Numbers align right."""
    cells = [{"text": cell, "num": i in numeric} for i, cell in enumerate(row)]
    col = explanation.account_column
    if col is None:
        return cells
    ext, name = row[col], row[col + 1]
    account = {"text": name or ext, "id": ext if name else "", "href": ""}
    if total:
        account = {"text": ": ".join(str(c) for c in (ext, name) if c), "id": "", "href": ""}
    elif ext in account_ids:
        account["href"] = reverse("account-detail", args=[account_ids[ext]])
    return [*cells[:col], account, *cells[col + 2 :]]


def _rows_in_words(explanation: drilldown.Explanation) -> list[list]:
    return _in_words(explanation, explanation.rows)


def _in_words(explanation: drilldown.Explanation, rows: list[list]) -> list[list]:
    """The page's cells as people read them (its CSV keeps the values): a date "26 Nov 2026", a
    moment in the reader's time zone, a kind or a band by its label ("Case study", not case_study)."""
    metric = explanation.metric
    labels = {}
    if metric == "referrals":
        labels = {3: dict(AdvocacyKind.choices)}
    elif metric == "touchpoints":
        labels = {3: dict(TouchpointKind.choices)}
    elif metric in drilldown.HEALTH or metric == "health_mix_change":
        labels = {4: dict(HealthBand.choices)}

    def said(i: int, cell):
        if isinstance(cell, datetime.datetime):
            return dates.moment(cell)
        if isinstance(cell, datetime.date):
            return dates.day(cell)
        if isinstance(cell, Decimal):
            return number(cell, 2)
        if isinstance(cell, int) and not isinstance(cell, bool):
            return number(cell, 0)
        return labels[i].get(cell, cell) if i in labels and isinstance(cell, str) else cell

    return [[said(i, cell) for i, cell in enumerate(row)] for row in rows]


@login_required
def team_list(request: PersonRequest) -> HttpResponse:
    if request.user.role == Role.CSM:
        raise Http404
    teams = Team.objects.visible_to(request.user).select_related("manager").order_by("name")
    if request.user.role == Role.MANAGER and len(teams) == 1:
        return redirect("team-detail", team_id=teams[0].pk)
    return render(request, "kpis/team_list.html", {"teams": teams})


def _csv_number(value, metric) -> str:
    """A dashboard value as a spreadsheet reads it: no grouping, no unit (the header names it), a
    count without decimals, everything else with two ("96.97", "-100.00"); a median between two
    counts keeps its half ("3.50"), as on the page."""
    if value is None:
        return ""
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    if metric.unit == "count" and value == value.to_integral():
        return str(int(value))
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _team_csv(board: dashboard.TeamDashboard) -> HttpResponse:
    """The dashboard as shown (rows in their order, the median and roll-up rows), as CSV: plain
    numbers, a column per metric, the segment and the metrics with few data in words; formulas
    neutralised. It starts with a UTF-8 byte order mark so that spreadsheets read accented names."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"team-{board.team.pk}-{board.period}{'-' + board.segment if board.segment else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")
    writer = spreadsheets.writer(response)
    lift_header = []
    for _outcome, name in board.lift_columns:
        lift_header += [
            _("Lift in %(name)s (points)") % {"name": name},
            _("Lift in %(name)s, 90 %% interval low") % {"name": name},
            _("Lift in %(name)s, 90 %% interval high") % {"name": name},
        ]
    pp = REGISTRY["nrr_lift"]

    def lifts(found: dict) -> list[str]:
        """The lift columns: the three numbers, or three empty cells without a lift."""
        out = []
        for outcome, _name in board.lift_columns:
            lift = found.get(outcome)
            out += [_csv_number(getattr(lift, k, None), pp) for k in ("value", "low", "high")]
        return out

    writer.writerow(
        [_("CSM"), _("email"), _("segment")]
        + [
            f"{m.name} ({settings.CURRENCY if m.unit == 'money' else (m.unit_label or m.unit)})"
            for m in board.metrics
        ]
        + lift_header
        + [_("few data")]
    )
    for row in board.rows:
        few = [str(m.name) for m in board.metrics if row.cells[m.key].few]
        # Each row of the board is a CSM's (only the roll-up row, written apart, has none).
        csm = row.csm
        writer.writerow(
            [row.label, csm.email if csm else "", csm.get_segment_display() if csm else ""]
            + [_csv_number(row.cells[m.key].value, m) for m in board.metrics]
            + lifts(board.lifts.get(csm.pk, {}) if csm else {})
            + ["; ".join(few)]
        )
    writer.writerow(
        [_("Median"), "", ""]
        + [_csv_number(board.medians.get(m.key), m) for m in board.metrics]
        + [""] * len(lift_header)
        + [""]
    )
    segment = dict(Segment.choices).get(board.segment, _("All segments"))
    writer.writerow(
        [_("%(team)s (roll-up)") % {"team": board.rollup.label}, "", segment]
        + [_csv_number(board.rollup.cells[m.key].value, m) for m in board.metrics]
        + lifts(board.rollup_lifts)
        + [""]
    )
    return response


@login_required
def team_detail(request: PersonRequest, team_id: int) -> HttpResponse:
    if request.user.role == Role.CSM:
        raise Http404
    team = get_object_or_404(Team.objects.visible_to(request.user), pk=team_id)
    period = _period(request)
    segment = request.GET.get("segment", "")
    if segment not in Segment.values:
        segment = ""
    sort = request.GET.get("sort", "")
    if sort.lstrip("-") not in dashboard.DASHBOARD_METRICS:
        sort = ""
    if request.GET.get("format") == "csv":
        return _team_csv(dashboard.team_dashboard(team=team, period=period, segment=segment, sort=sort))
    board = SimpleLazyObject(
        lambda: dashboard.team_dashboard(team=team, period=period, segment=segment, sort=sort)
    )
    return render(
        request,
        "kpis/team_detail.html",
        {
            "board": board,
            "team": team,
            "segment": segment,
            "sort": sort,
            "freshness": scorecards.freshness(period),
            "cache_version": pagecache.version(),
            "fragment_seconds": pagecache.FRAGMENT_SECONDS,
            "period": period,
            "periods": _period_choices(period),
            "segments": Segment.choices,
        },
    )


@login_required
def expected_method(request: PersonRequest) -> HttpResponse:
    """How expected results are computed: the organisation's model of a quarter (no CSM's data), for
    everyone who can see scorecards (an integration's account cannot)."""
    if request.user.role == Role.SERVICE:
        raise Http404
    period = _period(request)
    if not period.is_quarter:
        period = Period.containing(period.start, "quarter")
    quarters = [str(p) for p in reversed(scorecards.default_period().last(8))]
    if str(period) not in quarters:
        quarters.insert(0, str(period))
    return render(
        request,
        "kpis/expected_method.html",
        {"method": method_page.method(period), "period": period, "periods": quarters},
    )
