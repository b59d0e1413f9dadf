"""The set-based computation of METRICS.md.

A run is split into *parts* (revenue, tickets, surveys, usage, health, other). Each part runs a
fixed number of aggregate queries over every CSM at once and returns *components* per CSM:
additive sums and counts, and lists of observations for medians. ``derive`` turns the
components of any subject (a CSM, or the sum of a team's or a segment's CSMs) into the stored
values, so team and segment roll-ups come from sums of numerators and denominators and from
pooled observations, never from averages of percentages.

The number of queries does not depend on the number of CSMs, accounts or events.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Assignment, CustomerAccount
from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    RevenueEvent,
    RevenueKind,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)
from kpis.periods import Period, day_start

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")

# Components of one CSM: additive numbers, or lists of observations (medians).
Components = dict[str, Any]


@dataclass
class Inputs:
    """The period being computed and the lookups several parts share (cached per process)."""

    period: Period
    as_of: datetime.date | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def prev(self) -> Period:
        return self.period.previous()

    @property
    def start(self) -> datetime.date:
        return self.period.start

    @property
    def end(self) -> datetime.date:
        """``P.end'``: the period's end, or the day after ``as_of`` for a period to date."""
        return self.period.end_to_date(self.as_of)

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    # --- shared lookups -------------------------------------------------------------------

    def revenue(self) -> dict[int, dict[str, Decimal]]:
        """Per account: raw MRR sums before prev.start, P.start and P.end', and movements by kind in P."""
        return self.cached("revenue", self._revenue)

    def _revenue(self) -> dict[int, dict[str, Decimal]]:
        in_period = Q(date__gte=self.start, date__lt=self.end)
        aggregates = {
            "before_start": Sum("mrr_delta", filter=Q(date__lt=self.start), default=ZERO),
            "before_end": Sum("mrr_delta", filter=Q(date__lt=self.end), default=ZERO),
        }
        for kind in RevenueKind.values:
            aggregates[f"bridge_{kind}"] = Sum("mrr_delta", filter=in_period & Q(kind=kind), default=ZERO)
        rows = RevenueEvent.objects.filter(date__lt=self.end).values("account_id").annotate(**aggregates)
        return {row.pop("account_id"): row for row in rows}

    def owners(self) -> dict[int, tuple[int | None, int | None, int | None]]:
        """Per account: Owner(a, P.start - 1), Owner(a, P.start), Owner(a, P.end' - 1)."""
        return self.cached("owners", self._owners)

    def _owners(self):
        def owner_on(day: datetime.date) -> Subquery:
            return Subquery(
                Assignment.objects.filter(account_id=OuterRef("pk"), start_date__lte=day)
                .order_by("-start_date")
                .values("csm_id")[:1]
            )

        one_day = datetime.timedelta(days=1)
        rows = CustomerAccount.objects.annotate(
            o_prev_end=owner_on(self.start - one_day),
            o_start=owner_on(self.start),
            o_end=owner_on(self.end - one_day),
        ).values_list("pk", "o_prev_end", "o_start", "o_end")
        return {pk: (a, b, c) for pk, a, b, c in rows}

    def mrr(self, account_id: int, moment: str) -> Decimal:
        """MRR(a, t), floored at 0 (METRICS.md). ``moment``: before_start or before_end."""
        row = self.revenue().get(account_id)
        return max(row[moment], ZERO) if row else ZERO

    def book(self) -> dict[int, int]:
        """B(c, P): account -> CSM, for accounts owned on P.end' - 1 with MRR(a, P.end') > 0."""

        def build():
            return {
                a: o[2]
                for a, o in self.owners().items()
                if o[2] is not None and self.mrr(a, "before_end") > 0
            }

        return self.cached("book", build)

    def prev_book(self) -> dict[int, int]:
        """B(c, prev P): owned on P.start - 1 with MRR(a, P.start) > 0 (prev P is closed)."""

        def build():
            return {
                a: o[0]
                for a, o in self.owners().items()
                if o[0] is not None and self.mrr(a, "before_start") > 0
            }

        return self.cached("prev_book", build)


def _owner_at(day_field: str) -> Subquery:
    """Owner(a, d) of an event row whose local date is the annotation or field ``day_field``."""
    return Subquery(
        Assignment.objects.filter(account_id=OuterRef("account_id"), start_date__lte=OuterRef(day_field))
        .order_by("-start_date")
        .values("csm_id")[:1]
    )


