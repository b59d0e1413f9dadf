"""The upload page for CS ops: check a file (dry run), see every error, confirm to write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from activity import services
from activity.forms import UploadForm
from activity.kinds import KINDS
from activity.models import ImportRun


def _require_ops(request: HttpRequest) -> None:
    if request.user.role != Role.ADMIN:
        raise PermissionDenied(_("Only CS ops and admins load data."))


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    _require_ops(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = services.import_upload_create(
            user=request.user,
            kind=form.cleaned_data["kind"],
            upload=upload,
            filename=upload.name,
            source_format=form.cleaned_data.get("source_format") or "",
            mapping=form.cleaned_data.get("mapping") or "",
        )
        return redirect("import-detail", run_id=run.pk)
    runs = ImportRun.objects.visible_to(request.user).select_related("created_by")[:50]
    kinds = {name: kind().column_names for name, kind in KINDS.items()}
    return render(request, "activity/import_list.html", {"form": form, "runs": runs, "kinds": kinds})


@login_required
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    _require_ops(request)
    run = get_object_or_404(
        ImportRun.objects.visible_to(request.user).select_related("created_by"), pk=run_id
    )
    return render(request, "activity/import_detail.html", {"run": run})


@login_required
def import_status(request: HttpRequest, run_id: int) -> JsonResponse:
    _require_ops(request)
    run = get_object_or_404(ImportRun.objects.visible_to(request.user), pk=run_id)
    progress = services.import_progress(run_id=run.pk)
    total = progress.get("total") or 0
    return JsonResponse(
        {
            "status": run.status,
            "status_display": run.get_status_display(),
            "rows": progress.get("rows", run.rows_read),
            "percent": round(100 * progress.get("bytes", 0) / total) if total else None,
            "finished": run.finished_at is not None
            and run.status not in ("queued", "validating", "importing"),
        }
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    _require_ops(request)
    run = get_object_or_404(ImportRun.objects.visible_to(request.user), pk=run_id)
    try:
        services.import_upload_confirm(run=run)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("import-detail", run_id=run.pk)
