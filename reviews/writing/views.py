"""Review pages: lists, the review form (autosaved, conflict-safe), history, PDF, cycles for HR."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import get_visible_or_404
from accounts.requests import PersonRequest
from kpis import pagecache
from kpis.registry import REGISTRY
from reviews import wording, workflow
from reviews.access import review_view
from reviews.input.selectors import input_page_context
from reviews.models import Dispute, Review, ReviewCycle
from reviews.notes.services import notes_in_review, shown_note
from reviews.output.pdf import review_filename, review_pdf
from reviews.writing import disputes as flags
from reviews.writing import explain, quotes, selectors, services


def _errors(exc: ValidationError) -> str:
    return " ".join(f"{m}" for ms in exc.message_dict.values() for m in ms)


def _review(request: PersonRequest, review_id: int) -> Review:
    visible = Review.objects.visible_to(request.user).select_related(
        "cycle__template", "csm__team", "reviewer", "calibrated_by"
    )
    return get_visible_or_404(request=request, visible=visible, pk=review_id, what="review")


@login_required
def review_list(request: PersonRequest) -> HttpResponse:
    cycles = list(ReviewCycle.objects.order_by("-period"))
    cycle = None
    if request.GET.get("cycle"):
        cycle = next((c for c in cycles if str(c.pk) == request.GET["cycle"]), None)
    reviews = list(
        selectors.reviews_for(viewer=request.user, cycle=cycle).order_by("-cycle__period", "csm__name")
    )
    for r in reviews:
        r.view = review_view(request.user, r)
    return render(request, "reviews/list.html", {"reviews": reviews, "cycles": cycles, "cycle": cycle})


def _metric_rows(review: Review) -> list[dict]:
    minimums = review.cycle.template.min_samples or {}
    rows = []
    frozen = wording.snapshot_in_words(review.snapshot).get("metrics", [])
    by_key = {m["metric"]: m for m in frozen}
    for m in frozen:
        metric = REGISTRY.get(m["metric"])
        if metric is None or metric.group == "context" or m["metric"].endswith(wording.INTERVAL_ENDS):
            continue  # a lift's interval is written on the lift's row
        minimum = minimums.get(m["metric"])
        few = bool(minimum) and m["value"] is not None and int(m.get("sample_size") or 0) < int(minimum or 0)
        rows.append(
            {
                **m,
                "spec": metric,
                "weighted": m["metric"] in review.cycle.template.kpi_weights,
                # Below its minimum sample a change is not coloured (docs/metrics.md, "Small samples").
                "few_data": few,
                "change_is": "" if few else m.get("change_is"),
                "sample_words": wording.sample_words(m["metric"], int(m.get("sample_size") or 0)),
                "min_sample": minimum,
                # The citation as a reader would give it (today's wording, never a file name).
                "citation": str(metric.benchmark[1]) if metric.benchmark else "",
                "interval": wording.lift_interval(m["metric"], by_key),
            }
        )
    return rows


def _flag_metrics(review: Review) -> list[dict]:
    """The metrics of ``_metric_rows`` (same order, same ones left out), key and name only."""
    out = []
    for m in review.snapshot.get("metrics", []):
        metric = REGISTRY.get(m["metric"])
        if metric is None or metric.group == "context":
            continue
        out.append({"metric": m["metric"], "name": m.get("name") or wording.metric_name(m["metric"])})
    return out


def _content(request: PersonRequest, review: Review) -> services.ReviewContent:
    """What the page posted of the part its reader writes (only the fields on the page)."""
    keys = [s["key"] for s in review.cycle.template.sections]
    acc = review_view(request.user, review)
    rating_prefix = "selfrating_" if acc.can_write_self else "rating_"
    manager = acc.can_write_manager and not acc.can_write_self
    return services.ReviewContent(
        sections={k: request.POST[f"section_{k}"] for k in keys if f"section_{k}" in request.POST},
        # A rating set back to "—" is posted empty: it is cleared.
        ratings={
            k: request.POST[f"{rating_prefix}{k}"] for k in keys if f"{rating_prefix}{k}" in request.POST
        },
        final_rating=(request.POST.get("final_rating") or None) if manager else None,
        final_rating_reason=request.POST.get("final_rating_reason") if manager else None,
        # One choice per customer comment on the page: quote_<its id> = the section it is evidence for.
        quotes={k.removeprefix("quote_"): v for k, v in request.POST.items() if k.startswith("quote_")},
    )


def _conflict(request: PersonRequest, review: Review, exc: services.ReviewConflict, content) -> dict:
    """The in-place comparison of a refused save, as data for the page and for autosave."""
    fresh = Review.objects.select_related("cycle__template", "csm__team", "reviewer").get(pk=review.pk)
    last = fresh.history.select_related("history_user").order_by("-history_id").first()
    fields = selectors.conflict_fields(
        review=fresh, viewer=request.user, version=request.POST.get("version"), content=content
    )
    who = last.history_user.get_full_name() if last and last.history_user else _("someone else")
    for f in fields:
        f["html"] = render_to_string("reviews/_conflict_field.html", {"f": f, "who": who}, request=request)
    return {
        "message": str(exc),
        "version": fresh.version,
        "saved_by": str(who),
        "fields": fields,
    }


def _detail_context(request: PersonRequest, review: Review, **extra) -> dict:
    acc = review_view(request.user, review)
    template = review.cycle.template
    disputes = list(review.disputes.select_related("raised_by", "answered_by"))
    turn_who, turn_what = selectors.turn_of(review)
    context = {
        "review": review,
        "access": acc,
        "template": template,
        # Only built when the cached table of the frozen numbers is missing (it changes with the version).
        "metrics": SimpleLazyObject(lambda: _metric_rows(review)),
        "fragment_seconds": pagecache.FRAGMENT_SECONDS,
        # The table marks the template's weighted metrics: an edit of the weights shows at once.
        "weighted_keys": ",".join(sorted(template.kpi_weights))
        + "|"
        + ",".join(f"{k}={v}" for k, v in sorted((template.min_samples or {}).items())),
        "okrs": review.snapshot.get("okrs") or {},
        "disputes": disputes,
        "open_flags": sum(1 for d in disputes if d.is_unresolved),
        "comments": review.comments.select_related("author"),
        "notes": [shown_note(n) for n in notes_in_review(review, acc)],
        "diff": request.session.pop(f"review-diff-{review.pk}", None),
        "field_errors": request.session.pop(f"review-errors-{review.pk}", {}),
        "actions": _actions(review, request.user),
        "scale": template.rating_scale,
        "final_label": template.label_of(review.final_rating),
        # The rating that counts (the calibration session's when it adjusted it) and the label of it;
        # the manager's stays beside it. Both are the manager's part: hidden as it is.
        "rating_label": template.label_of(review.rating),
        "calibrated": acc.manager_visible and review.calibrated_rating is not None,
        # Worked out only when its cached fragment is missing (it changes with the version too).
        "explained": SimpleLazyObject(
            lambda: (
                explain.suggested_explained(review.suggested_rating, review.suggested_detail, template)
                if acc.manager_visible
                else None
            )
        ),
        "scale_key": ",".join(f"{s['value']}={s['label']}" for s in template.rating_scale),
        # The numbers a CSM may flag, by name: the metrics of the table (without building its rows).
        "flag_metrics": SimpleLazyObject(lambda: _flag_metrics(review)),
        "turn_who": turn_who,
        "turn_what": turn_what,
        "posted": {},
        "conflict": None,
        "both_ratings": template.self_rating and acc.self_visible and acc.manager_visible,
    }
    context.update(input_page_context(request.user, review))
    context.update(extra)
    # Each section as the page shows it: the saved text, or what the person posted when a save was
    # refused (nothing typed is lost), with the comparison and any message next to its field.
    posted, conflict = context["posted"], context["conflict"] or {}
    boxes = {f["name"]: f["html"] for f in conflict.get("fields", [])}
    errors = context["field_errors"]

    def value(name, saved):
        return posted.get(name, saved) if posted else saved

    rows = []
    for sec in template.sections:
        k = sec["key"]
        rows.append(
            {
                "key": k,
                "title": sec["title"],
                "self_text": value(f"section_{k}", review.self_assessment.get(k) or ""),
                "manager_text": value(f"section_{k}", review.manager_assessment.get(k) or ""),
                "rating": _int_or_none(value(f"rating_{k}", review.section_ratings.get(k))),
                "self_rating": _int_or_none(value(f"selfrating_{k}", review.self_ratings.get(k))),
                "rating_label": template.label_of(review.section_ratings.get(k)),
                "self_rating_label": template.label_of(review.self_ratings.get(k)),
                "box": boxes.get(f"section_{k}", ""),
                "rating_box": boxes.get(f"rating_{k}", "") or boxes.get(f"selfrating_{k}", ""),
                "error": errors.get(f"section_{k}", ""),
            }
        )
    # The customers' words: what each section quotes (as the viewer may see it), and for the person
    # who writes now the quarter's comments to pick from (those picked already, even if deleted since).
    self_quoted = quotes.shown_by_section(review.self_quotes) if acc.self_visible else {}
    manager_quoted = quotes.shown_by_section(review.manager_quotes) if acc.manager_visible else {}
    for row in rows:
        row["self_quotes"] = self_quoted.get(row["key"], [])
        row["manager_quotes"] = manager_quoted.get(row["key"], [])
    context["customer_words"] = None
    if acc.can_write_self or acc.can_write_manager:
        mine = review.self_quotes if acc.can_write_self else review.manager_quotes
        picked = {q["survey"]: k for k, qs in mine.items() for q in qs}
        frozen = {q["survey"]: q for qs in mine.values() for q in qs}
        live = quotes.customer_words(csm=review.csm, period=review.cycle.period)
        ids = {q["survey"] for q in live}
        words = [frozen.get(q["survey"], q) for q in live] + [q for s, q in frozen.items() if s not in ids]
        posted_picks = {k.removeprefix("quote_"): v for k, v in posted.items() if k.startswith("quote_")}
        context["customer_words"] = [
            {**quotes.shown(q), "section": posted_picks.get(str(q["survey"]), picked.get(q["survey"], ""))}
            for q in sorted(words, key=lambda q: (q["responded_at"], q["survey"]))
        ]
    context["quotes_per_section"] = quotes.QUOTES_PER_SECTION
    context["sections"] = rows
    context["final_value"] = _int_or_none(value("final_rating", review.final_rating))
    context["reason_value"] = value("final_rating_reason", review.final_rating_reason)
    context["final_box"] = boxes.get("final_rating", "")
    context["reason_box"] = boxes.get("final_rating_reason", "")
    return context


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@login_required
def review_detail(request: PersonRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    return render(request, "reviews/detail.html", _detail_context(request, review))


def _actions(review: Review, user) -> list[dict]:
    """The next steps the viewer may take, for the bar at the top of the page (``reviews.workflow``).
    ``content``: the button submits the viewer's part as it is on the screen with the step."""
    acc = review_view(user, review)
    writes = {workflow.Actor.CSM: acc.can_write_self, workflow.Actor.REVIEWER: acc.can_write_manager}
    return [
        {
            "action": step.action,
            "label": step.label,
            "content": bool(step.submits and writes.get(step.submits)),
            "irreversible": step.irreversible,
        }
        for step in workflow.available(user, review, acc)
    ]


