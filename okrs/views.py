"""OKR pages: my OKRs (check in without leaving the page), the team's OKRs with alignment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role, Segment, Team
from accounts.requests import PersonRequest
from kpis.periods import Period, PeriodError, period_label
from kpis.scorecards import default_period
from okrs import selectors, services
from okrs.forms import CheckInForm, FinalScoreForm, KeyResultForm, ObjectiveForm
from okrs.models import KeyResult, Objective


def _quarter(request: HttpRequest) -> Period:
    text = request.GET.get("period") or request.POST.get("period")
    if text:
        try:
            p = Period.parse(text)
            if p.is_quarter:
                return p
        except PeriodError:
            pass
        messages.warning(request, _("%(text)s is not a quarter such as 2026-Q3.") % {"text": text})
    return default_period()


def _said(form_class, errors) -> list[str]:
    """Errors as a person reads them: each under its field's label ("Confidence (0-10): ..."),
    never the field's name; errors of the whole form as they are."""
    fields = form_class.base_fields
    return [
        f"{fields[field].label}: {' '.join(msgs)}" if field in fields else " ".join(msgs)
        for field, msgs in errors.items()
    ]


def _apply_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _quarters(period: Period) -> list[str]:
    current = default_period()
    options = [str(p) for p in reversed(current.next().last(6))]
    return options if str(period) in options else [str(period), *options]


