"""The customers' words: the survey comments (NPS and CSAT) of a CSM's accounts in a review's
quarter, and those the reviewer (or the CSM, in their self-review) picks as evidence for a section.

A comment counts for the CSM who owned the account on the day it was given (docs/metrics.md, "Event
attribution"), as the NPS and CSAT of the scorecard do. A picked comment is copied into the review
as it is at that moment (score, account name, date, text): a later edit of the survey response, or
its deletion, changes nothing in the review. At most ``QUOTES_PER_SECTION`` per section.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Assignment, User
from activity.models import SurveyKind, SurveyResponse
from core import dates
from kpis.periods import Period, day_start
from reviews.models import QUOTES_PER_SECTION, Review

SCALE_TOP = {SurveyKind.NPS: 10, SurveyKind.CSAT: 5}


def quote_of(response: SurveyResponse) -> dict:
    """A survey comment as the review keeps it (JSON): what a reader needs, nothing that can change."""
    return {
        "survey": response.pk,
        "kind": response.kind,
        "score": response.score,
        "comment": response.comment,
        "account": response.account_id,
        "account_name": response.account.name,
        "responded_at": response.responded_at.isoformat(),
    }


def customer_words(*, csm: User, period: str) -> list[dict]:
    """The survey comments given in ``period`` on the accounts ``csm`` owned that day, oldest first
    (responses without a comment are left out). Three queries whatever the book."""
    p = Period.parse(period)
    accounts = Assignment.objects.filter(csm=csm, start_date__lt=p.end).values("account_id")
    steps: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    for account_id, start, owner_id in (
        Assignment.objects.filter(account_id__in=accounts)
        .order_by("account_id", "start_date")
        .values_list("account_id", "start_date", "csm_id")
    ):
        steps[account_id].append((start, owner_id))
    responses = (
        SurveyResponse.objects.filter(
            account_id__in=list(steps),
            responded_at__gte=day_start(p.start),
            responded_at__lt=day_start(p.end),
        )
        .exclude(comment="")
        .select_related("account")
        .order_by("responded_at", "pk")
    )
    out = []
    for r in responses:
        day = timezone.localdate(r.responded_at)
        owner: int | None = None
        for start, csm_id in steps[r.account_id]:
            if start <= day:
                owner = csm_id
        if owner == csm.pk:
            out.append(quote_of(r))
    return out


def _survey_id(text: str) -> int:
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        value = 0
    if value <= 0 or value > 2**62:
        raise ValidationError({"quotes": _("A customer comment is named by its number.")})
    return value


def pick_quotes(*, review: Review, current: dict, picks: dict) -> dict:
    """``current`` (section key -> frozen quotes) with ``picks`` applied: survey response id -> the
    key of the section it is evidence for, or empty to take it out. A comment already picked keeps
    the copy made when it was first picked; a new one must be one of the CSM's customers' comments
    of the quarter. Raises ``ValidationError`` (nothing applied) for an unknown section or comment,
    or more than ``QUOTES_PER_SECTION`` in a section."""
    titles = {s["key"]: s["title"] for s in review.cycle.template.sections}
    frozen = {q["survey"]: q for qs in (current or {}).values() for q in qs}
    live: dict[int, dict] | None = None
    chosen = {k: list(qs) for k, qs in (current or {}).items()}
    for text, posted in picks.items():
        survey = _survey_id(text)
        section = "" if posted is None else str(posted).strip()
        if section and section not in titles:
            raise ValidationError({"quotes": _("Unknown section: %(keys)s.") % {"keys": section[:40]}})
        chosen = {k: [q for q in qs if q["survey"] != survey] for k, qs in chosen.items()}
        if not section:
            continue
        quote = frozen.get(survey)
        if quote is None:
            if live is None:
                live = {q["survey"]: q for q in customer_words(csm=review.csm, period=review.cycle.period)}
            quote = live.get(survey)
        if quote is None:
            raise ValidationError(
                {"quotes": _("That comment is not one of this CSM's customers' comments of the quarter.")}
            )
        chosen.setdefault(section, []).append(quote)
    for key, qs in chosen.items():
        if len(qs) > QUOTES_PER_SECTION:
            raise ValidationError(
                {
                    "quotes": ngettext(
                        "%(section)s: at most %(n)d customer comment as evidence.",
                        "%(section)s: at most %(n)d customer comments as evidence.",
                        QUOTES_PER_SECTION,
                    )
                    % {"section": titles.get(key, key), "n": QUOTES_PER_SECTION}
                }
            )
    return {k: sorted(qs, key=lambda q: (q["responded_at"], q["survey"])) for k, qs in chosen.items() if qs}


def score_words(quote: dict) -> str:
    """ "NPS 9/10", "CSAT 4/5"."""
    kind = SurveyKind(quote["kind"]) if quote.get("kind") in SurveyKind.values else None
    top = SCALE_TOP.get(kind) if kind else None
    label = kind.label if kind else str(quote.get("kind", ""))
    return f"{label} {quote.get('score')}/{top}" if top else f"{label} {quote.get('score')}"


def shown(quote: dict) -> dict:
    """A frozen quote with the words a page or the PDF prints: its score and its day."""
    when = parse_datetime(quote.get("responded_at") or "")
    return {**quote, "score_words": score_words(quote), "day": dates.day(when) if when else ""}


def shown_by_section(quotes: dict | None) -> dict[str, list[dict]]:
    return {k: [shown(q) for q in qs] for k, qs in (quotes or {}).items()}
