"""The upload page for CS ops: check a file (dry run), see every error, confirm to write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.requests import PersonRequest
from core import formatting, jobs
from datain import import_runs
from datain.forms import UploadForm
from datain.kinds import KINDS
from datain.models import ImportRun, ImportStatus

ON_ITS_WAY = (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


def _require_ops(request: PersonRequest) -> None:
    if request.user.role != Role.ADMIN:
        raise PermissionDenied(_("Only CS ops and admins load data."))


@login_required
def import_list(request: PersonRequest) -> HttpResponse:
    _require_ops(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = import_runs.import_upload_create(
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
    return render(request, "datain/import_list.html", {"form": form, "runs": runs, "kinds": kinds})


def _state(run: ImportRun) -> dict:
    """What the page says of a run, in words: what happens now, and a hint when it looks stuck."""
    now = timezone.now()
    progress = import_runs.import_progress(run_id=run.pk)
    total = progress.get("total") or 0
    rows = progress.get("rows", 0)
    percent = round(100 * progress.get("bytes", 0) / total) if total else None
    phrase, hint = run.get_status_display(), ""
    if run.status == ImportStatus.QUEUED:
        step = _("to check the file") if run.dry_run else _("to import it")
        phrase = _("Waiting for a worker since %(at)s %(step)s.") % {
            "at": jobs.clock(run.queued_at or run.started_at, now),
            "step": step,
        }
        hint = jobs.waiting_hint(run.queued_at or run.started_at, now)
    elif run.status == ImportStatus.VALIDATING:
        phrase = _("Checking: %(rows)s rows read") % {"rows": formatting.integer(rows)}
        if percent is not None:
            phrase += f" ({formatting.percent(percent)})"
        hint = jobs.silence_hint(run.heartbeat_at, now)
    elif run.status == ImportStatus.IMPORTING:
        # The check counted the rows: the import says how far it is in them.
        phrase = _("Importing: %(rows)s of %(total)s rows") % {
            "rows": formatting.integer(rows),
            "total": formatting.integer(run.rows_read),
        }
        hint = jobs.silence_hint(run.heartbeat_at, now)
    elif run.status == ImportStatus.FAILED:
        why = run.message_words or _("The job failed.")
        phrase = _("Stopped: %(why)s") % {"why": why[:1].lower() + why[1:]}
    return {
        "status": run.status,
        "status_display": run.get_status_display(),
        "phrase": phrase,
        "hint": hint,
        "rows": rows or run.rows_read,
        "percent": percent,
        "on_its_way": run.status in ON_ITS_WAY,
        "finished": run.status not in ON_ITS_WAY,
        "can_retry": import_runs.import_run_can_retry(run),
    }


@login_required
def import_detail(request: PersonRequest, run_id: int) -> HttpResponse:
    _require_ops(request)
    run = get_object_or_404(
        ImportRun.objects.visible_to(request.user).select_related("created_by"), pk=run_id
    )
    return render(request, "datain/import_detail.html", {"run": run, "state": _state(run)})


@login_required
def import_status(request: PersonRequest, run_id: int) -> JsonResponse:
    _require_ops(request)
    run = get_object_or_404(ImportRun.objects.visible_to(request.user), pk=run_id)
    state = _state(run)
    del state["can_retry"]
    return JsonResponse(state)


@login_required
@require_POST
def import_confirm(request: PersonRequest, run_id: int) -> HttpResponse:
    _require_ops(request)
    run = get_object_or_404(ImportRun.objects.visible_to(request.user), pk=run_id)
    try:
        import_runs.import_upload_confirm(run=run)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("import-detail", run_id=run.pk)


@login_required
@require_POST
def import_retry(request: PersonRequest, run_id: int) -> HttpResponse:
    """Queue again the step of an upload that failed (its check or its import), from its stored file."""
    _require_ops(request)
    run = get_object_or_404(ImportRun.objects.visible_to(request.user), pk=run_id)
    try:
        import_runs.import_run_retry(run=run)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("import-detail", run_id=run.pk)
