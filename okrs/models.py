"""Quarterly OKRs: objectives of a CSM or a team, key results (metric-linked, numeric or milestone),
check-ins, and the quarter's closing (which freezes the scores)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import EVERYONE_ROLES, Role, Team, User
from core import text
from kpis.models import KpiRun


class Commitment(models.TextChoices):
    COMMITTED = "committed", _("Committed (expected to reach 1.0)")
    ASPIRATIONAL = "aspirational", _("Aspirational (0.7 is a success)")


class KrKind(models.TextChoices):
    METRIC = "metric", _("Linked to a KPI")
    NUMERIC = "numeric", _("Numeric")
    MILESTONE = "milestone", _("Milestone")


class Direction(models.TextChoices):
    INCREASE = "increase", _("Increase")
    DECREASE = "decrease", _("Decrease")


class OkrQuarter(models.Model):
    """A quarter's OKR state. Closing it freezes every score of that quarter."""

    period = models.CharField(_("quarter"), max_length=8, unique=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("closed by")
    )

    class Meta:
        verbose_name = _("OKR quarter")
        verbose_name_plural = _("OKR quarters")
        ordering = ["-period"]

    def __str__(self) -> str:
        return self.period

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ObjectiveQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ObjectiveQuerySet:
        """CSM: their own and their team's. Manager: their teams' and their CSMs'. HR/admin: all."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in EVERYONE_ROLES:
            return self.all()
        if user.role == Role.MANAGER:
            return self.filter(Q(team__manager=user) | Q(csm__team__manager=user))
        return self.filter(Q(csm=user) | Q(team_id=user.team_id, team__isnull=False))


class Objective(models.Model):
    csm = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="objectives",
        verbose_name=_("CSM"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="objectives",
        verbose_name=_("team"),
    )
    period = models.CharField(_("quarter"), max_length=8)
    title = models.CharField(_("title"), max_length=text.TITLE, validators=[text.MaxChars(text.TITLE)])
    description = models.TextField(
        _("description"), blank=True, max_length=text.NOTE, validators=[text.MaxChars(text.NOTE)]
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("aligned to"),
    )
    commitment = models.CharField(
        _("commitment"), max_length=12, choices=Commitment.choices, default=Commitment.COMMITTED
    )
    rollout_source = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rollouts",
        help_text=_("The team objective this one was rolled out from."),
        verbose_name=_("rolled out from"),
    )
    # The objective of the quarter before that this one carries on (``services.objective_carry_over``):
    # one carry-over per objective, the link shown on both.
    carried_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carried_into",
        verbose_name=_("carried over from"),
    )
    frozen_score = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True, verbose_name=_("score at quarter close")
    )
    final_score = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True, verbose_name=_("final score")
    )
    final_score_reason = models.TextField(
        blank=True,
        max_length=text.NOTE,
        validators=[text.MaxChars(text.NOTE)],
        verbose_name=_("reason for the final score"),
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    objects = ObjectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["period", "team_id", "csm_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(csm__isnull=False) & Q(team__isnull=True))
                | (Q(csm__isnull=True) & Q(team__isnull=False)),
                name="objective_one_owner",
            ),
            models.UniqueConstraint(
                fields=["csm", "rollout_source"],
                condition=Q(rollout_source__isnull=False),
                name="objective_one_rollout_per_csm",
            ),
            models.CheckConstraint(
                condition=Q(final_score__isnull=True) | Q(final_score__gte=0, final_score__lte=1),
                name="objective_final_score_0_1",
            ),
        ]
        indexes = [models.Index(fields=["period", "csm"], name="objective_period_csm")]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_label(self) -> str:
        return str(self.csm) if self.csm_id else str(self.team)

    @property
    def expected_score(self) -> str:
        return "1.0" if self.commitment == Commitment.COMMITTED else "0.7"


class KeyResultQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> KeyResultQuerySet:
        return self.filter(objective__in=Objective.objects.visible_to(user).values("pk"))


class KeyResult(models.Model):
    objective = models.ForeignKey(
        Objective, on_delete=models.CASCADE, related_name="key_results", verbose_name=_("objective")
    )
    title = models.CharField(_("title"), max_length=text.TITLE, validators=[text.MaxChars(text.TITLE)])
    kind = models.CharField(_("kind"), max_length=10, choices=KrKind.choices)
    metric = models.CharField(
        _("metric"), max_length=40, blank=True, help_text=_("The key of a scored metric, e.g. nrr.")
    )
    baseline = models.DecimalField(
        _("baseline / start"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.INCREASE
    )
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, default=1)
    owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_results",
        verbose_name=_("owner"),
    )
    current = models.DecimalField(_("current value"), max_digits=16, decimal_places=2, null=True, blank=True)
    current_at = models.DateTimeField(_("current value since"), null=True, blank=True)
    current_run = models.ForeignKey(
        KpiRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("latest calculation run"),
    )
    done = models.BooleanField(_("done"), default=False)
    frozen_progress = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True, verbose_name=_("progress at quarter close")
    )
    position = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("order"), help_text=_("Key results are shown in this order.")
    )

    objects = KeyResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("key result")
        verbose_name_plural = _("key results")
        ordering = ["objective_id", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="kr_weight_positive"),
            models.CheckConstraint(
                condition=Q(kind="milestone")
                | (Q(baseline__isnull=False) & Q(target__isnull=False) & ~Q(target=F("baseline"))),
                name="kr_target_differs_from_baseline",
            ),
            models.CheckConstraint(condition=~Q(kind="metric") | ~Q(metric=""), name="kr_metric_named"),
        ]

    def __str__(self) -> str:
        return self.title


class KeyResultValue(models.Model):
    """History of a metric-linked key result: the value each published run gave it."""

    key_result = models.ForeignKey(
        KeyResult, on_delete=models.CASCADE, related_name="history", verbose_name=_("key result")
    )
    run = models.ForeignKey(
        KpiRun, on_delete=models.CASCADE, related_name="+", verbose_name=_("calculation run")
    )
    value = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, verbose_name=_("value")
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))

    class Meta:
        ordering = ["key_result_id", "recorded_at"]
        verbose_name = _("key result value")
        verbose_name_plural = _("key result values")
        constraints = [models.UniqueConstraint(fields=["key_result", "run"], name="krvalue_one_per_run")]

    def __str__(self) -> str:
        return f"{self.key_result_id} = {self.value} (run {self.run_id})"


class CheckInQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> CheckInQuerySet:
        return self.filter(key_result__objective__in=Objective.objects.visible_to(user).values("pk"))


class CheckIn(models.Model):
    key_result = models.ForeignKey(
        KeyResult, on_delete=models.CASCADE, related_name="check_ins", verbose_name=_("key result")
    )
    date = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2, null=True, blank=True)
    done = models.BooleanField(_("done"), null=True, blank=True)
    confidence = models.PositiveSmallIntegerField(_("confidence (0-10)"))
    note = models.TextField(
        _("note"), blank=True, max_length=text.NOTE, validators=[text.MaxChars(text.NOTE)]
    )
    author = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="check_ins", verbose_name=_("author")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    objects = CheckInQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["key_result_id", "date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gte=0, confidence__lte=10), name="checkin_confidence_0_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_result_id} {self.date}"
