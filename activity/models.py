"""The facts of docs/data-contract.md: what happened on the accounts. Ranges are database constraints."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import CustomerAccount, User
from core.jobs import Job


class FactQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> FactQuerySet:
        """Facts of the accounts ``user`` may see (CustomerAccount.objects.visible_to)."""
        return self.filter(account__in=CustomerAccount.objects.visible_to(user).values("pk"))


class RevenueKind(models.TextChoices):
    NEW = "new", _("New business")
    EXPANSION = "expansion", _("Expansion")
    UPGRADE = "upgrade", _("Upgrade")
    RENEWAL = "renewal", _("Renewal uplift")
    DOWNGRADE = "downgrade", _("Downgrade")
    CONTRACTION = "contraction", _("Contraction")
    CHURN = "churn", _("Churn")
    REACTIVATION = "reactivation", _("Reactivation")


POSITIVE_REVENUE_KINDS = ("new", "expansion", "upgrade", "reactivation")
NEGATIVE_REVENUE_KINDS = ("downgrade", "contraction", "churn")


# Indexes of the fact tables (every index is paid by every imported row): ``external_id`` is unique
# through a UniqueConstraint rather than ``unique=True``, which on PostgreSQL adds a second
# varchar_pattern_ops index for LIKE lookups nothing makes; ``account`` has no index of its own where
# a composite index or unique constraint starts with it. Measured on 1,000,000 tickets: 46 s -> 39 s.


class RevenueEvent(models.Model):
    external_id = models.CharField(_("external id"), max_length=100)
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.CASCADE, related_name="revenue_events", db_index=False
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=RevenueKind.choices)
    mrr_delta = models.DecimalField(_("MRR change"), max_digits=14, decimal_places=2)

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("revenue event")
        verbose_name_plural = _("revenue events")
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="revenue_unique_external_id"),
            models.CheckConstraint(
                condition=Q(kind__in=POSITIVE_REVENUE_KINDS, mrr_delta__gt=0)
                | Q(kind="renewal", mrr_delta__gte=0)
                | Q(kind__in=NEGATIVE_REVENUE_KINDS, mrr_delta__lt=0),
                name="revenue_sign_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["account", "date"], name="revenue_account_date")]

    def __str__(self) -> str:
        return f"{self.external_id} {self.kind} {self.mrr_delta}"


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Ticket(models.Model):
    external_id = models.CharField(_("external id"), max_length=100)
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.CASCADE, related_name="tickets", db_index=False
    )
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    customer_contacts = models.PositiveIntegerField(_("customer contacts"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    channel = models.CharField(_("channel"), max_length=50, blank=True)

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="ticket_unique_external_id"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="ticket_priority_valid"),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True) | Q(first_response_at__gte=F("opened_at")),
                name="ticket_response_after_open",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="ticket_resolved_after_open",
            ),
            models.CheckConstraint(
                condition=Q(escalated_at__isnull=True) | Q(escalated_at__gte=F("opened_at")),
                name="ticket_escalated_after_open",
            ),
            models.CheckConstraint(
                condition=Q(customer_contacts__isnull=True) | Q(customer_contacts__gte=1),
                name="ticket_contacts_at_least_one",
            ),
        ]
        indexes = [
            models.Index(fields=["opened_at"], name="ticket_opened_at"),
            models.Index(fields=["account", "opened_at"], name="ticket_account_opened"),
        ]

    def __str__(self) -> str:
        return self.external_id


class SurveyKind(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT")


class SurveyResponse(models.Model):
    external_id = models.CharField(_("external id"), max_length=100)
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="survey_responses")
    responded_at = models.DateTimeField(_("responded at"))
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="survey_unique_external_id"),
            models.CheckConstraint(
                condition=Q(kind="nps", score__gte=0, score__lte=10)
                | Q(kind="csat", score__gte=1, score__lte=5),
                name="survey_score_in_range_for_kind",
            ),
        ]
        indexes = [models.Index(fields=["responded_at"], name="survey_responded_at")]

    def __str__(self) -> str:
        return f"{self.external_id} {self.kind}={self.score}"


class UsageSnapshot(models.Model):
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.CASCADE, related_name="usage_snapshots", db_index=False
    )
    date = models.DateField(_("date"))
    licensed_seats = models.PositiveIntegerField(_("licensed seats"))
    dau = models.PositiveIntegerField(_("daily active users"))
    mau = models.PositiveIntegerField(_("monthly active users"))
    features_used = models.PositiveIntegerField(_("features used"))
    features_available = models.PositiveIntegerField(_("features available"))

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("usage snapshot")
        verbose_name_plural = _("usage snapshots")
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="usage_unique_account_date"),
            models.CheckConstraint(condition=Q(dau__lte=F("mau")), name="usage_dau_le_mau"),
            models.CheckConstraint(
                condition=Q(features_used__lte=F("features_available")),
                name="usage_features_used_le_available",
            ),
        ]
        indexes = [models.Index(fields=["date"], name="usage_date")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date}"


class HealthBand(models.TextChoices):
    GOOD = "good", _("Good")
    AVERAGE = "average", _("Average")
    POOR = "poor", _("Poor")


class HealthSnapshot(models.Model):
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.CASCADE, related_name="health_snapshots", db_index=False
    )
    date = models.DateField(_("date"))
    score = models.SmallIntegerField(_("score"))
    band = models.CharField(
        _("band"),
        max_length=8,
        choices=HealthBand.choices,
        blank=True,
        help_text=_("As given by the health tool; empty means derived from the score."),
    )

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("health snapshot")
        verbose_name_plural = _("health snapshots")
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="health_unique_account_date"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="health_score_0_100"),
            models.CheckConstraint(
                condition=Q(band="") | Q(band__in=HealthBand.values), name="health_band_valid"
            ),
        ]
        indexes = [models.Index(fields=["date"], name="health_date")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date} {self.score}"


class AdvocacyKind(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    REVIEW = "review", _("Review")
    CASE_STUDY = "case_study", _("Case study")
    REFERENCE = "reference", _("Reference")


class AdvocacyEvent(models.Model):
    external_id = models.CharField(_("external id"), max_length=100)
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="advocacy_events")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=AdvocacyKind.choices)

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("advocacy event")
        verbose_name_plural = _("advocacy events")
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="advocacy_unique_external_id"),
            models.CheckConstraint(condition=Q(kind__in=AdvocacyKind.values), name="advocacy_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.kind}"


class TouchpointKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    QBR = "qbr", _("QBR")


class Touchpoint(models.Model):
    external_id = models.CharField(_("external id"), max_length=100)
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="touchpoints")
    csm = models.ForeignKey(User, on_delete=models.PROTECT, related_name="touchpoints")
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=8, choices=TouchpointKind.choices)

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="touchpoint_unique_external_id"),
            models.CheckConstraint(condition=Q(kind__in=TouchpointKind.values), name="touchpoint_kind_valid"),
        ]
        indexes = [models.Index(fields=["occurred_at"], name="touchpoint_occurred_at")]

    def __str__(self) -> str:
        return f"{self.external_id} {self.kind}"


class ImportSource(models.TextChoices):
    COMMAND = "command", _("Command line")
    UPLOAD = "upload", _("Upload page")
    API = "api", _("API")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Checking")
    VALID = "valid", _("Checked: ready to import")
    INVALID = "invalid", _("Refused: errors found")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ImportRunQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ImportRunQuerySet:
        """Imports are CS ops business: admins (and staff) see them all, nobody else any."""
        if getattr(user, "is_authenticated", False) and user.is_active and user.role == "admin":
            return self.all()
        return self.none()


class ImportRun(Job):
    """One load of one kind, by any of the three paths: who, when, what, counts and outcome."""

    kind = models.CharField(_("kind"), max_length=16)
    source = models.CharField(_("source"), max_length=8, choices=ImportSource.choices)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices)
    dry_run = models.BooleanField(_("dry run"), default=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_runs"
    )
    filename = models.CharField(_("file"), max_length=255, blank=True)
    stored_file = models.CharField(max_length=500, blank=True)
    # the stored file is a source system's export (zendesk, ...) or mapped by a YAML file.
    source_format = models.CharField(_("source format"), max_length=32, blank=True)
    mapping = models.TextField(_("mapping file"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at", "-pk"]
        # The sweep looks for runs on their way (queued, checking, importing): few among many.
        indexes = [
            models.Index(
                fields=["status"],
                name="importrun_on_its_way",
                condition=models.Q(status__in=["queued", "validating", "importing"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.get_status_display()} ({self.started_at:%Y-%m-%d %H:%M})"


# --- Data from other systems: crosswalks, and the state of the pull connectors -------

SOURCE_NAME_MAX = 32


class SourceAccount(models.Model):
    """Crosswalk: a source system's account id (a Zendesk organization, a HubSpot company, a
    ChartMogul customer's external id, ...) is this account of ours."""

    source = models.CharField(_("source"), max_length=SOURCE_NAME_MAX)
    source_id = models.CharField(_("id in the source"), max_length=100)
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="source_ids")

    class Meta:
        verbose_name = _("account crosswalk entry")
        verbose_name_plural = _("account crosswalk")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="source_account_unique"),
        ]
        indexes = [models.Index(fields=["account"], name="source_account_account")]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id} → {self.account_id}"