def _step_message(action: str, review: Review) -> str:
    reviewer = review.reviewer.get_full_name() if review.reviewer else _("the reviewer")
    csm = review.csm.get_full_name()
    return {
        "send_to_csm": _("Sent to %(csm)s for self-review; %(csm)s will be notified.") % {"csm": csm},
        "submit_self": _("Self-review submitted; %(reviewer)s will be notified.") % {"reviewer": reviewer},
        "submit": _("Review submitted; %(csm)s will be notified and can now read it.") % {"csm": csm},
        "acknowledge": _("Review acknowledged; %(reviewer)s and HR will be notified.")
        % {"reviewer": reviewer},
        "finalize": _("Review of %(csm)s finalized; it is now read-only.") % {"csm": csm},
        "reopen": _("Review reopened as revision %(n)d; %(reviewer)s writes it again.")
        % {"n": review.revision, "reviewer": reviewer},
    }[action]


def _labelled(review: Review, errors: dict) -> dict:
    """Error messages keyed by form field, each starting with the field's label."""
    return {k: " ".join(str(m) for m in v) for k, v in errors.items()}


@login_required
@require_POST
def review_save(request: PersonRequest, review_id: int) -> HttpResponse:
    """Save the viewer's part (self-review or manager's draft). Autosave posts here too (JSON)."""
    review = _review(request, review_id)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    content = _content(request, review)
    try:
        review = services.review_save_content(
            user=request.user, review=review, version=request.POST.get("version"), content=content
        )
    except services.ReviewConflict as exc:
        conflict = _conflict(request, review, exc, content)
        if wants_json:
            return JsonResponse({"ok": False, "conflict": True, **conflict}, status=409)
        return _in_place(request, review, conflict)
    except ValidationError as exc:
        if wants_json:
            return JsonResponse(
                {
                    "ok": False,
                    "errors": _labelled(review, exc.message_dict),
                    "labels": {k: wording.field_label(review, k) for k in exc.message_dict},
                },
                status=400,
            )
        request.session[f"review-errors-{review.pk}"] = _labelled(review, exc.message_dict)
        messages.error(request, _("Not saved: see the message next to the field."))
        return redirect("review-detail", review_id=review.pk)
    except PermissionDenied as exc:
        if wants_json:
            return JsonResponse({"ok": False, "errors": {"__all__": str(exc)}}, status=403)
        raise
    if wants_json:
        return JsonResponse(
            {
                "ok": True,
                "version": review.version,
                "saved_at": date_format(timezone.localtime(review.updated_at), "H:i"),
            }
        )
    messages.success(request, _("Saved."))
    return redirect("review-detail", review_id=review.pk)


