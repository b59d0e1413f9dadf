"""Feedback note reads: a note as a row of a page or the API, and its history as a person may read it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from kpis.registry import label
from reviews.models import FeedbackNote, NoteKind


def note_row(note: FeedbackNote, viewer: User) -> dict:
    return {
        "note": note,
        "kind_label": note.get_kind_display(),
        "metric_name": label(note.metric) if note.metric else "",
        "mine": note.author_id == viewer.pk,
    }


FIELDS = ("kind", "body", "account_id", "metric", "shared_with_csm")


def _words(field: str, value, accounts: dict) -> str:
    if field == "kind":
        return str(NoteKind(value).label) if value in NoteKind.values else str(value)
    if field == "account_id":
        return accounts.get(value, "—") if value else "—"
    if field == "metric":
        return label(value) if value else "—"
    if field == "shared_with_csm":
        return _("shown to the CSM") if value else _("not shown to the CSM")
    return value or "—"


def note_history(note: FeedbackNote, viewer: User) -> list[dict]:
    """Every version of the note, newest first: who, when, what changed (from what to what). Its CSM
    reads only the versions shown to them: a version written while the note was not shown to the CSM
    is left out, so that what its author kept from them never reaches them through the history."""
    from accounts.models import CustomerAccount  # noqa: PLC0415 - a read of names only

    records = list(note.history.select_related("history_user").order_by("history_date", "history_id"))
    accounts = dict(
        CustomerAccount.objects.filter(pk__in={r.account_id for r in records if r.account_id}).values_list(
            "pk", "name"
        )
    )
    labels = {
        "kind": _("Kind"),
        "body": _("Note"),
        "account_id": _("Account"),
        "metric": _("Metric"),
        "shared_with_csm": _("Shown to the CSM"),
    }
    is_csm = viewer.pk == note.csm_id
    out, before = [], None
    for r in records:
        if is_csm and not r.shared_with_csm:
            continue
        changes: list[dict] = []
        if before is not None:
            for f in FIELDS:
                old, new = getattr(before, f), getattr(r, f)
                if old != new:
                    changes.append(
                        {
                            "label": labels[f],
                            "before": _words(f, old, accounts),
                            "after": _words(f, new, accounts),
                        }
                    )
        title = {"+": _("Note written"), "~": _("Note edited"), "-": _("Note deleted")}[r.history_type]
        out.append(
            {
                "when": r.history_date,
                "who": r.history_user.get_full_name() if r.history_user else _("the system"),
                "title": title,
                "reason": r.history_change_reason or "",
                "body": r.body,
                "changes": changes,
            }
        )
        before = r
    return out[::-1]
