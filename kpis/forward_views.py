"""The page of a CSM's accounts least likely to still pay at a quarter's end (kpis.forward)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import get_visible_or_404
from accounts.models import Role, User
from kpis import forward, scorecards
from kpis.periods import Period, PeriodError


def _quarter(request: HttpRequest) -> Period:
    """The quarter asked for (a month or a bad text: the quarter in progress, with a word why)."""
    current = scorecards.default_period()
    text = request.GET.get("period")
    if not text:
        return current
    try:
        period = Period.parse(text)
    except PeriodError as exc:
        messages.warning(request, str(exc))
        return current
    return period if period.is_quarter and period.start <= current.start else current


@login_required
def at_risk(request: HttpRequest, user_id: int) -> HttpResponse:
    csm = get_visible_or_404(
        request=request,
        visible=User.objects.visible_to(request.user).filter(role=Role.CSM).select_related("team"),
        pk=user_id,
        what="accounts at risk",
    )
    period = _quarter(request)
    current = scorecards.default_period()
    return render(
        request,
        "kpis/at_risk.html",
        {
            "csm": csm,
            "period": period,
            "periods": [str(p) for p in reversed(current.last(8))],
            "forecast": forward.forecast(csm_id=csm.pk, period=period),
        },
    )
