"""Review pages: lists, the review form (autosaved, conflict-safe), history, PDF, cycles for HR."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import get_visible_or_404
from accounts.models import Role
from kpis import pagecache
from kpis.registry import REGISTRY
from kpis.scorecards import default_period
from reviews import exports, selectors, services
from reviews.access import review_view
from reviews.models import CycleExport, Dispute, Review, ReviewCycle, ReviewStatus
from reviews.pdf import review_pdf


def _errors(exc: ValidationError) -> str:
    return " ".join(f"{m}" for ms in exc.message_dict.values() for m in ms)


def _review(request: HttpRequest, review_id: int) -> Review:
    visible = Review.objects.visible_to(request.user).select_related(
        "cycle__template", "csm__team", "reviewer"
    )
    return get_visible_or_404(request=request, visible=visible, pk=review_id, what="review")


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
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
    rows = []
    for m in review.snapshot.get("metrics", []):
        metric = REGISTRY.get(m["metric"])
        if metric is None or metric.group == "context":
            continue
        rows.append({**m, "spec": metric, "weighted": m["metric"] in review.cycle.template.kpi_weights})
    return rows


@login_required
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    acc = review_view(request.user, review)
    return render(
        request,
        "reviews/detail.html",
        {
            "review": review,
            "access": acc,
            "template": review.cycle.template,
            # Only built when the cached table of the frozen numbers is missing (it changes with the version).
            "metrics": SimpleLazyObject(lambda: _metric_rows(review)),
            "fragment_seconds": pagecache.FRAGMENT_SECONDS,
            # The table marks the template's weighted metrics: an edit of the weights shows at once.
            "weighted_keys": ",".join(sorted(review.cycle.template.kpi_weights)),
            "okrs": review.snapshot.get("okrs") or {},
            "disputes": review.disputes.select_related("raised_by", "answered_by"),
            "comments": review.comments.select_related("author"),
            "diff": request.session.pop(f"review-diff-{review.pk}", None),
            "actions": _actions(review, request.user),
            "scale": review.cycle.template.rating_scale,
            "final_label": review.cycle.template.label_of(review.final_rating),
        },
    )


def _actions(review: Review, user) -> list[tuple[str, str]]:
    acc = review_view(user, review)
    out = []
    if review.status == ReviewStatus.DRAFT and (acc.is_reviewer or acc.is_hr):
        out.append(("send_to_csm", _("Send to the CSM for self-review")))
    if review.status == ReviewStatus.SELF_REVIEW and acc.is_csm:
        out.append(("submit_self", _("Submit my self-review")))
    if review.status == ReviewStatus.MANAGER_REVIEW and acc.is_reviewer:
        out.append(("submit", _("Submit the review")))
    if review.status == ReviewStatus.ACKNOWLEDGED and user.role in (Role.HR, Role.ADMIN):
        out.append(("finalize", _("Finalize")))
    return out


@login_required
@require_POST
def review_save(request: HttpRequest, review_id: int) -> HttpResponse:
    """Save the viewer's part (self-review or manager's draft). Autosave posts here too (JSON)."""
    review = _review(request, review_id)
    acc = review_view(request.user, review)
    sections = {
        s["key"]: request.POST.get(f"section_{s['key']}", "")
        for s in review.cycle.template.sections
        if f"section_{s['key']}" in request.POST
    }
    version = request.POST.get("version")
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    try:
        if acc.can_write_self:
            review = services.review_save_self(
                user=request.user, review=review, version=version, sections=sections
            )
        elif acc.can_write_manager:
            ratings = {
                s["key"]: request.POST.get(f"rating_{s['key']}", "")
                for s in review.cycle.template.sections
                if request.POST.get(f"rating_{s['key']}")
            }
            review = services.review_save_manager(
                user=request.user,
                review=review,
                version=version,
                sections=sections,
                section_ratings=ratings,
                final_rating=request.POST.get("final_rating") or None,
                final_rating_reason=request.POST.get("final_rating_reason"),
            )
        else:
            raise PermissionDenied(_("This review is not yours to edit now."))
    except services.ReviewConflict as exc:
        if wants_json:
            return JsonResponse(
                {"ok": False, "conflict": True, "message": str(exc), "version": exc.current_version},
                status=409,
            )
        messages.error(request, str(exc))
        return render(
            request,
            "reviews/conflict.html",
            {"review": review, "message": str(exc), "posted": request.POST},
            status=409,
        )
    except ValidationError as exc:
        if wants_json:
            return JsonResponse({"ok": False, "errors": exc.message_dict}, status=400)
        messages.error(request, _errors(exc))
        return redirect("review-detail", review_id=review.pk)
    if wants_json:
        return JsonResponse(
            {"ok": True, "version": review.version, "saved_at": review.updated_at.isoformat()}
        )
    messages.success(request, _("Saved."))
    return redirect("review-detail", review_id=review.pk)


@login_required
@require_POST
def review_transition(request: HttpRequest, review_id: int, action: str) -> HttpResponse:
    review = _review(request, review_id)
    step = services.TRANSITIONS.get(action)
    if step is None:
        raise Http404
    kwargs = {"user": request.user, "review": review, "version": request.POST.get("version")}
    if action == "acknowledge":
        kwargs["comment"] = request.POST.get("comment", "")
    if action == "reopen":
        kwargs["reason"] = request.POST.get("reason", "")
    try:
        step(**kwargs)
        messages.success(request, _("Done."))
    except services.ReviewConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Not allowed."))
    return redirect("review-detail", review_id=review.pk)


@login_required
@require_POST
def review_refresh(request: HttpRequest, review_id: int) -> HttpResponse:
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
def dispute_raise(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    try:
        services.dispute_raise(
            user=request.user,
            review=review,
            metric=request.POST.get("metric", ""),
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, _("The number is flagged; your manager will answer."))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    return redirect("review-detail", review_id=review.pk)


@login_required
@require_POST
def dispute_answer(request: HttpRequest, review_id: int, dispute_id: int) -> HttpResponse:
    review = _review(request, review_id)
    dispute = get_object_or_404(Dispute, pk=dispute_id, review=review)
    try:
        services.dispute_answer(user=request.user, dispute=dispute, answer=request.POST.get("answer", ""))
        messages.success(request, _("Answered."))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    return redirect("review-detail", review_id=review.pk)


@login_required
@require_POST
def comment_add(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    try:
        services.comment_add(user=request.user, review=review, body=request.POST.get("body", ""))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    return redirect(reverse("review-detail", args=[review.pk]) + "#comments")


@login_required
def review_history(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    if not review_view(request.user, review).history_visible:
        raise Http404
    entries = selectors.history_of(review, request.user)
    return render(request, "reviews/history.html", {"review": review, "entries": entries})


@login_required
def review_pdf_view(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    if not review_view(request.user, review).pdf_visible:
        raise Http404
    response = HttpResponse(review_pdf(review, viewer=request.user), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="review-{review.cycle.period}-{review.csm.email}.pdf"'
    )
    return response


# --- cycles (HR) -----------------------------------------------------------------------------


def _require_hr(request: HttpRequest) -> None:
    if request.user.role not in (Role.HR, Role.ADMIN):
        raise Http404


@login_required
def cycle_list(request: HttpRequest) -> HttpResponse:
    _require_hr(request)
    period = default_period()
    if request.method == "POST":
        try:
            cycle = services.cycle_create(
                user=request.user,
                period=request.POST.get("period", ""),
                self_review_due=datetime.date.fromisoformat(request.POST.get("self_review_due", "")),
                manager_review_due=datetime.date.fromisoformat(request.POST.get("manager_review_due", "")),
            )
            return redirect("cycle-detail", cycle_id=cycle.pk)
        except ValueError:
            messages.error(request, _("Due dates are dates such as 2026-10-15."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    cycles = ReviewCycle.objects.select_related("template").order_by("-period")
    return render(
        request,
        "reviews/cycles.html",
        {
            "cycles": cycles,
            "period": period,
            "self_due": period.end,
            "manager_due": period.end + datetime.timedelta(days=14),
        },
    )


@login_required
def cycle_detail(request: HttpRequest, cycle_id: int) -> HttpResponse:
    _require_hr(request)
    cycle = get_object_or_404(ReviewCycle.objects.select_related("template"), pk=cycle_id)
    counts = {s.value: 0 for s in ReviewStatus}
    for status in cycle.reviews.values_list("status", flat=True):
        counts[status] += 1
    total = sum(counts.values())
    context = {
        "cycle": cycle,
        "counts": [(ReviewStatus(k).label, v) for k, v in counts.items()],
        "total": total,
        "finalized": counts[ReviewStatus.FINALIZED],
        "export": cycle.exports.order_by("-created_at").first(),
    }
    if cycle.status in ("calibration", "closed"):
        context["calibration"] = selectors.calibration(cycle=cycle)
        context["calibration_chart"] = exports.calibration_chart(context["calibration"])
    return render(request, "reviews/cycle_detail.html", context)


@login_required
@require_POST
def cycle_action(request: HttpRequest, cycle_id: int, action: str) -> HttpResponse:
    _require_hr(request)
    cycle = get_object_or_404(ReviewCycle, pk=cycle_id)
    try:
        if action == "open":
            n = services.cycle_open(user=request.user, cycle=cycle)
            messages.success(request, _("Cycle open: %(n)d reviews created.") % {"n": n})
        elif action == "advance":
            services.cycle_advance(user=request.user, cycle=cycle)
            messages.success(request, _("The cycle moved on."))
        elif action == "export":
            exports.cycle_export_start(user=request.user, cycle=cycle)
            messages.success(request, _("The export has started; this page shows its progress."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("cycle-detail", cycle_id=cycle.pk)


@login_required
@require_POST
def cycle_calibrate(request: HttpRequest, cycle_id: int, review_id: int) -> HttpResponse:
    """Calibration: HR changes a review's final rating, saying why (the CSM and reviewer are told)."""
    _require_hr(request)
    review = get_object_or_404(
        Review.objects.select_related("cycle__template"), pk=review_id, cycle_id=cycle_id
    )
    try:
        services.review_calibrate(
            user=request.user,
            review=review,
            version=request.POST.get("version"),
            final_rating=request.POST.get("final_rating"),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("The rating of %(csm)s changed.") % {"csm": review.csm})
    except services.ReviewConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect(reverse("cycle-detail", args=[cycle_id]) + "#calibration")


@login_required
def export_status(request: HttpRequest, cycle_id: int, export_id: int) -> HttpResponse:
    _require_hr(request)
    export = get_object_or_404(CycleExport, pk=export_id, cycle_id=cycle_id)
    if request.GET.get("download"):
        if export.status != "done":
            raise Http404
        return FileResponse(
            open(export.path, "rb"),
            as_attachment=True,  # noqa: SIM115 - FileResponse closes it
            filename=f"reviews-{export.cycle.period}.zip",
        )
    return JsonResponse(
        {
            "status": export.status,
            "done": export.done,
            "total": export.total,
            "error": export.error,
            "percent": round(100 * export.done / export.total) if export.total else 0,
        }
    )
