"""What data-in keeps about its own work: the imports (one load of one kind, by the command, the upload
page or the API), the crosswalks from a source system's ids to ours, and the state of the pull
connectors. The tables kept their names from when these models lived in ``activity``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import CustomerAccount, User
from core.jobs import Job
from core.said import words as said_words
from datain.words import shown_errors


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
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_runs",
        verbose_name=_("started by"),
    )
    filename = models.CharField(_("file"), max_length=255, blank=True)
    stored_file = models.CharField(max_length=500, blank=True, verbose_name=_("uploaded file"))
    # the stored file is a source system's export (zendesk, ...) or mapped by a YAML file.
    source_format = models.CharField(_("source format"), max_length=32, blank=True)
    mapping = models.TextField(_("mapping file"), blank=True)
    task_id = models.CharField(max_length=64, blank=True, verbose_name=_("background task"))
    rows_read = models.PositiveIntegerField(default=0, verbose_name=_("rows read"))
    created = models.PositiveIntegerField(default=0, verbose_name=_("rows added"))
    updated = models.PositiveIntegerField(default=0, verbose_name=_("rows updated"))
    unchanged = models.PositiveIntegerField(default=0, verbose_name=_("rows unchanged"))
    error_count = models.PositiveIntegerField(default=0, verbose_name=_("rows with errors"))
    # The first errors, each with its sentence as a key and parameters (``RowError.stored``), and
    # what the run says of itself: a key (``datain.words``), its parameters in ``message_params``;
    # a text that is no key was stored before keys were kept, shown as it is (``message_words``).
    errors = models.JSONField(default=list, blank=True, verbose_name=_("errors"))
    message = models.TextField(blank=True, verbose_name=_("message"))
    message_params = models.JSONField(default=dict, blank=True, verbose_name=_("parameters of the message"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        db_table = "activity_importrun"
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

    @property
    def message_words(self) -> str:
        """What the run says of itself, in the reader's language."""
        return said_words(self.message, self.message_params) if self.message else ""

    @property
    def shown_errors(self) -> list[dict]:
        """The first errors as pages and the API show them, each sentence in the reader's language."""
        return shown_errors(self.errors or [])


# --- Data from other systems: crosswalks, and the state of the pull connectors -------

SOURCE_NAME_MAX = 32


class SourceAccount(models.Model):
    """Crosswalk: a source system's account id (a Zendesk organization, a HubSpot company, a
    ChartMogul customer's external id, ...) is this account of ours."""

    source = models.CharField(_("source"), max_length=SOURCE_NAME_MAX)
    source_id = models.CharField(_("id in the source"), max_length=100)
    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.CASCADE,
        related_name="source_ids",
        verbose_name=_("customer account"),
    )

    class Meta:
        db_table = "activity_sourceaccount"
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
    person = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="source_ids", verbose_name=_("person")
    )

    class Meta:
        db_table = "activity_sourceowner"
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
        db_table = "activity_synccursor"
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
    pages = models.PositiveIntegerField(default=0, verbose_name=_("pages read"))
    records = models.PositiveIntegerField(_("records read"), default=0)
    skipped = models.PositiveIntegerField(_("records skipped"), default=0)
    rows_read = models.PositiveIntegerField(default=0, verbose_name=_("rows read"))
    created = models.PositiveIntegerField(default=0, verbose_name=_("rows added"))
    updated = models.PositiveIntegerField(default=0, verbose_name=_("rows updated"))
    unchanged = models.PositiveIntegerField(default=0, verbose_name=_("rows unchanged"))
    error_count = models.PositiveIntegerField(default=0, verbose_name=_("rows with errors"))
    # The first errors, each with its sentence as a key and parameters (``RowError.stored``), and
    # what the run says of itself: a key (``datain.words``), its parameters in ``message_params``;
    # a text that is no key was stored before keys were kept, shown as it is (``message_words``).
    errors = models.JSONField(default=list, blank=True, verbose_name=_("errors"))
    message = models.TextField(blank=True, verbose_name=_("message"))
    message_params = models.JSONField(default=dict, blank=True, verbose_name=_("parameters of the message"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        db_table = "activity_syncrun"
        verbose_name = _("sync")
        verbose_name_plural = _("syncs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["source", "-started_at"], name="sync_run_source_started")]

    def __str__(self) -> str:
        return f"{self.source} {self.get_status_display()} ({self.started_at:%Y-%m-%d %H:%M})"

    @property
    def message_words(self) -> str:
        """What the run says of itself, in the reader's language."""
        return said_words(self.message, self.message_params) if self.message else ""

    @property
    def shown_errors(self) -> list[dict]:
        """The first errors as pages and the API show them, each sentence in the reader's language."""
        return shown_errors(self.errors or [])
