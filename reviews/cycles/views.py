"""HR's cycle pages: the list with the new-cycle form, the cycle page (participants, every review with
its due date, reviewers, reminders, progress per manager, exports) and the calibration session."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import EVERYONE_ROLES, Role, User
from accounts.requests import PersonRequest
from kpis.periods import Period, period_label
from reviews.access import require_hr
from reviews.cycles import selectors, services
from reviews.input import services as input_services
from reviews.models import CycleExport, CycleStatus, Review, ReviewCycle, ReviewStatus
from reviews.output import charts, exports, summary
from reviews.output.pdf import zip_filename
from reviews.writing import services as review_services


def _errors(exc: ValidationError) -> str:
    return " ".join(f"{m}" for ms in exc.message_dict.values() for m in ms)


@login_required
def cycle_list(request: PersonRequest) -> HttpResponse:
    require_hr(request.user, page=True)
    period = selectors.next_free_quarter()
    if request.method == "POST":
        try:
            cycle = services.cycle_create(
                user=request.user,
                period=request.POST.get("period", ""),
                self_review_due=datetime.date.fromisoformat(request.POST.get("self_review_due", "")),
                manager_review_due=datetime.date.fromisoformat(request.POST.get("manager_review_due", "")),
            )
            messages.success(
                request,
                _("Cycle %(p)s created. Check who takes part, then open it.")
                % {"p": period_label(cycle.period)},
            )
            return redirect("cycle-detail", cycle_id=cycle.pk)
        except ValueError:
            messages.error(request, _("Both due dates are needed: pick each one in its calendar."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    cycles_ = ReviewCycle.objects.select_related("template").order_by("-period")
    return render(
        request,
        "reviews/cycles.html",
        {
            "cycles": cycles_,
            "period": period,
            "period_choices": _free_quarters(period),
            "self_due": period.end + datetime.timedelta(days=7),
            "manager_due": period.end + datetime.timedelta(days=21),
        },
    )


def _free_quarters(first: Period, n: int = 4) -> list[Period]:
    """The new-cycle form's quarters: the first without a cycle and the next ones without one."""
    taken = set(ReviewCycle.objects.values_list("period", flat=True))
    out: list[Period] = []
    p = first
    while len(out) < n:
        if str(p) not in taken:
            out.append(p)
        p = p.next()
    return out


def _reviewer_choices(rows) -> dict[int, list[User]]:
    """Per review: the people the reviewer rule allows (the CSM's team manager, HR, admins; never the
    CSM). The service checks again on the change."""
    everyone = list(User.objects.filter(is_active=True, role__in=EVERYONE_ROLES).order_by("name"))
    out = {}
    for row in rows:
        r = row.review
        mgr = r.csm.team.manager if r.csm.team and r.csm.team.manager else None
        people = ([mgr] if mgr and mgr.is_active else []) + everyone
        out[r.pk] = [u for u in people if u.pk != r.csm_id]
    return out


