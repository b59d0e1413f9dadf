"""Reads of the KPI engine: published values, exports and the explain drill-down."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from accounts.models import Assignment, CustomerAccount, User
from activity.models import AdvocacyEvent, HealthSnapshot, SurveyResponse, Ticket, Touchpoint, UsageSnapshot
from kpis import compute
from kpis.models import KpiRun, KpiValue, RunStatus, SubjectType
from kpis.periods import Period, day_start
from kpis.registry import REGISTRY

EXPORT_COLUMNS = (
    "subject",
    "period",
    "metric",
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "computed_at",
)


def kpi_values(*, user: User, period: Period, level: str = SubjectType.CSM) -> QuerySet[KpiValue]:
    """Published values of a period at one level, as ``user`` may see them."""
    return (
        KpiValue.objects.visible_to(user)
        .filter(period=str(period), subject_type=level)
        .select_related("csm", "team")
        .order_by("subject_key", "metric")
    )


def subject_label(value: KpiValue) -> str:
    if value.subject_type == SubjectType.CSM:
        return value.csm.email
    if value.subject_type == SubjectType.TEAM:
        return value.team.name
    return value.segment


def kpi_export_rows(*, user: User, period: Period, level: str = SubjectType.CSM) -> Iterator[dict[str, Any]]:
    """One row per subject and metric (DATA_CONTRACT.md, "What goes out")."""
    for v in kpi_values(user=user, period=period, level=level).iterator(chunk_size=2000):
        yield {
            "subject": subject_label(v),
            "period": v.period,
            "metric": v.metric,
            "value": None if v.value is None else format(v.value, "f"),
            "numerator": None if v.numerator is None else format(v.numerator.normalize(), "f"),
            "denominator": None if v.denominator is None else format(v.denominator.normalize(), "f"),
            "sample_size": v.sample_size,
            "computed_at": v.computed_at.isoformat(),
        }


def latest_run(*, period: Period | None = None) -> KpiRun | None:
    qs = KpiRun.objects.all()
    if period is not None:
        qs = qs.filter(period=str(period))
    return qs.order_by("-started_at", "-pk").first()


def latest_published_run(*, period: Period) -> KpiRun | None:
    return (
        KpiRun.objects.filter(period=str(period), status=RunStatus.PUBLISHED).order_by("-finished_at").first()
    )


# --- explain -----------------------------------------------------------------------------------


@dataclass
class Explanation:
    metric: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


REVENUE = {
    "portfolio_growth",
    "portfolio_growth_rate",
    "nrr",
    "gross_retention",
    "logo_retention",
    "starting_mrr",
}
BOOK = {"book_size", "arr_managed"}
TICKETS = {
    "tickets_per_account",
    "ticket_reduction",
    "first_response_hours",
    "first_contact_resolution",
    "contacts_to_resolve",
    "escalation_rate",
}
SURVEYS = {"nps": "nps", "nps_change": "nps", "csat": "csat"}
HEALTH = {"health_good_share", "health_average_share", "health_poor_share", "health_mix_change"}
STICKINESS = {"stickiness", "stickiness_change"}


def kpi_explain(*, csm: User, metric: str, period: Period, as_of: datetime.date | None = None) -> Explanation:
    """The rows behind one number of one CSM (METRICS.md attribution rules, same as the engine)."""
    if metric not in REGISTRY:
        raise KeyError(metric)
    # Owner(a, d) = this CSM only for accounts this CSM was ever assigned: look at those alone.
    mine = frozenset(Assignment.objects.filter(csm=csm).values_list("account_id", flat=True))
    inputs = compute.Inputs(
        period=period, as_of=as_of if as_of and as_of < period.end else None, accounts=mine
    )
    if metric in REVENUE:
        return _explain_revenue(inputs, csm, metric)
    if metric in BOOK:
        rows = [
            [a.external_id, a.name, _money(inputs.mrr(a.pk, "before_end"))]
            for a in _accounts([a for a, c in inputs.book().items() if c == csm.pk])
        ]
        return Explanation(metric, ["account", "name", "ending MRR"], rows)
    if metric in TICKETS:
        return _explain_tickets(inputs, csm, metric)
    if metric in SURVEYS:
        return _explain_surveys(inputs, csm, metric, SURVEYS[metric])
    if metric == "adoption_change":
        return _explain_adoption(inputs, csm, metric)
    if metric in HEALTH:
        return _explain_health(inputs, csm, metric)
    if metric in STICKINESS:
        qs = (
            UsageSnapshot.objects.filter(
                date__gte=inputs.start, date__lt=inputs.end, mau__gt=0, account_id__in=inputs.accounts
            )
            .annotate(owner=compute._owner_at("date"))
            .filter(owner=csm.pk)
            .select_related("account")
            .order_by("date", "account__external_id")
        )
        rows = [[u.account.external_id, u.date, u.dau, u.mau] for u in qs]
        return Explanation(
            metric, ["account", "date", "dau", "mau"], rows, "Snapshots with MAU 0 are skipped."
        )
    if metric == "referrals":
        qs = (
            AdvocacyEvent.objects.filter(
                date__gte=inputs.start, date__lt=inputs.end, account_id__in=inputs.accounts
            )
            .annotate(owner=compute._owner_at("date"))
            .filter(owner=csm.pk)
            .select_related("account")
            .order_by("date")
        )
        return Explanation(
            metric, ["account", "date", "kind"], [[e.account.external_id, e.date, e.kind] for e in qs]
        )
    if metric in ("onboarding_days", "onboardings"):
        accounts = CustomerAccount.objects.filter(
            onboarding_completed_on__gte=inputs.start,
            onboarding_completed_on__lt=inputs.end,
            pk__in=inputs.accounts,
        ).order_by("onboarding_completed_on")
        rows = []
        owners = _owners_on({a.pk: a.onboarding_completed_on for a in accounts})
        for a in accounts:
            if owners.get(a.pk) == csm.pk:
                rows.append(
                    [
                        a.external_id,
                        a.signed_on,
                        a.onboarding_completed_on,
                        (a.onboarding_completed_on - a.signed_on).days,
                    ]
                )
        return Explanation(metric, ["account", "signed on", "onboarded on", "days"], rows)
    if metric == "touchpoints":
        qs = (
            Touchpoint.objects.filter(
                csm=csm, occurred_at__gte=day_start(inputs.start), occurred_at__lt=day_start(inputs.end)
            )
            .select_related("account")
            .order_by("occurred_at")
        )
        return Explanation(
            metric,
            ["account", "occurred at", "kind"],
            [[t.account.external_id, t.occurred_at, t.kind] for t in qs],
        )
    raise KeyError(metric)  # pragma: no cover - every registry key is handled above


def _money(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"))


def _accounts(ids) -> list[CustomerAccount]:
    return list(CustomerAccount.objects.filter(pk__in=list(ids)).order_by("external_id"))


def _owners_on(days: dict[int, datetime.date]) -> dict[int, int]:
    """Owner of each account on its own day, from one query over the assignments."""
    history: dict[int, list[tuple[datetime.date, int]]] = {}
    for account_id, start, csm_id in (
        Assignment.objects.filter(account_id__in=list(days))
        .order_by("account_id", "start_date")
        .values_list("account_id", "start_date", "csm_id")
    ):
        history.setdefault(account_id, []).append((start, csm_id))
    out = {}
    for account_id, day in days.items():
        owner = None
        for start, csm_id in history.get(account_id, []):
            if start <= day:
                owner = csm_id
        if owner is not None:
            out[account_id] = owner
    return out


def _explain_revenue(inputs: compute.Inputs, csm: User, metric: str) -> Explanation:
    cohort = [
        a
        for a, (_, o_start, _) in inputs.owners().items()
        if o_start == csm.pk and inputs.mrr(a, "before_start") > 0
    ]
    rows = []
    for a in _accounts(cohort):
        start, end = inputs.mrr(a.pk, "before_start"), inputs.mrr(a.pk, "before_end")
        rows.append(
            [
                a.external_id,
                a.name,
                _money(start),
                _money(end),
                _money(end - start),
                "yes" if end > 0 else "no",
            ]
        )
    return Explanation(
        metric,
        ["account", "name", "starting MRR", "ending MRR", "change", "still paying"],
        rows,
        f"The cohort: accounts {csm} owned on {inputs.start} with MRR above 0 that day.",
    )


def _explain_tickets(inputs: compute.Inputs, csm: User, metric: str) -> Explanation:
    qs = (
        Ticket.objects.filter(
            opened_at__gte=day_start(inputs.start),
            opened_at__lt=day_start(inputs.end),
            account_id__in=inputs.accounts,
        )
        .annotate(day=compute._local_day("opened_at"))
        .annotate(owner=compute._owner_at("day"))
        .filter(owner=csm.pk)
        .select_related("account")
        .order_by("opened_at")
    )
    rows = []
    for t in qs:
        wait = (
            compute._hours(t.first_response_at - t.opened_at).quantize(Decimal("0.01"))
            if t.first_response_at
            else None
        )
        rows.append(
            [
                t.external_id,
                t.account.external_id,
                t.opened_at,
                wait,
                t.resolved_at,
                t.customer_contacts,
                "yes" if t.escalated_at else "no",
            ]
        )
    return Explanation(
        metric,
        ["ticket", "account", "opened at", "first response (h)", "resolved at", "contacts", "escalated"],
        rows,
    )


def _explain_surveys(inputs: compute.Inputs, csm: User, metric: str, kind: str) -> Explanation:
    qs = (
        SurveyResponse.objects.filter(
            kind=kind,
            responded_at__gte=day_start(inputs.start),
            responded_at__lt=day_start(inputs.end),
            account_id__in=inputs.accounts,
        )
        .annotate(day=compute._local_day("responded_at"))
        .annotate(owner=compute._owner_at("day"))
        .filter(owner=csm.pk)
        .select_related("account")
        .order_by("responded_at")
    )
    return Explanation(
        metric,
        ["response", "account", "responded at", "score", "comment"],
        [[s.external_id, s.account.external_id, s.responded_at, s.score, s.comment] for s in qs],
    )


def _explain_adoption(inputs: compute.Inputs, csm: User, metric: str) -> Explanation:
    book = [a for a, c in inputs.book().items() if c == csm.pk]
    fields = ("features_used", "features_available")
    at_start = compute._readings(inputs.start, 30, UsageSnapshot, fields, accounts=book)
    at_end = compute._readings(inputs.end, 30, UsageSnapshot, fields, accounts=book)
    rows = []
    for a in _accounts(book):
        s, e = at_start.get(a.pk), at_end.get(a.pk)
        counted = bool(s and e and s[1] and e[1])
        rows.append(
            [
                a.external_id,
                f"{s[0]}/{s[1]}" if s else None,
                f"{e[0]}/{e[1]}" if e else None,
                "yes" if counted else "no",
            ]
        )
    return Explanation(metric, ["account", "reading at start", "reading at end", "counted"], rows)


def _explain_health(inputs: compute.Inputs, csm: User, metric: str) -> Explanation:
    book = [a for a, c in inputs.book().items() if c == csm.pk]
    readings = {a: (d, s, b) for a, (d, s, b) in _latest_health(inputs.end, book).items()}
    rows = []
    for a in _accounts(book):
        r = readings.get(a.pk)
        rows.append(
            [
                a.external_id,
                r[0] if r else None,
                r[1] if r else None,
                compute.health_band(r[1], r[2]) if r else "no reading",
            ]
        )
    return Explanation(metric, ["account", "reading date", "score", "band"], rows)


def _latest_health(day: datetime.date, accounts: list[int]) -> dict[int, tuple]:
    since = day - datetime.timedelta(days=31)
    out = {}
    for account_id, d, score, band in (
        HealthSnapshot.objects.filter(account_id__in=accounts, date__gte=since, date__lt=day)
        .order_by("account_id", "date")
        .values_list("account_id", "date", "score", "band")
    ):
        out[account_id] = (d, score, band)
    return out


def account_ids_by_external_id(external_ids: list) -> dict[str, int]:
    """For drill-down links: the ids of the accounts named in an explanation (one query)."""
    names = [e for e in external_ids if isinstance(e, str)]
    return dict(CustomerAccount.objects.filter(external_id__in=names).values_list("external_id", "pk"))
