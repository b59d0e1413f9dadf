"""The pages of input from colleagues: the requests addressed to me (every role; all a contributor
sees), one request's form (answer or decline), and the reviewer's (or HR's) asking from the review
page. HR's choice of named or anonymous input is a cycle action (``reviews.cycles.views``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import get_visible_or_404
from accounts.models import Role, User, normalize_email
from accounts.requests import PersonRequest
from core import text
from reviews import wording
from reviews.access import may_ask_input
from reviews.input import selectors, services
from reviews.models import InputRequest, InputSource, InputStatus, Review


def _errors(exc: ValidationError) -> str:
    return " ".join(str(m) for ms in exc.message_dict.values() for m in ms)


def _request(request: PersonRequest, request_id: int) -> InputRequest:
    visible = InputRequest.objects.addressed_to(request.user).select_related(
        "review__cycle__template", "review__csm", "requested_by"
    )
    return get_visible_or_404(request=request, visible=visible, pk=request_id, what="input request")


@login_required
def input_list(request: PersonRequest) -> HttpResponse:
    requests = list(selectors.requests_addressed_to(request.user))
    for r in requests:
        r.open = selectors.can_answer(r)
    waiting = [r for r in requests if r.open and r.status == InputStatus.REQUESTED]
    others = [r for r in requests if r not in waiting]
    return render(request, "reviews/input_list.html", {"waiting": waiting, "others": others})


@login_required
def input_detail(request: PersonRequest, request_id: int) -> HttpResponse:
    input_request = _request(request, request_id)
    posted: dict = {}
    if request.method == "POST":
        answers = {q["key"]: request.POST.get(f"answer_{q['key']}", "") for q in input_request.questions}
        try:
            services.input_answer(
                user=request.user, request=input_request, answers=answers, rating=request.POST.get("rating")
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
            posted = {**answers, "rating": request.POST.get("rating", "")}
        else:
            messages.success(
                request, _("Thank you: your input is saved. You may edit it until the review is submitted.")
            )
            return redirect("input-detail", request_id=input_request.pk)
    template = input_request.review.cycle.template
    questions = [
        {
            "key": q["key"],
            "text": wording.question_text(q),
            "answer": posted.get(q["key"], input_request.answers.get(q["key"], "")),
        }
        for q in input_request.questions
    ]
    rating = posted.get("rating", input_request.rating)
    return render(
        request,
        "reviews/input_detail.html",
        {
            "r": input_request,
            "questions": questions,
            "scale": template.rating_scale if template.input_rating else [],
            "rating": str(rating) if rating not in (None, "") else "",
            "open": selectors.can_answer(input_request),
            "anonymous": input_request.review.cycle.input_anonymous,
        },
        status=400 if posted else 200,
    )


@login_required
@require_POST
def input_decline(request: PersonRequest, request_id: int) -> HttpResponse:
    input_request = _request(request, request_id)
    try:
        services.input_decline(
            user=request.user, request=input_request, reason=request.POST.get("reason", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("You declined. Whoever asked is told."))
    return redirect("input-detail", request_id=input_request.pk)


@login_required
@require_POST
def review_input_request(request: PersonRequest, review_id: int) -> HttpResponse:
    """The reviewer or HR asks one person (a suggestion's button, or anyone by email)."""
    visible = Review.objects.visible_to(request.user).select_related(
        "cycle__template", "csm__team", "reviewer"
    )
    review = get_visible_or_404(request=request, visible=visible, pk=review_id, what="review")
    target = reverse("review-detail", args=[review.pk]) + "#input"
    if not may_ask_input(request.user, review):
        messages.error(request, _("The reviewer or HR asks colleagues for input."))
        return redirect(target)
    email = normalize_email(request.POST.get("email", ""))
    if text.name_problem(email):  # a control character (NUL...) is in no one's address
        email = ""
    contributor = (
        User.objects.filter(email=email, is_active=True).exclude(role=Role.SERVICE).first() if email else None
    )
    if contributor is None:
        messages.error(request, _("Nobody who can sign in has this email address."))
        return redirect(target)
    source = request.POST.get("source") or InputSource.ADDED
    if source not in InputSource.values:
        source = InputSource.ADDED
    try:
        services.input_request_create(
            user=request.user, review=review, contributor=contributor, source=source
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(
            request,
            _("%(name)s is asked for input: they get a to-do and an email.")
            % {"name": contributor.get_full_name()},
        )
    return redirect(target)
