"""KPI runs and their published values (docs/metrics.md; docs/architecture.md, "The nightly job")."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import EVERYONE_ROLES, Role, Team, User
from kpis.periods import Period


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")


# Why a run failed, when the product knows (``KpiRun.error``): a code put into words in the reader's
# language (``kpis.scorecards.run_error_words``). Any other error is an exception's text, kept as it
# was raised (technical, for CS ops).
RUN_ABANDONED = "abandoned"
PARTS_MISSING = "parts_missing:"  # followed by the parts' names, comma-separated


class KpiRun(models.Model):
    """One computation of one period. At most one runs per period at a time (the database says so)."""

    period = models.CharField(_("period"), max_length=8)
    as_of = models.DateField(_("as of"))
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    trigger = models.CharField(_("started by"), max_length=16, default="command")
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    csm_count = models.PositiveIntegerField(default=0, verbose_name=_("CSMs computed"))
    value_count = models.PositiveIntegerField(default=0, verbose_name=_("values computed"))
    query_count = models.PositiveIntegerField(default=0, verbose_name=_("database queries"))
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("KPI run")
        verbose_name_plural = _("KPI runs")
        ordering = ["-started_at", "-pk"]
        constraints = [
            # The lock: a second running run of the same period cannot exist.
            models.UniqueConstraint(
                fields=["period"], condition=Q(status="running"), name="kpirun_one_running_per_period"
            ),
        ]
        indexes = [models.Index(fields=["period", "status"], name="kpirun_period_status")]

    def __str__(self) -> str:
        return f"{self.period} as of {self.as_of} ({self.status})"

    @property
    def is_to_date(self) -> bool:
        """Computed before the period ended (docs/metrics.md, "To date")."""
        return self.as_of < Period.parse(self.period).end


class RunPart(models.Model):
    """The components one part of a fanned-out run computed, waiting for the publishing step."""

    run = models.ForeignKey(
        KpiRun, on_delete=models.CASCADE, related_name="parts", verbose_name=_("calculation run")
    )
    name = models.CharField(max_length=32, verbose_name=_("part"))
    payload = models.JSONField(verbose_name=_("results"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="runpart_unique")]

    def __str__(self) -> str:
        return f"run {self.run_id} part {self.name}"


class SubjectType(models.TextChoices):
    CSM = "csm", _("CSM")
    TEAM = "team", _("Team")
    SEGMENT = "segment", _("Segment")


class KpiValueQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> KpiValueQuerySet:
        """CSM: their own values. Manager: their teams' CSMs and the teams. HR/admin: all."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in EVERYONE_ROLES:
            return self.all()
        people = User.objects.visible_to(user).filter(role=Role.CSM).values("pk")
        teams = (
            Team.objects.visible_to(user).values("pk") if user.role == Role.MANAGER else Team.objects.none()
        )
        return self.filter(Q(csm__in=people) | Q(team__in=teams))


class KpiValue(models.Model):
    """The published value of one metric for one subject and period, with what it was made of."""

    subject_type = models.CharField(max_length=8, choices=SubjectType.choices, verbose_name=_("measured for"))
    subject_key = models.CharField(
        max_length=40,
        verbose_name=_("subject"),
        help_text=_("Who the value is for: a CSM, a team or a segment."),
    )  # "csm:12", "team:3", "segment:smb"
    # No index of its own: kpivalue_csm_period starts with csm (every published value pays for every index).
    csm = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="kpi_values",
        db_index=False,
        verbose_name=_("CSM"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="kpi_values",
        verbose_name=_("team"),
    )
    segment = models.CharField(max_length=16, blank=True, verbose_name=_("segment"))
    metric = models.CharField(max_length=40, verbose_name=_("metric"))
    period = models.CharField(max_length=8, verbose_name=_("period"))
    value = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True, verbose_name=_("value")
    )
    numerator = models.DecimalField(
        max_digits=24, decimal_places=6, null=True, blank=True, verbose_name=_("numerator")
    )
    denominator = models.DecimalField(
        max_digits=24, decimal_places=6, null=True, blank=True, verbose_name=_("denominator")
    )
    sample_size = models.PositiveIntegerField(default=0, verbose_name=_("sample size"))
    breakdown = models.JSONField(default=dict, blank=True, verbose_name=_("breakdown"))
    run = models.ForeignKey(
        KpiRun, on_delete=models.PROTECT, related_name="values", verbose_name=_("calculation run")
    )
    computed_at = models.DateTimeField(verbose_name=_("calculated at"))

    objects = KpiValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_key", "metric", "period"], name="kpivalue_unique_subject"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "metric"], name="kpivalue_period_metric"),
            models.Index(fields=["csm", "period"], name="kpivalue_csm_period"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_key} {self.metric} {self.period} = {self.value}"


class FitStatus(models.TextChoices):
    OK = "ok", _("Used")
    WITHHELD = "withheld", _("Withheld: badly calibrated")
    NO_HISTORY = "no_history", _("Not enough history")


class ExpectedFit(models.Model):
    """One fit of the expected-results model of a run (docs/metrics.md, "Expected results and lift"):
    one outcome (logo retention, gross or net revenue retention) for the run's quarter, fitted on the
    quarters before it. Read with the run: a fit counts once its run is published."""

    run = models.ForeignKey(
        KpiRun, on_delete=models.CASCADE, related_name="expected_fits", verbose_name=_("calculation run")
    )
    period = models.CharField(_("period"), max_length=8)
    outcome = models.CharField(_("outcome"), max_length=20)  # logo_retention, gross_retention, nrr
    version = models.CharField(_("method version"), max_length=20)
    status = models.CharField(_("status"), max_length=12, choices=FitStatus.choices)
    reason = models.TextField(_("reason"), blank=True)  # a key of kpis.engine.reasons
    reason_params = models.JSONField(_("parameters of the reason"), default=dict, blank=True)
    training_quarters = models.JSONField(_("quarters fitted on"), default=list)
    held_out_quarter = models.CharField(_("held-out quarter"), max_length=8, blank=True)
    inputs = models.JSONField(_("inputs"), default=list)  # the columns of the design, in order
    encoding = models.JSONField(_("encoding"), default=dict)  # levels and cut points of the inputs
    coefficients = models.JSONField(_("coefficients"), default=dict)  # input -> coefficient
    intercept = models.FloatField(_("intercept"), null=True, blank=True)
    dispersion = models.FloatField(_("dispersion"), null=True, blank=True)
    penalty = models.FloatField(_("L2 penalty"), null=True, blank=True)
    training_accounts = models.PositiveIntegerField(_("accounts fitted on"), default=0)
    calibration = models.JSONField(_("calibration on the held-out quarter"), default=dict)
    # Of everything the fit depends on (kpis.engine.expected.fingerprint): a later run of the same
    # quarter with the same one reuses this fit instead of fitting again.
    fingerprint = models.CharField(_("fingerprint of the inputs"), max_length=64, blank=True, default="")
    fitted_at = models.DateTimeField(_("fitted"), auto_now_add=True)

    class Meta:
        verbose_name = _("expected-results fit")
        verbose_name_plural = _("expected-results fits")
        constraints = [models.UniqueConstraint(fields=["run", "outcome"], name="expectedfit_run_outcome")]
        indexes = [models.Index(fields=["period", "outcome"], name="expectedfit_period_outcome")]

    def __str__(self) -> str:
        return f"{self.outcome} {self.period} ({self.status})"