@login_required
def cycle_detail(request: PersonRequest, cycle_id: int) -> HttpResponse:
    require_hr(request.user, page=True)
    cycle = get_object_or_404(ReviewCycle.objects.select_related("template"), pk=cycle_id)
    status = request.GET.get("status", "")
    manager = request.GET.get("manager", "")
    overdue = request.GET.get("overdue") == "1"
    q = request.GET.get("q", "").strip()
    f = {"status": status, "manager": manager, "overdue": overdue, "q": q}
    # One read of the cycle's reviews; the filters pick among them (a filtered page costs no more).
    all_rows = selectors.all_cycle_rows(cycle, q=q)
    filtered = any(f.values())
    rows = (
        selectors.filter_rows(all_rows, status=status, manager=manager, overdue=overdue, q=q)
        if filtered
        else all_rows
    )
    choices = _reviewer_choices(rows)
    for row in rows:
        row.choices = choices[row.review.pk]
    counts = {s.value: 0 for s in ReviewStatus}
    for row in all_rows:
        counts[row.review.status] += 1
    total = len(all_rows)
    unsubmitted = sum(1 for row in all_rows if not row.review.reached(ReviewStatus.SUBMITTED))
    managers = sorted(
        {(row.manager.pk, str(row.manager)) for row in all_rows if row.manager}, key=lambda m: m[1].lower()
    )
    context: dict[str, Any] = {
        "cycle": cycle,
        "counts": [(ReviewStatus(k).label, v) for k, v in counts.items()],
        "total": total,
        "submitted": total - unsubmitted,
        "unsubmitted": unsubmitted,
        "finalized": counts[ReviewStatus.FINALIZED],
        "overdue": sum(row.overdue for row in all_rows),
        "rows": rows,
        "filters": f,
        "filtered": filtered,
        "statuses": [(s.value, s.label) for s in ReviewStatus],
        "managers": managers,
        "progress": selectors.manager_progress(all_rows),
        "export": cycle.exports.order_by("-created_at").first(),
        "export_state": None,
        "warnings": selectors.opening_warnings(cycle) if cycle.status == CycleStatus.DRAFT else [],
        "participants": selectors.cycle_participants(cycle)
        if cycle.status in (CycleStatus.DRAFT, CycleStatus.OPEN)
        else None,
        "excluded": cycle.exclusions.select_related("csm", "excluded_by").order_by("csm__name"),
    }
    if context["export"]:
        context["export_state"] = exports.export_state(context["export"])
    return render(request, "reviews/cycle_detail.html", context)


@login_required
@require_POST
def cycle_action(request: PersonRequest, cycle_id: int, action: str) -> HttpResponse:
    require_hr(request.user, page=True)
    cycle = get_object_or_404(ReviewCycle, pk=cycle_id)
    target = reverse("cycle-detail", args=[cycle.pk])
    try:
        if action == "open":
            n = services.cycle_open(
                user=request.user, cycle=cycle, confirm=request.POST.get("confirm") == "1"
            )
            messages.success(request, _("Cycle open: %(n)d reviews created.") % {"n": n})
        elif action == "input-anonymity":
            anonymous = request.POST.get("anonymous") == "1"
            input_services.cycle_set_input_anonymity(user=request.user, cycle=cycle, anonymous=anonymous)
            messages.success(
                request,
                _("Colleagues' input in this cycle is anonymous to the CSM.")
                if anonymous
                else _("Colleagues' input in this cycle is named: the CSM sees who said what."),
            )
        elif action == "calibrate":
            services.cycle_start_calibration(
                user=request.user, cycle=cycle, override_reason=request.POST.get("override_reason", "")
            )
            messages.success(request, _("Calibration has started."))
            target = reverse("cycle-calibration", args=[cycle.pk])
        elif action == "close":
            services.cycle_close(user=request.user, cycle=cycle)
            messages.success(request, _("The cycle is closed."))
        elif action == "export":
            export = exports.cycle_export_start(user=request.user, cycle=cycle)
            export.refresh_from_db()  # failed at once when the job queue cannot be reached
            if export.status == "failed":
                messages.error(request, export.error_words)
            else:
                messages.success(request, _("The export has started; this page shows its progress."))
        elif action == "remind-overdue":
            overdue, sent, kept = services.cycle_remind_overdue(user=request.user, cycle=cycle)
            if not overdue:
                messages.info(request, _("Nothing is overdue."))
            else:
                if sent == overdue:
                    text = ngettext(
                        "Reminder sent for the %(n)d overdue review.",
                        "Reminders sent for the %(n)d overdue reviews.",
                        sent,
                    ) % {"n": sent}
                else:
                    text = _(
                        "Reminders sent for %(sent)d of the %(n)d overdue reviews; "
                        "the others were reminded already today."
                    ) % {"sent": sent, "n": overdue}
                if kept:
                    text = " ".join((text, _queue_down_text(kept)))
                (messages.warning if kept else messages.success)(request, text)
        elif action in ("exclude", "include"):
            csm = get_object_or_404(User, pk=request.POST.get("csm") or 0, role=Role.CSM)
            if action == "exclude":
                services.participant_exclude(
                    user=request.user, cycle=cycle, csm=csm, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("%(name)s is left out of the cycle.") % {"name": csm})
            else:
                services.participant_include(user=request.user, cycle=cycle, csm=csm)
                messages.success(request, _("%(name)s takes part in the cycle.") % {"name": csm})
            target += "#participants"
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect(target)


