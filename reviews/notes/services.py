"""Feedback notes: anyone leaves a note on a CSM at any time (praise or a concern, optionally about
one account or one metric); the CSM's team manager and HR read it, the CSM only when its author
chooses. Only the author edits or deletes it; every version and the deletion stay in its history
(who, when, and for a deletion why), as a review's do.

A review lists the notes written in its quarter (``notes_of_quarter``) and, when submitted, keeps a
copy of them (``frozen_notes``): a later edit or deletion of a note does not change a submitted
review. Whoever reads the review and is not its CSM reads every note; its CSM only the shared ones.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import CustomerAccount, Role, User
from core import dates
from core import text as limits
from kpis.periods import Period, day_start
from kpis.registry import METRICS, REGISTRY, label
from reviews.access import ReviewView
from reviews.models import FeedbackNote, NoteKind, Review


def note_metrics() -> list:
    """The metrics a note may be about: those of the scorecard (not the stored extras)."""
    return [m for m in METRICS if m.group != "context"]


def _clean(
    *, author: User, csm: User | None, kind, body, account: CustomerAccount | None, metric, shared
) -> dict:
    errors: dict[str, str] = {}
    if csm is None or csm.role != Role.CSM or not csm.is_active:
        errors["csm"] = _("A note is about a CSM of the organisation: choose one.")
    elif csm.pk == author.pk:
        errors["csm"] = _("A note is about someone else: write your own view in your self-review.")
    if kind not in NoteKind.values:
        errors["kind"] = _("Say whether it is praise or a concern.")
    body = "" if body is None else str(body)
    if "\x00" in body:
        errors["body"] = _("contains a NUL character.")
    elif not body.strip():
        errors["body"] = _("Write the note.")
    else:
        try:
            body = limits.check(body.strip(), limits.NOTE, "body")
        except ValidationError as exc:
            errors["body"] = " ".join(exc.messages)
    if account is not None and not CustomerAccount.objects.visible_to(author).filter(pk=account.pk).exists():
        errors["account"] = _("No such account.")
    metric = "" if metric is None else str(metric).strip()
    if metric and (metric not in REGISTRY or REGISTRY[metric].group == "context"):
        errors["metric"] = _("%(metric)s is not a metric of the scorecard.") % {"metric": metric[:40]}
    if not isinstance(shared, bool):
        errors["shared_with_csm"] = _("Say whether the CSM may read the note.")
    if errors:
        raise ValidationError(errors)
    return {
        "csm": csm,
        "kind": kind,
        "body": body,
        "account": account,
        "metric": metric,
        "shared_with_csm": shared,
    }


@transaction.atomic
def note_create(
    *,
    author: User,
    csm: User | None,
    kind: str,
    body: str,
    account: CustomerAccount | None = None,
    metric: str = "",
    shared_with_csm: bool = False,
) -> FeedbackNote:
    if not author.is_authenticated or not author.is_active:
        raise PermissionDenied(_("Sign in to leave a note."))
    note = FeedbackNote(
        author=author,
        **_clean(
            author=author,
            csm=csm,
            kind=kind,
            body=body,
            account=account,
            metric=metric,
            shared=shared_with_csm,
        ),
    )
    note._history_user = author
    note.save()
    return note


def _mine(user: User, note: FeedbackNote, what: str) -> FeedbackNote:
    locked = FeedbackNote.objects.select_for_update().get(pk=note.pk)
    if locked.author_id != user.pk:
        raise PermissionDenied(_("Only the author of a note %(what)s it.") % {"what": what})
    return locked


_KEEP = object()


@transaction.atomic
def note_update(
    *,
    user: User,
    note: FeedbackNote,
    kind=_KEEP,
    body=_KEEP,
    account=_KEEP,
    metric=_KEEP,
    shared_with_csm=_KEEP,
) -> FeedbackNote:
    """The author changes their note (what is not given stays); the history keeps the version before.
    The CSM a note is about never changes."""
    note = _mine(user, note, _("edits"))
    given = {
        "kind": kind,
        "body": body,
        "account": account,
        "metric": metric,
        "shared_with_csm": shared_with_csm,
    }
    current = {
        "kind": note.kind,
        "body": note.body,
        "account": note.account,
        "metric": note.metric,
        "shared_with_csm": note.shared_with_csm,
    }
    merged: dict = {k: current[k] if v is _KEEP else v for k, v in given.items()}
    cleaned = _clean(
        author=user,
        csm=note.csm,
        kind=merged["kind"],
        body=merged["body"],
        account=merged["account"],
        metric=merged["metric"],
        shared=merged["shared_with_csm"],
    )
    cleaned.pop("csm")
    if all(getattr(note, k) == v for k, v in cleaned.items()):
        return note
    for k, v in cleaned.items():
        setattr(note, k, v)
    note._history_user = user
    note.save()
    return note


@transaction.atomic
def note_delete(*, user: User, note: FeedbackNote, reason: str = "") -> None:
    """The author deletes their note: gone from the pages and from reviews not yet submitted; its
    history keeps every version and the deletion, with who, when and why."""
    note = _mine(user, note, _("deletes"))
    reason = "" if reason is None else " ".join(str(reason).replace("\x00", "").split())
    note._history_user = user
    note._change_reason = (reason[:99] + "…") if len(reason) > 100 else reason
    note.delete()


# --- in a review ---------------------------------------------------------------------------------


def notes_of_quarter(*, csm: User, period: str) -> QuerySet[FeedbackNote]:
    """The notes on ``csm`` written in the quarter (organisation's days), oldest first."""
    p = Period.parse(period)
    return (
        FeedbackNote.objects.filter(
            csm=csm, created_at__gte=day_start(p.start), created_at__lt=day_start(p.end)
        )
        .select_related("author", "account")
        .order_by("created_at", "pk")
    )


def note_copy(note: FeedbackNote) -> dict:
    """A note as a submitted review keeps it (JSON)."""
    return {
        "note": note.pk,
        "kind": note.kind,
        "author": note.author_id,
        "author_name": note.author.get_full_name(),
        "body": note.body,
        "account": note.account_id,
        "account_name": note.account.name if note.account else "",
        "metric": note.metric,
        "shared_with_csm": note.shared_with_csm,
        "written_at": note.created_at.isoformat(),
    }


def frozen_notes(review: Review) -> list[dict]:
    prefetched = getattr(review, "_quarter_notes", None)  # quarter_notes_prefetch
    if prefetched is not None:
        return prefetched
    return [note_copy(n) for n in notes_of_quarter(csm=review.csm, period=review.cycle.period)]


def quarter_notes_prefetch(reviews: list[Review]) -> None:
    """The live notes of each review not yet submitted (``frozen_notes``), for a list of reviews in
    one query rather than one per review (the review list API)."""
    todo = [r for r in reviews if r.submitted_at is None]
    if not todo:
        return
    bounds: dict[str, tuple] = {}
    csms: dict[str, set[int]] = {}
    for review in todo:
        period = review.cycle.period
        if period not in bounds:
            p = Period.parse(period)
            bounds[period] = (day_start(p.start), day_start(p.end))
        csms.setdefault(period, set()).add(review.csm_id)
    where = Q()
    for period, (start, end) in bounds.items():
        where |= Q(csm_id__in=csms[period], created_at__gte=start, created_at__lt=end)
    found: dict[tuple[int, str], list[dict]] = {}
    for note in (
        FeedbackNote.objects.filter(where).select_related("author", "account").order_by("created_at", "pk")
    ):
        for period, (start, end) in bounds.items():
            if note.csm_id in csms[period] and start <= note.created_at < end:
                found.setdefault((note.csm_id, period), []).append(note_copy(note))
    for review in todo:
        review._quarter_notes = found.get((review.csm_id, review.cycle.period), [])  # type: ignore[attr-defined]


def shown_note(note: dict) -> dict:
    """A note (a copy, as ``note_copy`` makes) with the words a page or the PDF prints."""
    when = parse_datetime(note.get("written_at") or "")
    return {
        **note,
        "kind_label": NoteKind(note["kind"]).label if note.get("kind") in NoteKind.values else "",
        "metric_name": label(note["metric"]) if note.get("metric") else "",
        "day": dates.day(when) if when else "",
    }


def notes_in_review(review: Review, view: ReviewView) -> list[dict]:
    """The notes a review lists, as ``view`` may read them: the copy kept at submission once the review
    is submitted (the live notes of the quarter before); its CSM reads only the shared ones."""
    if not view.can_read:
        return []
    kept = review.notes if review.submitted_at is not None else frozen_notes(review)
    return [n for n in kept if n.get("shared_with_csm") or not view.is_csm]