def _in_place(request: PersonRequest, review: Review, conflict: dict) -> HttpResponse:
    """The page again, with what the person posted in its fields and the comparison next to each
    field that changed meanwhile: nothing typed is lost, nothing moved."""
    current = Review.objects.select_related("cycle__template", "csm__team", "reviewer").get(pk=review.pk)
    posted = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken",)}
    context = _detail_context(request, current, posted=posted, conflict=conflict)
    return render(request, "reviews/detail.html", context, status=409)


@login_required
@require_POST
def review_transition(request: PersonRequest, review_id: int, action: str) -> HttpResponse:
    review = _review(request, review_id)
    if action not in workflow.STEP:
        raise Http404
    kwargs: dict[str, str | bool] = {}
    if action == "acknowledge":
        kwargs["comment"] = request.POST.get("comment", "")
        kwargs["confirm_open_flags"] = request.POST.get("confirm_open_flags") == "1"
    if action == "reopen":
        kwargs["reason"] = request.POST.get("reason", "")
    acc = review_view(request.user, review)
    content = _content(request, review) if (acc.can_write_self or acc.can_write_manager) else None
    try:
        outcome = services.review_save_and_step(
            user=request.user,
            review=review,
            version=request.POST.get("version"),
            action=action,
            content=content,
            **kwargs,
        )
    except services.ReviewConflict as exc:
        return _in_place(
            request, review, _conflict(request, review, exc, content or services.ReviewContent())
        )
    except ValidationError as exc:
        request.session[f"review-errors-{review.pk}"] = _labelled(review, exc.message_dict)
        messages.error(request, _("The review did not move: %(why)s") % {"why": _errors(exc)})
        return redirect("review-detail", review_id=review.pk)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Not allowed."))
        return redirect("review-detail", review_id=review.pk)
    if outcome.moved:
        messages.success(request, _step_message(action, outcome.review))
    else:
        request.session[f"review-errors-{review.pk}"] = _labelled(review, outcome.errors)
        messages.error(
            request,
            _("Your text is saved, but the review did not move: %(why)s")
            % {"why": " ".join(str(m) for ms in outcome.errors.values() for m in ms)},
        )
    return redirect("review-detail", review_id=review.pk)


