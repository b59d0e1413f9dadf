"""The facts of docs/data-contract.md: what happened on the accounts. Ranges are database constraints."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import CustomerAccount, User


class FactQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> FactQuerySet:
        """Facts of the accounts ``user`` may see (CustomerAccount.objects.visible_to)."""
        return self.filter(account__in=CustomerAccount.objects.visible_to(user).values("pk"))


class Fact(models.Model):
    """What every fact shares: it happened on one account (each fact names its own way back from the
    account, ``account.tickets``), at the day or moment of its ``time_field`` (the one that places it
    in a period; an import touches the days of these), and whoever may see the account may see it."""

    time_field: ClassVar[str]

    objects = FactQuerySet.as_manager()

    class Meta:
        abstract = True


class ExternalFact(Fact):
    """A fact the system it comes from names: its ``external_id`` is the key its imports merge on."""

    external_id = models.CharField(_("external id"), max_length=100)

    class Meta:
        abstract = True


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


class RevenueEvent(ExternalFact):
    time_field = "date"

    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.CASCADE,
        related_name="revenue_events",
        db_index=False,
        verbose_name=_("customer account"),
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=RevenueKind.choices)
    mrr_delta = models.DecimalField(_("MRR change"), max_digits=14, decimal_places=2)

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


class Ticket(ExternalFact):
    time_field = "opened_at"  # tickets count in the period they were opened in

    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.CASCADE,
        related_name="tickets",
        db_index=False,
        verbose_name=_("customer account"),
    )
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    customer_contacts = models.PositiveIntegerField(_("customer contacts"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    channel = models.CharField(_("channel"), max_length=50, blank=True)

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


class SurveyResponse(ExternalFact):
    time_field = "responded_at"

    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.CASCADE,
        related_name="survey_responses",
        verbose_name=_("customer account"),
    )
    responded_at = models.DateTimeField(_("responded at"))
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)

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


class UsageSnapshot(Fact):
    time_field = "date"

    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.CASCADE,
        related_name="usage_snapshots",
        db_index=False,
        verbose_name=_("customer account"),
    )
    date = models.DateField(_("date"))
    licensed_seats = models.PositiveIntegerField(_("licensed seats"))
    dau = models.PositiveIntegerField(_("daily active users"))
    mau = models.PositiveIntegerField(_("monthly active users"))
    features_used = models.PositiveIntegerField(_("features used"))
    features_available = models.PositiveIntegerField(_("features available"))

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


class HealthSnapshot(Fact):
    time_field = "date"

    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.CASCADE,
        related_name="health_snapshots",
        db_index=False,
        verbose_name=_("customer account"),
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


class AdvocacyEvent(ExternalFact):
    time_field = "date"

    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.CASCADE,
        related_name="advocacy_events",
        verbose_name=_("customer account"),
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=AdvocacyKind.choices)

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


class Touchpoint(ExternalFact):
    time_field = "occurred_at"

    account = models.ForeignKey(
        CustomerAccount,
        on_delete=models.CASCADE,
        related_name="touchpoints",
        verbose_name=_("customer account"),
    )
    csm = models.ForeignKey(User, on_delete=models.PROTECT, related_name="touchpoints", verbose_name=_("CSM"))
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=8, choices=TouchpointKind.choices)

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
