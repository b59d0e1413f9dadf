"""The web shell: a home page per role (later features add their sections to it) and the account page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import CustomerAccount, Role
from accounts.requests import PersonRequest
from kpis import book, charts
from web import selectors
from web.selectors import account_history

HOME_TEMPLATES: dict[str, str] = {
    Role.CSM: "web/home_csm.html",
    Role.MANAGER: "web/home_manager.html",
    Role.HR: "web/home_overview.html",
    Role.ADMIN: "web/home_overview.html",
}


def favicon(request: HttpRequest) -> FileResponse:
    """/favicon.ico, which browsers and bookmarks ask for whatever the page links: the site's icon,
    the same file as static/favicon.ico, kept a day."""
    response = FileResponse(
        (settings.BASE_DIR / "static" / "favicon.ico").open("rb"), content_type="image/x-icon"
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


@login_required
def home(request: PersonRequest) -> HttpResponse:
    if request.user.role == Role.CONTRIBUTOR:
        return redirect("input-list")  # the requests addressed to them are all a contributor has
    context = selectors.home_context(user=request.user, sort=request.GET.get("sort", "risk"))
    template = HOME_TEMPLATES.get(request.user.role, "web/home_overview.html")
    return render(request, template, context)


@login_required
def account_detail(request: PersonRequest, account_id: int) -> HttpResponse:
    account = get_object_or_404(CustomerAccount.objects.visible_to(request.user), pk=account_id)
    history = account_history(account=account)
    context = {
        "account": account,
        **history,
        "mrr_chart": charts.mrr_history(
            # Months by their code: the chart writes them in words ("Sep 2026").
            [m.strftime("%Y-%m") for m, _ in history["mrr"]],
            [v for _, v in history["mrr"]],
        ),
        "health_chart": charts.trend(
            [h.date for h in history["health"]],
            [h.score for h in history["health"]],
            title=_("Health score"),
        )
        if history["health"]
        else None,
        "adoption_chart": charts.trend(
            [u.date for u in history["usage"]],
            [book.adoption(u.features_used, u.features_available) for u in history["usage"]],
            # xgettext:no-python-format (a percent sign, not a placeholder)
            title=_("Adoption (% of features used)"),
        )
        if history["usage"]
        else None,
    }
    return render(request, "web/account_detail.html", context)