def _local_day(field_name: str) -> TruncDate:
    return TruncDate(field_name, tzinfo=timezone.get_default_timezone())


def _between(field_name: str, start: datetime.date, end: datetime.date) -> Q:
    """An aware datetime field within [start, end) of the organisation's calendar."""
    return Q(**{f"{field_name}__gte": day_start(start), f"{field_name}__lt": day_start(end)})


def _add(out: dict[int, Components], csm: int | None, key: str, value: Any) -> None:
    if csm is None:
        return
    bucket = out.setdefault(csm, {})
    if isinstance(value, list):
        bucket.setdefault(key, []).extend(value)
    else:
        bucket[key] = bucket.get(key, ZERO) + Decimal(value)


def _hours(delta: datetime.timedelta) -> Decimal:
    micro = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micro) / Decimal(3_600_000_000)


# --- parts ------------------------------------------------------------------------------------


def part_revenue(inputs: Inputs) -> dict[int, Components]:
    """KPIs 1-3 and the context values: cohort C(c, P), book B(c, P), starting/ending MRR, bridge."""
    out: dict[int, Components] = {}
    for account, (_, o_start, _) in inputs.owners().items():
        start_mrr = inputs.mrr(account, "before_start")
        end_mrr = inputs.mrr(account, "before_end")
        if o_start is not None and start_mrr > 0:
            _add(out, o_start, "cohort", 1)
            _add(out, o_start, "mrr_start", start_mrr)
            _add(out, o_start, "mrr_end", end_mrr)
            _add(out, o_start, "grr", min(start_mrr, end_mrr))
            _add(out, o_start, "retained", 1 if end_mrr > 0 else 0)
            row = inputs.revenue()[account]
            for kind in RevenueKind.values:
                if row[f"bridge_{kind}"]:
                    _add(out, o_start, f"bridge_{kind}", row[f"bridge_{kind}"])
    for account, csm in inputs.book().items():
        _add(out, csm, "book", 1)
        _add(out, csm, "arr", 12 * inputs.mrr(account, "before_end"))
    for _account, csm in inputs.prev_book().items():
        _add(out, csm, "prev_book", 1)
    return out


def part_tickets(inputs: Inputs) -> dict[int, Components]:
    """Service metrics on tickets, and tickets per account for this and the previous period."""
    out: dict[int, Components] = {}
    end_at = day_start(inputs.end)
    base = Ticket.objects.annotate(day=_local_day("opened_at")).annotate(owner=_owner_at("day"))
    resolved = Q(resolved_at__isnull=False, resolved_at__lt=end_at)
    rows = (
        base.filter(_between("opened_at", inputs.start, inputs.end))
        .values("owner")
        .annotate(
            tickets=Count("pk"),
            escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
            resolved=Count("pk", filter=resolved),
            fcr=Count("pk", filter=resolved & Q(customer_contacts__lte=1)),
            contacts=Sum("customer_contacts", filter=resolved, default=0),
        )
    )
    for row in rows:
        for key in ("tickets", "escalated", "resolved", "fcr", "contacts"):
            _add(out, row["owner"], key, row[key])
    waits = (
        base.filter(_between("opened_at", inputs.start, inputs.end), first_response_at__isnull=False)
        .annotate(
            wait=ExpressionWrapper(F("first_response_at") - F("opened_at"), output_field=DurationField())
        )
        .values_list("owner", "wait")
    )
    grouped: dict[int, list[Decimal]] = defaultdict(list)
    for owner, wait in waits:
        if owner is not None:
            grouped[owner].append(_hours(wait))
    for owner, hours in grouped.items():
        _add(out, owner, "frh", hours)
    prev = (
        base.filter(_between("opened_at", inputs.prev.start, inputs.start))
        .values("owner")
        .annotate(n=Count("pk"))
    )
    for row in prev:
        _add(out, row["owner"], "prev_tickets", row["n"])
    return out


