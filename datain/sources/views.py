"""The page of the pull connectors for CS ops: each source's last sync, rows, errors and next run."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.requests import PersonRequest
from datain.models import SyncRun
from datain.sources.sync import sources_overview


@login_required
def sources_list(request: PersonRequest) -> HttpResponse:
    if request.user.role != Role.ADMIN:
        raise PermissionDenied(_("Only CS ops and admins load data."))
    runs = SyncRun.objects.visible_to(request.user)[:30]
    return render(request, "datain/sources.html", {"sources": sources_overview(), "runs": runs})