@login_required
def cycle_ask_input(request: PersonRequest, cycle_id: int) -> HttpResponse:
    """HR asks colleagues for input on every review of the cycle: a confirmation page that says how
    many requests go out to how many people, then the asking (``input_services``)."""
    require_hr(request.user, page=True)
    cycle = get_object_or_404(ReviewCycle.objects.select_related("template"), pk=cycle_id)
    target = reverse("cycle-detail", args=[cycle.pk])
    if request.method == "POST":
        try:
            expected = int(request.POST.get("expected", ""))
        except ValueError:
            expected = -1  # no number confirmed: the service answers with the current one
        try:
            done = input_services.cycle_input_request_all(user=request.user, cycle=cycle, expected=expected)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect(reverse("cycle-ask-input", args=[cycle.pk]))
        if done.requests:
            messages.success(
                request,
                ngettext(
                    "%(n)d request for input sent to %(people)d people: each gets a to-do and an email.",
                    "%(n)d requests for input sent to %(people)d people: each gets a to-do and an email.",
                    done.requests,
                )
                % {"n": done.requests, "people": done.people},
            )
        else:
            messages.info(request, _("Nobody new to ask: every review has its colleagues asked already."))
        return redirect(target + "#input-privacy")
    try:
        plan = input_services.cycle_input_plan(user=request.user, cycle=cycle)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(target)
    rows: dict[int, dict[str, Any]] = {}
    for review, suggestion in plan.asks:
        row = rows.setdefault(review.pk, {"review": review, "people": []})
        row["people"].append(suggestion)
    return render(
        request,
        "reviews/cycle_ask_input.html",
        {
            "cycle": cycle,
            "plan": plan,
            "rows": list(rows.values()),
            "per_review": input_services.CYCLE_ASK_PER_REVIEW,
        },
    )


def _queue_down_text(kept: int) -> str:
    return ngettext(
        "The mail queue cannot be reached right now: the email will go out when it is back.",
        "The mail queue cannot be reached right now: the %(n)d emails will go out when it is back.",
        kept,
    ) % {"n": kept}


def _cycle_review(cycle_id: int, review_id: int) -> Review:
    return get_object_or_404(
        Review.objects.select_related("cycle__template", "csm__team", "reviewer"),
        pk=review_id,
        cycle_id=cycle_id,
    )


@login_required
@require_POST
def cycle_review_action(request: PersonRequest, cycle_id: int, review_id: int, action: str) -> HttpResponse:
    """Per review, from the cycle page: change the reviewer, or ask for a reminder."""
    require_hr(request.user, page=True)
    review = _cycle_review(cycle_id, review_id)
    try:
        if action == "reviewer":
            review = services.reviewer_reassign(
                user=request.user,
                review=review,
                reviewer_id=request.POST.get("reviewer"),
                version=request.POST.get("version"),
            )
            messages.success(
                request,
                _("%(csm)s is now reviewed by %(who)s.") % {"csm": review.csm, "who": review.reviewer},
            )
        elif action == "remind":
            who, outcome = services.review_remind(user=request.user, review=review)
            names = {"who": who, "csm": review.csm}
            if who.pk == review.csm_id:
                text = {
                    "sent": _("Reminder sent to %(who)s about their review."),
                    "kept": _("Reminder saved for %(who)s about their review."),
                    "": _("%(who)s was reminded about their review already today; nothing more was sent."),
                }[outcome]
            else:
                text = {
                    "sent": _("Reminder sent to %(who)s about %(csm)s's review."),
                    "kept": _("Reminder saved for %(who)s about %(csm)s's review."),
                    "": _(
                        "%(who)s was reminded about %(csm)s's review already today; nothing more was sent."
                    ),
                }[outcome]
            text %= names
            if outcome == "kept":
                messages.warning(request, " ".join((text, _queue_down_text(1))))
            else:
                (messages.success if outcome else messages.info)(request, text)
        else:
            raise Http404
    except review_services.ReviewConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    back = request.POST.get("next", "")
    if not back.startswith("?"):
        back = ""
    return redirect(reverse("cycle-detail", args=[cycle_id]) + back + f"#review-{review.pk}")