def part_surveys(inputs: Inputs) -> dict[int, Components]:
    """NPS and CSAT of this period, NPS of the previous one."""
    out: dict[int, Components] = {}
    base = SurveyResponse.objects.annotate(day=_local_day("responded_at")).annotate(owner=_owner_at("day"))
    nps, csat = Q(kind="nps"), Q(kind="csat")
    rows = (
        base.filter(_between("responded_at", inputs.prev.start, inputs.end))
        .values("owner")
        .annotate(
            nps_n=Count("pk", filter=nps & Q(responded_at__gte=day_start(inputs.start))),
            nps_pro=Count("pk", filter=nps & Q(score__gte=9, responded_at__gte=day_start(inputs.start))),
            nps_det=Count("pk", filter=nps & Q(score__lte=6, responded_at__gte=day_start(inputs.start))),
            csat_n=Count("pk", filter=csat & Q(responded_at__gte=day_start(inputs.start))),
            csat_ok=Count("pk", filter=csat & Q(score__gte=4, responded_at__gte=day_start(inputs.start))),
            prev_nps_n=Count("pk", filter=nps & Q(responded_at__lt=day_start(inputs.start))),
            prev_nps_pro=Count("pk", filter=nps & Q(score__gte=9, responded_at__lt=day_start(inputs.start))),
            prev_nps_det=Count("pk", filter=nps & Q(score__lte=6, responded_at__lt=day_start(inputs.start))),
        )
    )
    for row in rows:
        owner = row.pop("owner")
        for key, value in row.items():
            _add(out, owner, key, value)
    return out


def _readings(day: datetime.date, days: int, model, fields: Iterable[str]) -> dict[int, tuple]:
    """The latest snapshot per account dated in [day - days, day)."""
    since = day - datetime.timedelta(days=days)
    latest: dict[int, tuple] = {}
    rows = (
        model.objects.filter(date__gte=since, date__lt=day)
        .order_by("account_id", "date")
        .values_list("account_id", *fields)
    )
    for account_id, *values in rows:
        latest[account_id] = tuple(values)
    return latest


def part_usage(inputs: Inputs) -> dict[int, Components]:
    """Stickiness of this and the previous period; adoption change over the book at the end."""
    out: dict[int, Components] = {}
    base = UsageSnapshot.objects.filter(mau__gt=0).annotate(owner=_owner_at("date"))
    for key, start, end in (("", inputs.start, inputs.end), ("prev_", inputs.prev.start, inputs.start)):
        rows = (
            base.filter(date__gte=start, date__lt=end)
            .values("owner")
            .annotate(dau=Sum("dau", default=0), mau=Sum("mau", default=0), snaps=Count("pk"))
        )
        for row in rows:
            _add(out, row["owner"], f"{key}snaps", row["snaps"])
            _add(out, row["owner"], f"{key}dau", row["dau"])
            _add(out, row["owner"], f"{key}mau", row["mau"])
    at_start = _readings(inputs.start, 30, UsageSnapshot, ("features_used", "features_available"))
    at_end = _readings(inputs.end, 30, UsageSnapshot, ("features_used", "features_available"))
    for account, csm in inputs.book().items():
        a, b = at_start.get(account), at_end.get(account)
        if a and b and a[1] > 0 and b[1] > 0:
            change = (Decimal(b[0]) / Decimal(b[1]) - Decimal(a[0]) / Decimal(a[1])) * HUNDRED
            _add(out, csm, "adopt_sum", change)
            _add(out, csm, "adopt_n", 1)
    return out


def health_band(score: int, band: str) -> str:
    """A snapshot's own band wins; otherwise the score thresholds (settings)."""
    if band:
        return band
    if score >= settings.HEALTH_GOOD_MIN_SCORE:
        return "good"
    if score >= settings.HEALTH_AVERAGE_MIN_SCORE:
        return "average"
    return "poor"


def part_health(inputs: Inputs) -> dict[int, Components]:
    """Health mix of the book at the end, and of the previous period's book (for the change)."""
    out: dict[int, Components] = {}
    for prefix, day, book in (("", inputs.end, inputs.book()), ("prev_", inputs.start, inputs.prev_book())):
        readings = _readings(day, 31, HealthSnapshot, ("score", "band"))
        for account, csm in book.items():
            reading = readings.get(account)
            if reading is None:
                continue
            band = health_band(*reading)
            _add(out, csm, f"{prefix}h_n", 1)
            _add(out, csm, f"{prefix}h_{band}", 1)
    return out


