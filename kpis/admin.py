import datetime
import logging

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.jobs import trigger_label
from kpis import refresh
from kpis.forms import RecomputeForm, recent_periods
from kpis.models import KpiRun, KpiValue
from kpis.periods import Period, period_label

log = logging.getLogger(__name__)


class PeriodFilter(admin.SimpleListFilter):
    """The runs of one period, each period named as people say it ("Q3 2026", "September 2026")."""

    title = gettext_lazy("period")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by("-period").values_list("period", flat=True)
        return [(code, period_label(code)) for code in dict.fromkeys(codes)]

    def queryset(self, request, queryset):
        return queryset.filter(period=self.value()) if self.value() else queryset


class TriggerFilter(admin.SimpleListFilter):
    title = gettext_lazy("started by")
    parameter_name = "trigger"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by("trigger").values_list("trigger", flat=True)
        return [(code, trigger_label(code)) for code in dict.fromkeys(codes)]

    def queryset(self, request, queryset):
        return queryset.filter(trigger=self.value()) if self.value() else queryset


@admin.register(KpiRun)
class KpiRunAdmin(admin.ModelAdmin):
    """The page that lists the KPI runs, with a recompute of any period for whoever may see it.
    Periods and who started a run are in words; the codes stay in the filters' links."""

    list_display = [
        "pk",
        "period_words",
        "as_of",
        "status",
        "started_by",
        "started_at",
        "finished_at",
        "csm_count",
        "value_count",
        "query_count",
    ]
    list_filter = ["status", TriggerFilter, PeriodFilter]
    search_fields = ["period", "error"]
    readonly_fields = [f.name for f in KpiRun._meta.fields]

    def has_add_permission(self, request):
        return False  # runs start from the command, beat or a task: they take the lock

    @admin.display(description=gettext_lazy("period"), ordering="period")
    def period_words(self, run: KpiRun) -> str:
        return period_label(run.period)

    @admin.display(description=gettext_lazy("started by"), ordering="trigger")
    def started_by(self, run: KpiRun) -> str:
        return trigger_label(run.trigger)

    def get_urls(self):
        recompute = path("recompute/", self.recompute_view, name="kpis_kpirun_recompute")
        return [recompute, *super().get_urls()]

    def may_recompute(self, request: HttpRequest) -> bool:
        """Whoever may see this list (active staff with the view permission: CS ops / admin)."""
        user = request.user
        return user.is_active and user.is_staff and self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if "recompute_form" not in extra_context and self.may_recompute(request):
            extra_context = self._recompute_context(request, RecomputeForm())
        extra_context = {"title": _("KPI runs"), **extra_context}
        return super().changelist_view(request, extra_context)

    def recompute_view(self, request: HttpRequest) -> HttpResponse:
        """POST a period: a run of it is queued (``kpis.compute_period``, trigger ``recompute``)."""
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not self.may_recompute(request):
            raise PermissionDenied
        changelist = reverse("admin:kpis_kpirun_changelist")
        if request.method != "POST":
            query = request.GET.urlencode()
            return HttpResponseRedirect(changelist + (f"?{query}" if query else ""))
        form = RecomputeForm(request.POST)
        if not form.is_valid():
            return self.changelist_view(request, self._recompute_context(request, form))
        period = form.cleaned_data["period"]
        from kpis.tasks import compute_period  # noqa: PLC0415 - tasks import the engine

        try:
            compute_period.delay(str(period), None, "recompute")
        except Exception as exc:  # the broker is down: say so, never a 500
            log.warning("Recompute of %s not queued: %s", period, exc)
            messages.error(
                request,
                _("The recompute of %(period)s could not be queued: the task queue cannot be reached.")
                % {"period": refresh.label(period)},
            )
            return HttpResponseRedirect(changelist)
        refresh.note_queued(period, request.user.email)
        log.info("Recompute of %s queued by %s", period, request.user.email)
        messages.success(
            request,
            _(
                "A recompute of %(period)s is queued: a worker starts it in a moment; it appears "
                "below as running, then published."
            )
            % {"period": refresh.label(period)},
        )
        return HttpResponseRedirect(changelist)

    def _recompute_context(self, request: HttpRequest, form: RecomputeForm) -> dict:
        periods = recent_periods(timezone.localdate())
        return {
            "may_recompute": True,
            "recompute_form": form,
            "recompute_periods": [(str(p), period_label(p)) for p in periods],
            "waiting": self._waiting(periods),
        }

    def _waiting(self, periods: list[Period]) -> list[dict]:
        """Runs on their way (one Redis round trip, one query): scheduled after an import, or a
        recompute sent from here that no worker has started yet."""
        scheduled, queued = refresh.waiting(periods)
        started: dict[str, datetime.datetime] = {}
        if queued:
            for run_period, at in KpiRun.objects.filter(period__in=list(queued)).values_list(
                "period", "started_at"
            ):
                started[run_period] = max(at, started.get(run_period, at))
        now = timezone.now()
        rows = []
        for period in periods:
            key = str(period)
            if key in scheduled:
                due = scheduled[key]
                when = timezone.localtime(due).strftime("%H:%M")
                state = (
                    _("scheduled after an import, due around %(time)s") % {"time": when}
                    if due > now
                    else _("after an import, due since %(time)s: waiting for a worker") % {"time": when}
                )
                rows.append({"period": key, "label": refresh.label(period), "state": state})
            if key in queued:
                at, by = queued[key]
                if key in started and started[key] >= at:
                    continue  # a worker took it: the list shows the run
                state = _("recompute asked by %(who)s at %(time)s: waiting for a worker") % {
                    "who": by,
                    "time": timezone.localtime(at).strftime("%H:%M"),
                }
                rows.append({"period": key, "label": refresh.label(period), "state": state})
        return rows


@admin.register(KpiValue)
class KpiValueAdmin(admin.ModelAdmin):
    list_display = [
        "subject_key",
        "metric",
        "period",
        "value",
        "numerator",
        "denominator",
        "sample_size",
        "run",
    ]
    list_filter = ["subject_type", "period", "metric"]
    search_fields = ["subject_key", "csm__email", "team__name", "metric"]
    list_select_related = ["run"]
    readonly_fields = [f.name for f in KpiValue._meta.fields]

    def has_add_permission(self, request):
        return False  # values are published by runs only

    def has_change_permission(self, request, obj=None):
        return False
