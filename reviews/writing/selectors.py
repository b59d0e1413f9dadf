"""Review reads: lists, the content hash and the history as a viewer may see them (drafts stay
hidden: ``reviews.access``), calibration."""

from __future__ import annotations

import difflib
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from kpis.registry import REGISTRY
from kpis.templatetags.kpi_format import format_value
from reviews import wording
from reviews.access import EVERYTHING, HIDDEN, ReviewView, review_view
from reviews.models import UNRESOLVED_FLAGS, Review, ReviewCycle, ReviewQuerySet, ReviewStatus
from reviews.writing.quotes import score_words


def reviews_for(*, viewer: User, cycle: ReviewCycle | None = None) -> ReviewQuerySet:
    qs = (
        Review.objects.visible_to(viewer)
        .select_related("cycle", "csm", "reviewer", "csm__team")
        .annotate(open_flags=Count("disputes", filter=Q(disputes__state__in=UNRESOLVED_FLAGS)))
    )
    return qs.filter(cycle=cycle) if cycle else qs


def content_hash(review: Review, view: ReviewView = EVERYTHING) -> str:
    """SHA-256 of what the review says (numbers, texts, ratings, disputes, comments, acknowledgement),
    as ``view`` sees it: a part hidden from the viewer counts as hidden, never as its text."""
    content = {
        "review": review.pk,
        "revision": review.revision,
        "version": review.version,
        "csm": review.csm.email,
        "period": review.cycle.period,
        "snapshot": review.snapshot,
        **view.mask(
            {
                "self_assessment": review.self_assessment,
                "manager_assessment": review.manager_assessment,
                "section_ratings": review.section_ratings,
                "suggested_rating": review.suggested_rating,
                "final_rating": review.final_rating,
                "final_rating_reason": review.final_rating_reason,
                "calibrated_rating": review.calibrated_rating,
                "calibration_reason": review.calibration_reason,
            },
            placeholder=HIDDEN,
        ),
        "acknowledgement": review.acknowledgement_comment,
        "disputes": [[d.metric, d.comment, d.answer] for d in review.disputes.all()],
        "comments": [[c.author_id, c.body] for c in review.comments.all()],
    }
    if review.self_ratings:  # only when there are some: the hash of a review without them is unchanged
        content.update(view.mask({"self_ratings": review.self_ratings}, placeholder=HIDDEN))
    # The feedback notes a submitted review keeps, as the viewer may read them; only when there are some.
    kept = [n for n in review.notes if n.get("shared_with_csm") or not view.is_csm]
    if kept:
        content["notes"] = [[n["note"], n["author"], n["kind"], n["body"], n["metric"]] for n in kept]
    # The customers' words quoted, likewise only when there are some.
    for name in ("self_quotes", "manager_quotes"):
        if getattr(review, name):
            content.update(view.mask({name: getattr(review, name)}, placeholder=HIDDEN))
    canonical = json.dumps(content, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def history_of(review: Review, viewer: User | None, *, admin_site: bool = False) -> list[dict]:
    """Every change of the review as ``viewer`` may see it: who, when, each field's old and new value.

    Each historical record is masked by the access rule at that record's status: a draft that was
    never submitted (the CSM's self-review before submission, the manager's before theirs) shows
    as "hidden until submitted", so a diff never reveals its text nor that it changed; the text
    appears once, at the record where it was submitted. A record whose only changes are hidden
    (a draft save) is left out. Newest first."""
    records = list(review.history.select_related("history_user").order_by("history_date", "history_id"))
    if not records:
        return []
    fields = [f for f in records[0].tracked_fields if f.editable]
    out, previous = [], None
    for record in records:
        view = review_view(viewer, review, status=record.status, admin_site=admin_site)
        hidden = view.hidden_fields
        values = {f.name: HIDDEN if f.name in hidden else getattr(record, f.attname) for f in fields}
        changes: list[dict[str, Any]] = []
        hidden_change = False
        if previous is not None:
            before, before_hidden, before_record = previous
            for f in fields:
                if values[f.name] != before[f.name]:
                    changes.append({"field": f.name, "old": before[f.name], "new": values[f.name]})
                elif (f.name in hidden or f.name in before_hidden) and getattr(record, f.attname) != getattr(
                    before_record, f.attname
                ):
                    hidden_change = True
        previous = (values, hidden, record)
        if hidden_change and all(c["field"] == "version" for c in changes):
            continue  # a save of a hidden draft: nothing this viewer may see changed
        out.append(
            {
                "id": record.history_id,
                "when": record.history_date,
                "who": record.history_user,
                "type": record.get_history_type_display(),
                "created": record.history_type == "+",
                "status": record.status,
                "version": record.version,
                "reason": record.history_change_reason or "",
                "changes": changes,
            }
        )
    return out[::-1]


# --- writing: whose turn, conflicts ----------------------------------------------------------------


def turn_of(review: Review) -> tuple[str, str | Promise]:
    """Whose turn it is and what they do next, in words: ("Morgan Reyes", "writes the self-review")."""
    reviewer = review.reviewer.get_full_name() if review.reviewer else str(_("a reviewer HR assigns"))
    csm = review.csm.get_full_name()
    turns: dict[str, tuple[str, str | Promise]] = {
        ReviewStatus.DRAFT: (reviewer, _("prepares the review and sends it for self-review")),
        ReviewStatus.SELF_REVIEW: (csm, _("writes and submits the self-review")),
        ReviewStatus.MANAGER_REVIEW: (reviewer, _("writes, rates and submits the review")),
        ReviewStatus.SUBMITTED: (csm, _("reads the review, may flag numbers, then acknowledges it")),
        ReviewStatus.ACKNOWLEDGED: (str(_("HR")), _("finalizes the review")),
        ReviewStatus.FINALIZED: ("", _("nothing left to do: the review is final")),
    }
    return turns[review.status]


def _norm(value) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n").strip()


def conflict_fields(*, review: Review, viewer: User, version, content) -> list[dict]:
    """A save made on ``version`` and refused because ``review`` is newer: field by field, what the
    person is saving next to what is saved now, for the part the person writes.

    Three ways, when the record of ``version`` is known: a field only the person changed is theirs
    to keep (not listed); a field only the other save changed is ``"theirs_only"`` (the page takes
    the newer text); a field both changed is ``"both"`` (the person keeps theirs, takes the other or
    edits a merge)."""
    view = review_view(viewer, review)
    if view.can_write_self:
        texts, ratings, rating_prefix = "self_assessment", "self_ratings", "selfrating_"
    elif view.can_write_manager:
        texts, ratings, rating_prefix = "manager_assessment", "section_ratings", "rating_"
    else:
        return []
    try:
        base = review.history.filter(version=int(str(version))).order_by("-history_id").first()
    except (TypeError, ValueError):
        base = None
    titles = {s["key"]: s["title"] for s in review.cycle.template.sections}
    scale = {int(s["value"]): f"{s['value']} · {s['label']}" for s in review.cycle.template.rating_scale}

    def shown(value, is_rating):
        if not is_rating:
            return _norm(value)
        try:
            return scale.get(int(value), "") if _norm(value) else ""
        except (TypeError, ValueError):
            return _norm(value)

    out = []

    def add(name, label, mine, theirs, before, is_rating=False):
        mine_n, theirs_n = _norm(mine), _norm(theirs)
        if mine_n == theirs_n:
            return
        before_n = None if base is None else _norm(before)
        if before_n is not None and theirs_n == before_n:
            return  # only this person changed it: theirs to keep
        kind = "theirs_only" if before_n is not None and mine_n == before_n else "both"
        out.append(
            {
                "name": name,
                "label": label,
                "mine": shown(mine, is_rating),
                "theirs": shown(theirs, is_rating),
                "theirs_value": theirs_n,
                "kind": kind,
                "is_rating": is_rating,
            }
        )

    for key, mine in content.sections.items():
        add(
            f"section_{key}",
            titles.get(key, key),
            mine,
            getattr(review, texts).get(key),
            getattr(base, texts, {}).get(key) if base else None,
        )
    for key, mine in content.ratings.items():
        add(
            f"{rating_prefix}{key}",
            f"{titles.get(key, key)} · {_('rating')}",
            mine,
            getattr(review, ratings).get(key),
            getattr(base, ratings, {}).get(key) if base else None,
            is_rating=True,
        )
    if texts == "manager_assessment":
        if content.final_rating is not None:
            add(
                "final_rating",
                str(_("Overall rating")),
                content.final_rating,
                review.final_rating,
                base.final_rating if base else None,
                is_rating=True,
            )
        if content.final_rating_reason is not None:
            add(
                "final_rating_reason",
                str(_("Reason for the overall rating")),
                content.final_rating_reason,
                review.final_rating_reason,
                base.final_rating_reason if base else None,
            )
    return out


# --- the history as a timeline ----------------------------------------------------------------------

STEP_WORDS = {
    (ReviewStatus.DRAFT, ReviewStatus.SELF_REVIEW): _("Sent to the CSM for self-review"),
    (ReviewStatus.SELF_REVIEW, ReviewStatus.MANAGER_REVIEW): _("Self-review submitted"),
    (ReviewStatus.MANAGER_REVIEW, ReviewStatus.SUBMITTED): _("Review submitted to the CSM"),
    (ReviewStatus.SUBMITTED, ReviewStatus.ACKNOWLEDGED): _("Review acknowledged"),
    (ReviewStatus.ACKNOWLEDGED, ReviewStatus.FINALIZED): _("Review finalized"),
    (ReviewStatus.FINALIZED, ReviewStatus.MANAGER_REVIEW): _("Review reopened"),
}
# Bookkeeping that the entries already say in words (a step's dates, the version) or that the
# explanation of the suggested rating shows on the page.
QUIET_FIELDS = {
    "version",
    "revision",
    "suggested_detail",
    "snapshot_at",
    "self_submitted_at",
    "submitted_at",
    "acknowledged_at",
    "finalized_at",
    "finalized_by",
    "open_flags_at_acknowledgement",
}


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A readable diff of two texts, word by word: [("same"|"del"|"ins", text), ...]."""
    a, b = (old or "").split(" "), (new or "").split(" ")
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(a[i1:i2])))
            continue
        if op in ("replace", "delete"):
            out.append(("del", " ".join(a[i1:i2])))
        if op in ("replace", "insert"):
            out.append(("ins", " ".join(b[j1:j2])))
    return out


def _rating_words(review: Review, value) -> str:
    if value in (None, "", {}):
        return "—"
    label = review.cycle.template.label_of(int(value))
    return f"{value} · {label}" if label else str(value)


def _change_lines(review: Review, change: dict, people: dict) -> list[dict]:
    """One history change in words: label, and a diff or before -> after."""
    name, old, new = change["field"], change["old"], change["new"]
    label = str(wording.FIELD_LABELS.get(name, name.replace("_", " ").capitalize()))
    if new == HIDDEN:
        return [{"label": label, "text": str(_("hidden until submitted"))}]
    if old == HIDDEN:  # submitted at this record: what was hidden shows from here on, in full
        old = None
    if name in ("self_assessment", "manager_assessment"):
        old, new = old or {}, new or {}
        return [
            {
                "label": f"{label} · {wording.section_title(review, k)}",
                "diff": word_diff(old.get(k, ""), new.get(k, "")),
            }
            for k in [s["key"] for s in review.cycle.template.sections]
            if (old.get(k) or "") != (new.get(k) or "")
        ]
    if name in ("section_ratings", "self_ratings"):
        old, new = old or {}, new or {}
        return [
            {
                "label": f"{label} · {wording.section_title(review, k)}",
                "before": _rating_words(review, old.get(k)),
                "after": _rating_words(review, new.get(k)),
            }
            for k in [s["key"] for s in review.cycle.template.sections]
            if old.get(k) != new.get(k)
        ]
    if name in ("self_quotes", "manager_quotes"):
        old, new = old or {}, new or {}
        return [
            {
                "label": f"{label} · {wording.section_title(review, k)}",
                "before": _quote_words(old.get(k)),
                "after": _quote_words(new.get(k)),
            }
            for k in [s["key"] for s in review.cycle.template.sections]
            if _quote_words(old.get(k)) != _quote_words(new.get(k))
        ]
    if name == "final_rating":
        return [{"label": label, "before": _rating_words(review, old), "after": _rating_words(review, new)}]
    if name in ("final_rating_reason", "acknowledgement_comment"):
        return [{"label": label, "diff": word_diff(old or "", new or "")}]
    if name == "snapshot":
        return [
            {
                "label": wording.metric_name(c["metric"]),
                "before": _metric_words(c["metric"], c["before"]),
                "after": _metric_words(c["metric"], c["after"]),
            }
            for c in snapshot_changes(old or {}, new or {})
        ]
    if name == "reviewer":
        return [{"label": label, "before": str(people.get(old, "—")), "after": str(people.get(new, "—"))}]
    if name == "status":
        return []  # the entry's title says it
    return [
        {
            "label": label,
            "before": "—" if old in (None, "") else str(old),
            "after": "—" if new in (None, "") else str(new),
        }
    ]


def _quote_words(quotes: list | None) -> str:
    """The customers' comments a section quotes, in a history line: "Alpha (NPS 9/10); Bravo (CSAT 4/5)"."""
    if not quotes:
        return "—"
    return "; ".join(f"{q.get('account_name', '')} ({score_words(q)})" for q in quotes)


def _metric_words(key: str, value) -> str:
    if value is None:
        return str(_("no data"))
    if key == wording.OKR_SCORE or key not in REGISTRY:
        return str(value)
    return format_value(value, REGISTRY[key])


def snapshot_changes(old: dict, new: dict) -> list[dict]:
    """What changed between two snapshots: each metric's value and the OKR score."""
    before = {m["metric"]: m["value"] for m in old.get("metrics", [])}
    out = [
        {"metric": m["metric"], "before": before.get(m["metric"]), "after": m["value"]}
        for m in new.get("metrics", [])
        if before.get(m["metric"]) != m["value"]
    ]
    old_okr, new_okr = (old.get("okrs") or {}).get("score"), (new.get("okrs") or {}).get("score")
    if old_okr != new_okr:
        out.append({"metric": wording.OKR_SCORE, "before": old_okr, "after": new_okr})
    return out


def _name(user) -> str:
    return user.get_full_name() if user else str(_("the system"))


def timeline_of(review: Review, viewer: User) -> list[dict]:
    """The review's history in words, newest first: each step of the workflow, each change of a
    text (a word diff) or a rating, each refresh of the numbers with what changed, each flag raised,
    answered, resolved or withdrawn, each comment; who and when. Built on ``history_of``, so a
    draft hidden from the viewer stays hidden here too."""
    entries = history_of(review, viewer)
    people = {
        u.pk: u.get_full_name()
        for u in User.objects.filter(
            pk__in={
                c[k]
                for e in entries
                for c in e["changes"]
                if c["field"] == "reviewer"
                for k in ("old", "new")
            }
        )
    }
    out = []
    for e in entries:
        changes = {c["field"]: c for c in e["changes"]}
        status = changes.get("status")
        if e["created"]:
            kind, title = "created", _("Review opened with the numbers of the quarter")
        elif status:
            kind = "transition"
            title = STEP_WORDS.get((status["old"], status["new"]), _("Status changed"))
        elif "snapshot" in changes:
            kind, title = "snapshot", _("Numbers refreshed")
        elif "reviewer" in changes:
            kind, title = "reviewer", _("Reviewer changed")
        elif any(f in changes for f in ("section_ratings", "self_ratings", "final_rating")):
            kind = "rating"
            texts = any(
                f in changes for f in ("self_assessment", "manager_assessment", "final_rating_reason")
            )
            title = _("Texts and ratings changed") if texts else _("Ratings changed")
        else:
            kind, title = "text", _("Text changed")
        lines = []
        if not e["created"]:
            for c in e["changes"]:
                if c["field"] not in QUIET_FIELDS and c["field"] != "suggested_rating":
                    lines.extend(_change_lines(review, c, people))
            if "suggested_rating" in changes:
                c = changes["suggested_rating"]
                label = str(wording.FIELD_LABELS["suggested_rating"])
                if c["new"] == HIDDEN:
                    lines.append({"label": label, "text": str(_("hidden until submitted"))})
                elif c["old"] == HIDDEN:  # shown from this record on
                    lines.append({"label": label, "text": "—" if c["new"] is None else str(c["new"])})
                else:
                    lines.append(
                        {"label": label, "before": str(c["old"] or "—"), "after": str(c["new"] or "—")}
                    )
            # A text that was and stays empty says nothing.
            lines = [x for x in lines if "diff" not in x or any(text for _op, text in x["diff"])]
        if not lines and kind == "text":
            continue
        out.append(
            {
                "when": e["when"],
                "who": _name(e["who"]),
                "kind": kind,
                "title": str(title),
                "note": e["reason"],
                "lines": lines,
            }
        )
    for d in review.disputes.select_related("raised_by", "answered_by"):
        metric = wording.metric_name(d.metric)
        out.append(
            {
                "when": d.raised_at,
                "who": _name(d.raised_by),
                "kind": "flag",
                "title": str(_("Flag raised on %(metric)s") % {"metric": metric}),
                "note": d.comment,
                "lines": [],
            }
        )
        if d.answered_at:
            out.append(
                {
                    "when": d.answered_at,
                    "who": _name(d.answered_by),
                    "kind": "flag",
                    "title": str(_("Flag on %(metric)s answered") % {"metric": metric}),
                    "note": d.answer,
                    "lines": [],
                }
            )
        if d.closed_at:
            out.append(
                {
                    "when": d.closed_at,
                    "who": _name(review.csm),
                    "kind": "flag",
                    "title": str(
                        (
                            _("Flag on %(metric)s resolved")
                            if d.state == "resolved"
                            else _("Flag on %(metric)s withdrawn")
                        )
                        % {"metric": metric}
                    ),
                    "note": "",
                    "lines": [],
                }
            )
    for c in review.comments.select_related("author"):
        out.append(
            {
                "when": c.created_at,
                "who": _name(c.author),
                "kind": "comment",
                "title": str(_("Comment")),
                "note": c.body,
                "lines": [],
            }
        )
    out.sort(key=lambda x: x["when"], reverse=True)
    return out