def part_other(inputs: Inputs) -> dict[int, Components]:
    """Referrals, onboardings and touchpoints."""
    out: dict[int, Components] = {}
    advocacy = (
        AdvocacyEvent.objects.filter(date__gte=inputs.start, date__lt=inputs.end)
        .annotate(owner=_owner_at("date"))
        .values("owner", "kind")
        .annotate(n=Count("pk"))
    )
    for row in advocacy:
        _add(out, row["owner"], "referrals", row["n"])
        _add(out, row["owner"], f"ref_{row['kind']}", row["n"])
    onboarded = (
        CustomerAccount.objects.filter(
            onboarding_completed_on__gte=inputs.start, onboarding_completed_on__lt=inputs.end
        )
        .annotate(
            owner=Subquery(
                Assignment.objects.filter(
                    account_id=OuterRef("pk"), start_date__lte=OuterRef("onboarding_completed_on")
                )
                .order_by("-start_date")
                .values("csm_id")[:1]
            )
        )
        .values_list("owner", "signed_on", "onboarding_completed_on")
    )
    for owner, signed, done in onboarded:
        _add(out, owner, "onboardings", 1)
        _add(out, owner, "onb_days", [Decimal((done - signed).days)])
    touches = (
        Touchpoint.objects.filter(_between("occurred_at", inputs.start, inputs.end))
        .values("csm_id", "kind")
        .annotate(n=Count("pk"))
    )
    for row in touches:
        _add(out, row["csm_id"], "touch", row["n"])
        _add(out, row["csm_id"], f"touch_{row['kind']}", row["n"])
    return out


PARTS: dict[str, Callable[[Inputs], dict[int, Components]]] = {
    "revenue": part_revenue,
    "tickets": part_tickets,
    "surveys": part_surveys,
    "usage": part_usage,
    "health": part_health,
    "other": part_other,
}


def merge(parts: Iterable[dict[int, Components]]) -> dict[int, Components]:
    merged: dict[int, Components] = {}
    for part in parts:
        for csm, comps in part.items():
            for key, value in comps.items():
                _add(merged, csm, key, value)
    return merged


def combine(members: Iterable[Components]) -> Components:
    """The components of a team or segment: sums of its CSMs' sums, pooled observations."""
    out: dict[int, Components] = {}
    for comps in members:
        for key, value in comps.items():
            _add(out, 0, key, list(value) if isinstance(value, list) else value)
    return out.get(0, {})


# --- serialisation of components (fan-out parts travel through the database) ---------------


def encode(part: dict[int, Components]) -> dict[str, dict[str, Any]]:
    return {
        str(csm): {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in comps.items()}
        for csm, comps in part.items()
    }


def decode(payload: dict[str, dict[str, Any]]) -> dict[int, Components]:
    return {
        int(csm): {
            k: [Decimal(x) for x in v] if isinstance(v, list) else Decimal(v) for k, v in comps.items()
        }
        for csm, comps in payload.items()
    }


# --- values ----------------------------------------------------------------------------------


@dataclass
class Value:
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    sample_size: int = 0
    breakdown: dict[str, Any] = field(default_factory=dict)


def round2(x: Decimal | None) -> Decimal | None:
    """Every stored value is rounded once, at the end, to 2 decimals, half up."""
    return None if x is None else x.quantize(CENT, rounding=ROUND_HALF_UP)


def _ratio(num: Decimal, den: Decimal, scale: Decimal = HUNDRED) -> Decimal | None:
    return None if not den else num / den * scale