# --- calibration ---------------------------------------------------------------------------------


def _calibration_cycle(request: PersonRequest, cycle_id: int) -> ReviewCycle:
    cycle = get_object_or_404(ReviewCycle.objects.select_related("template"), pk=cycle_id)
    if cycle.status not in (CycleStatus.CALIBRATION, CycleStatus.CLOSED) or not services.calibration_member(
        request.user, cycle
    ):
        raise Http404
    return cycle


@login_required
def calibration(request: PersonRequest, cycle_id: int) -> HttpResponse:
    cycle = _calibration_cycle(request, cycle_id)
    session = selectors.calibration_session(
        cycle=cycle, viewer=request.user, axis=request.GET.get("axis", "")
    )
    return render(
        request,
        "reviews/calibration.html",
        {
            "cycle": cycle,
            "s": session,
            "funnel_chart": charts.funnel_chart(session["funnel"]),
            "open": cycle.status == CycleStatus.CALIBRATION,
            "is_hr": request.user.role in EVERYONE_ROLES,
        },
    )


@login_required
@require_POST
def calibration_action(request: PersonRequest, cycle_id: int, review_id: int, action: str) -> HttpResponse:
    cycle = _calibration_cycle(request, cycle_id)
    review = _cycle_review(cycle.pk, review_id)
    try:
        if action == "adjust":
            services.calibration_adjust(
                user=request.user,
                review=review,
                rating=request.POST.get("rating"),
                reason=request.POST.get("reason", ""),
                version=request.POST.get("version"),
            )
            messages.success(request, _("%(csm)s's rating is adjusted.") % {"csm": review.csm})
        elif action == "note":
            services.calibration_note_add(
                user=request.user, cycle=cycle, csm=review.csm, body=request.POST.get("body", "")
            )
            messages.success(request, _("Note kept."))
        else:
            raise Http404
    except review_services.ReviewConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect(reverse("cycle-calibration", args=[cycle.pk]) + f"#csm-{review.csm_id}")


# --- files ---------------------------------------------------------------------------------------


@login_required
def cycle_summary_pdf(request: PersonRequest, cycle_id: int) -> HttpResponse:
    require_hr(request.user, page=True)
    cycle = get_object_or_404(ReviewCycle.objects.select_related("template"), pk=cycle_id)
    response = HttpResponse(
        summary.cycle_summary_pdf(cycle, viewer=request.user), content_type="application/pdf"
    )
    disposition = content_disposition_header(False, summary.summary_filename(cycle))
    assert disposition is not None  # a file name always gives a header
    response["Content-Disposition"] = disposition
    return response


@login_required
def export_status(request: PersonRequest, cycle_id: int, export_id: int) -> HttpResponse | FileResponse:
    require_hr(request.user, page=True)
    export = get_object_or_404(CycleExport, pk=export_id, cycle_id=cycle_id)
    if request.GET.get("download"):
        if export.status != "done":
            raise Http404
        return FileResponse(
            open(export.path, "rb"),
            as_attachment=True,
            filename=zip_filename(export.cycle.period),
        )
    state = exports.export_state(export)
    del state["can_retry"]
    return JsonResponse(state)


@login_required
@require_POST
def export_retry(request: PersonRequest, cycle_id: int, export_id: int) -> HttpResponse:
    """Queue a failed export again (HR, like starting one)."""
    require_hr(request.user, page=True)
    export = get_object_or_404(CycleExport, pk=export_id, cycle_id=cycle_id)
    try:
        export = exports.cycle_export_retry(user=request.user, export=export)
        export.refresh_from_db()  # failed at once when the job queue cannot be reached
        if export.status == "failed":
            messages.error(request, export.error_words)
        else:
            messages.success(request, _("The export was queued again; this page shows its progress."))
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    return redirect("cycle-detail", cycle_id=cycle_id)
