"""The web shell: a home page per role. Later features add their sections to it."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import selectors
from accounts.models import Role

HOME_TEMPLATES = {
    Role.CSM: "accounts/home_csm.html",
    Role.MANAGER: "accounts/home_manager.html",
    Role.HR: "accounts/home_overview.html",
    Role.ADMIN: "accounts/home_overview.html",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = selectors.home_context(user=request.user)
    template = HOME_TEMPLATES.get(request.user.role, "accounts/home_overview.html")
    return render(request, template, context)