def median(values: list[Decimal]) -> Decimal | None:
    """The middle value; for an even count, the mean of the two middle values."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _diff(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def derive(c: Components) -> dict[str, Value]:
    """Every metric of METRICS.md from one subject's components (unrounded until the end)."""
    g = lambda key: c.get(key, ZERO)  # noqa: E731
    n = lambda key: int(c.get(key, ZERO))  # noqa: E731
    v: dict[str, Value] = {}
    cohort, start, end = n("cohort"), g("mrr_start"), g("mrr_end")
    bridge = {k: str(round2(g(f"bridge_{k}"))) for k in RevenueKind.values if f"bridge_{k}" in c}
    v["starting_mrr"] = Value(start, start, None, cohort)
    v["portfolio_growth"] = Value(end - start if cohort else None, end, start, cohort, bridge)
    v["portfolio_growth_rate"] = Value(_ratio(end - start, start), end - start, start, cohort)
    v["nrr"] = Value(_ratio(end, start), end, start, cohort)
    v["gross_retention"] = Value(_ratio(g("grr"), start), g("grr"), start, cohort)
    v["logo_retention"] = Value(_ratio(g("retained"), g("cohort")), g("retained"), g("cohort"), cohort)
    v["book_size"] = Value(g("book"), g("book"), None, n("book"))
    v["arr_managed"] = Value(g("arr"), g("arr"), None, n("book"))
    v["referrals"] = Value(
        g("referrals"),
        g("referrals"),
        None,
        n("referrals"),
        {k[4:]: int(val) for k, val in c.items() if k.startswith("ref_")},
    )
    v["adoption_change"] = Value(
        _ratio(g("adopt_sum"), g("adopt_n"), Decimal(1)), g("adopt_sum"), g("adopt_n"), n("adopt_n")
    )
    tpa = _ratio(g("tickets"), g("book"), Decimal(1))
    prev_tpa = _ratio(g("prev_tickets"), g("prev_book"), Decimal(1))
    v["tickets_per_account"] = Value(tpa, g("tickets"), g("book"), n("tickets"))
    reduction = None
    if tpa is not None and prev_tpa:
        reduction = (prev_tpa - tpa) / prev_tpa * HUNDRED
    v["ticket_reduction"] = Value(reduction, _diff(prev_tpa, tpa), prev_tpa, n("tickets"))
    days = c.get("onb_days", [])
    v["onboarding_days"] = Value(median(days), None, None, len(days))
    v["onboardings"] = Value(g("onboardings"), g("onboardings"), None, n("onboardings"))
    h_n = g("h_n")
    good = _ratio(g("h_good"), h_n)
    v["health_good_share"] = Value(good, g("h_good"), h_n, int(h_n))
    v["health_average_share"] = Value(_ratio(g("h_average"), h_n), g("h_average"), h_n, int(h_n))
    v["health_poor_share"] = Value(_ratio(g("h_poor"), h_n), g("h_poor"), h_n, int(h_n))
    prev_good = _ratio(g("prev_h_good"), g("prev_h_n"))
    v["health_mix_change"] = Value(_diff(good, prev_good), good, prev_good, int(h_n))
    stick = _ratio(g("dau"), g("mau"))
    prev_stick = _ratio(g("prev_dau"), g("prev_mau"))
    v["stickiness"] = Value(stick, g("dau"), g("mau"), n("snaps"))
    v["stickiness_change"] = Value(_diff(stick, prev_stick), stick, prev_stick, n("snaps"))
    waits = c.get("frh", [])
    v["first_response_hours"] = Value(median(waits), None, None, len(waits))
    v["first_contact_resolution"] = Value(
        _ratio(g("fcr"), g("resolved")), g("fcr"), g("resolved"), n("resolved")
    )
    v["contacts_to_resolve"] = Value(
        _ratio(g("contacts"), g("resolved"), Decimal(1)), g("contacts"), g("resolved"), n("resolved")
    )
    v["escalation_rate"] = Value(
        _ratio(g("escalated"), g("tickets")), g("escalated"), g("tickets"), n("tickets")
    )
    nps = _ratio(g("nps_pro") - g("nps_det"), g("nps_n"))
    prev_nps = _ratio(g("prev_nps_pro") - g("prev_nps_det"), g("prev_nps_n"))
    v["nps"] = Value(nps, g("nps_pro") - g("nps_det"), g("nps_n"), n("nps_n"))
    v["nps_change"] = Value(_diff(nps, prev_nps), nps, prev_nps, n("nps_n"))
    v["csat"] = Value(_ratio(g("csat_ok"), g("csat_n")), g("csat_ok"), g("csat_n"), n("csat_n"))
    v["touchpoints"] = Value(
        g("touch"),
        g("touch"),
        None,
        n("touch"),
        {k[6:]: int(val) for k, val in c.items() if k.startswith("touch_")},
    )
    for value in v.values():
        value.value = round2(value.value)
        value.numerator = None if value.numerator is None else value.numerator.quantize(MICRO, ROUND_HALF_UP)
        value.denominator = (
            None if value.denominator is None else value.denominator.quantize(MICRO, ROUND_HALF_UP)
        )
    return v