@login_required
def my_okrs(request: PersonRequest) -> HttpResponse:
    user = request.user
    if user.role != Role.CSM:
        teams = Team.objects.visible_to(user).order_by("name")
        if teams:
            return redirect(reverse("okrs-team", args=[teams[0].pk]) + f"?period={_quarter(request)}")
        raise Http404
    period = _quarter(request)
    parents = Objective.objects.filter(team_id=user.team_id, period=str(period)) if user.team_id else []
    form = ObjectiveForm(request.POST or None, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_create(
                user=user,
                period=str(period),
                csm=user,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                commitment=form.cleaned_data["commitment"],
                parent=Objective.objects.visible_to(user).filter(pk=form.cleaned_data["parent"]).first(),
            )
            return redirect(reverse("okrs-mine") + f"?period={period}")
        except ValidationError as exc:
            _apply_errors(form, exc)
    return render(
        request,
        "okrs/mine.html",
        {
            "period": period,
            "periods": _quarters(period),
            "objectives": selectors.my_okrs(user=user, period=str(period)),
            "form": form,
            "kr_form": KeyResultForm(),
            "check_in_form": CheckInForm(),
            "closed": selectors.quarter_closed(str(period)),
        },
    )


@login_required
def team_okrs(request: PersonRequest, team_id: int) -> HttpResponse:
    if request.user.role == Role.CSM:
        raise Http404
    team = get_object_or_404(Team.objects.visible_to(request.user), pk=team_id)
    period = _quarter(request)
    form = ObjectiveForm(request.POST or None)
    del form.fields["parent"]
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_create(
                user=request.user,
                period=str(period),
                team=team,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                commitment=form.cleaned_data["commitment"],
            )
            return redirect(reverse("okrs-team", args=[team.pk]) + f"?period={period}")
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
    data = selectors.team_okrs(viewer=request.user, team=team, period=str(period))
    return render(
        request,
        "okrs/team.html",
        {
            "team": team,
            "period": period,
            "periods": _quarters(period),
            "form": form,
            "kr_form": KeyResultForm(),
            "check_in_form": CheckInForm(),
            "final_form": FinalScoreForm(),
            "segments": Segment.choices,
            "closed": selectors.quarter_closed(str(period)),
            "can_edit": request.user.role == Role.ADMIN or team.manager_id == request.user.pk,
            "can_close": request.user.role in (Role.HR, Role.ADMIN),
            "teams": list(Team.objects.visible_to(request.user).order_by("name")),
            **data,
        },
    )


def _back(request: PersonRequest, objective: Objective) -> str:
    if request.user.role == Role.CSM:
        return reverse("okrs-mine") + f"?period={objective.period}"
    # An objective is a team's or a CSM's (a check constraint): without a team it has its CSM.
    team_id = objective.team_id or (objective.csm.team_id if objective.csm else None)
    return reverse("okrs-team", args=[team_id]) + f"?period={objective.period}"


@login_required
@require_POST
def key_result_add(request: PersonRequest, objective_id: int) -> HttpResponse:
    objective = get_object_or_404(Objective.objects.visible_to(request.user), pk=objective_id)
    form = KeyResultForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.key_result_create(
                user=request.user,
                objective=objective,
                title=d["title"],
                kind=d["kind"],
                metric=d["metric"],
                baseline=d["baseline"],
                target=d["target"],
                unit=d["unit"],
                direction=d["direction"] or "increase",
                weight=d["weight"],
            )
            messages.success(request, _("Key result added."))
        except ValidationError as exc:
            for text in _said(KeyResultForm, exc.message_dict):
                messages.error(request, text)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    else:
        messages.error(
            request,
            _("The key result is incomplete: %(errors)s")
            % {"errors": " ".join(_said(KeyResultForm, form.errors))},
        )
    return redirect(_back(request, objective))


@login_required
@require_POST
def check_in(request: PersonRequest, kr_id: int) -> HttpResponse:
    """A check-in; answers JSON to the page's script (no reload), or redirects without JavaScript."""
    kr = get_object_or_404(KeyResult.objects.visible_to(request.user).select_related("objective"), pk=kr_id)
    form = CheckInForm(request.POST)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    errors: dict[str, list[str]] = {}
    if form.is_valid():
        d = form.cleaned_data
        done = {"yes": True, "no": False}.get(d["done"])
        try:
            services.check_in_create(
                user=request.user,
                key_result=kr,
                confidence=d["confidence"],
                value=d["value"],
                done=done,
                note=d["note"],
            )
        except ValidationError as exc:
            errors = exc.message_dict
        except PermissionDenied as exc:
            errors = {"__all__": [str(exc)]}
    else:
        errors = {field: [str(m) for m in msgs] for field, msgs in form.errors.items()}
    if wants_json:
        if errors:
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        objective = selectors.objectives_for(viewer=request.user, period=kr.objective.period).get(
            pk=kr.objective_id
        )
        view = selectors.objective_view(objective)
        row = next(v for v in view.key_results if v.kr.pk == kr.pk)
        kr = row.kr
        return JsonResponse(
            {
                "ok": True,
                # The whole row as the page draws it: value, progress, status, last check-in,
                # history, and the form with the milestone's state.
                "row_html": render_to_string(
                    "okrs/_kr_row.html", {"k": row, "closed": False}, request=request
                ),
                "progress": str(row.progress),
                "status": row.status.code,
                "status_label": row.status.label,
                "current": None if kr.current is None else str(kr.current),
                "objective_score": str(view.score),
                "band": view.band,
            }
        )
    for text in _said(CheckInForm, errors):
        messages.error(request, text)
    if not errors:
        messages.success(request, _("Checked in."))
    return redirect(_back(request, kr.objective) + f"#kr-{kr.pk}")


@login_required
@require_POST
def rollout(request: PersonRequest, objective_id: int) -> HttpResponse:
    objective = get_object_or_404(Objective.objects.visible_to(request.user), pk=objective_id)
    try:
        created, existing = services.okr_rollout(
            user=request.user, source=objective, segment=request.POST.get("segment", "")
        )
        messages.success(
            request,
            _("Rolled out to %(created)d CSMs (%(existing)d had it already).")
            % {"created": created, "existing": existing},
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect(_back(request, objective))


@login_required
@require_POST
def close_quarter(request: PersonRequest) -> HttpResponse:
    period = request.POST.get("period", "")
    try:
        services.okr_quarter_close(user=request.user, period=period)
        messages.success(
            request, _("%(period)s is closed: its scores are frozen.") % {"period": period_label(period)}
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(target if safe else reverse("okrs-mine"))


@login_required
@require_POST
def final_score(request: PersonRequest, objective_id: int) -> HttpResponse:
    objective = get_object_or_404(Objective.objects.visible_to(request.user), pk=objective_id)
    form = FinalScoreForm(request.POST)
    if form.is_valid():
        try:
            services.objective_adjust_final(
                user=request.user,
                objective=objective,
                score=form.cleaned_data["final_score"],
                reason=form.cleaned_data["final_score_reason"],
            )
            messages.success(request, _("Final score saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    return redirect(_back(request, objective))


@login_required
@require_POST
def carry_over(request: PersonRequest, objective_id: int) -> HttpResponse:
    """Carry an unfinished objective of a closed quarter into the next one (``values``: reset or keep)."""
    objective = get_object_or_404(Objective.objects.visible_to(request.user), pk=objective_id)
    try:
        copy = services.objective_carry_over(
            user=request.user, objective=objective, values=request.POST.get("values", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect(_back(request, objective))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(_back(request, objective))
    messages.success(
        request,
        _("“%(title)s” is carried over into %(quarter)s with its key results.")
        % {"title": copy.title, "quarter": period_label(copy.period)},
    )
    return redirect(_back(request, copy) + f"#objective-{copy.pk}")