@login_required
@require_POST
def review_refresh(request: PersonRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    try:
        changes = services.review_refresh_snapshot(
            user=request.user, review=review, version=request.POST.get("version")
        )
        request.session[f"review-diff-{review.pk}"] = changes
        messages.success(request, _("Numbers refreshed: %(n)d changed.") % {"n": len(changes)})
    except (ValidationError, services.ReviewConflict, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    return redirect("review-detail", review_id=review.pk)


@login_required
@require_POST
def dispute_raise(request: PersonRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    try:
        flags.dispute_raise(
            user=request.user,
            review=review,
            metric=request.POST.get("metric", ""),
            comment=request.POST.get("comment", ""),
        )
        reviewer = review.reviewer.get_full_name() if review.reviewer else _("your reviewer")
        messages.success(
            request,
            _("%(metric)s is flagged; %(reviewer)s will be notified and answer here.")
            % {"metric": wording.metric_name(request.POST.get("metric", "")), "reviewer": reviewer},
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    return redirect("review-detail", review_id=review.pk)


@login_required
@require_POST
def dispute_answer(request: PersonRequest, review_id: int, dispute_id: int) -> HttpResponse:
    review = _review(request, review_id)
    dispute = get_object_or_404(Dispute, pk=dispute_id, review=review)
    try:
        flags.dispute_answer(user=request.user, dispute=dispute, answer=request.POST.get("answer", ""))
        messages.success(
            request,
            _("Your answer on %(metric)s is saved; %(csm)s will be notified and can resolve the flag.")
            % {"metric": wording.metric_name(dispute.metric), "csm": review.csm.get_full_name()},
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    return redirect(reverse("review-detail", args=[review.pk]) + "#disputes")


@login_required
@require_POST
def dispute_close(request: PersonRequest, review_id: int, dispute_id: int, how: str) -> HttpResponse:
    """The CSM resolves an answered flag, or withdraws a flag."""
    review = _review(request, review_id)
    dispute = get_object_or_404(Dispute, pk=dispute_id, review=review)
    service = {"resolve": flags.dispute_resolve, "withdraw": flags.dispute_withdraw}.get(how)
    if service is None:
        raise Http404
    try:
        service(user=request.user, dispute=dispute)
        done = _("resolved") if how == "resolve" else _("withdrawn")
        messages.success(
            request,
            _("The flag on %(metric)s is %(done)s.")
            % {"metric": wording.metric_name(dispute.metric), "done": done},
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    return redirect(reverse("review-detail", args=[review.pk]) + "#disputes")


@login_required
@require_POST
def comment_add(request: PersonRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    try:
        flags.comment_add(user=request.user, review=review, body=request.POST.get("body", ""))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    return redirect(reverse("review-detail", args=[review.pk]) + "#comments")


@login_required
def review_history(request: PersonRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    if not review_view(request.user, review).history_visible:
        raise Http404
    entries = selectors.timeline_of(review, request.user)
    return render(
        request,
        "reviews/history.html",
        {"review": review, "entries": entries, "current_zone": timezone.get_current_timezone_name()},
    )


@login_required
def review_pdf_view(request: PersonRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    if not review_view(request.user, review).pdf_visible:
        raise Http404
    response = HttpResponse(review_pdf(review, viewer=request.user), content_type="application/pdf")
    disposition = content_disposition_header(False, review_filename(review))
    assert disposition is not None  # a file name always gives a header
    response["Content-Disposition"] = disposition
    return response