class SourceOwner(models.Model):
    """Crosswalk: a source system's owner id (a Salesforce user, a HubSpot owner, ...) is this person."""

    source = models.CharField(_("source"), max_length=SOURCE_NAME_MAX)
    source_id = models.CharField(_("id in the source"), max_length=100)
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="source_ids")

    class Meta:
        verbose_name = _("owner crosswalk entry")
        verbose_name_plural = _("owner crosswalk")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="source_owner_unique"),
        ]
        indexes = [models.Index(fields=["person"], name="source_owner_person")]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id} → {self.person_id}"


class SyncStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Loaded")
    CHECKED = "checked", _("Checked (dry run)")
    INVALID = "invalid", _("Refused: errors found")
    FAILED = "failed", _("Failed")


class SyncCursor(models.Model):
    """Where the next incremental pull of one source starts. Written in the transaction of the load
    that read up to it, so it only moves when that load commits."""

    source = models.CharField(_("source"), max_length=SOURCE_NAME_MAX, unique=True)
    cursor = models.CharField(_("cursor"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")

    def __str__(self) -> str:
        return f"{self.source}: {self.cursor}"


class SyncRunQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> SyncRunQuerySet:
        """Like imports: CS ops business, admins only."""
        if getattr(user, "is_authenticated", False) and user.is_active and user.role == "admin":
            return self.all()
        return self.none()


class SyncRun(models.Model):
    """One pull of one source: from which cursor to which, what the load did, the first errors."""

    source = models.CharField(_("source"), max_length=SOURCE_NAME_MAX)
    kind = models.CharField(_("kind"), max_length=16)
    status = models.CharField(_("status"), max_length=8, choices=SyncStatus.choices)
    dry_run = models.BooleanField(_("dry run"), default=False)
    trigger = models.CharField(_("trigger"), max_length=16, blank=True)
    cursor_from = models.CharField(_("from cursor"), max_length=2000, blank=True)
    cursor_to = models.CharField(_("to cursor"), max_length=2000, blank=True)
    pages = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(_("records read"), default=0)
    skipped = models.PositiveIntegerField(_("records skipped"), default=0)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("sync")
        verbose_name_plural = _("syncs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["source", "-started_at"], name="sync_run_source_started")]

    def __str__(self) -> str:
        return f"{self.source} {self.get_status_display()} ({self.started_at:%Y-%m-%d %H:%M})"
