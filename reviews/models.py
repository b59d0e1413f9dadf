"""Quarterly reviews: cycles, templates, reviews with their frozen snapshot, disputes, comments."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import ClassVar

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import EVERYONE_ROLES, CustomerAccount, Role, User
from core import dates, text
from core.jobs import Job, since_words
from core.said import says
from core.said import words as said_words
from kpis.periods import Period, PeriodError, year_range
from kpis.registry import METRICS

DEFAULT_SECTIONS = [
    {"key": "outcomes", "title": gettext_noop("Outcomes: retention and growth of the book")},
    {"key": "customer_experience", "title": gettext_noop("Customer experience: service, NPS and CSAT")},
    {"key": "okrs", "title": gettext_noop("OKRs of the quarter")},
    {"key": "product_expertise", "title": gettext_noop("Product expertise and adoption")},
    {"key": "collaboration", "title": gettext_noop("Collaboration with sales, support and product")},
]
# The customers' words a reviewer (or the CSM, in their self-review) may pick as evidence for one
# section of a review: a handful, so that the quotes support the text rather than replace it
# (docs/reviews.md, "The customers' words").
QUOTES_PER_SECTION = 5
# The short form a colleague answers (the template's ``input_questions``): a few questions, each
# optional, and an optional rating on the template's scale (``input_rating``).
DEFAULT_INPUT_QUESTIONS = [
    {"key": "strengths", "text": gettext_noop("What did they do well on the accounts you worked together?")},
    {"key": "improve", "text": gettext_noop("What could they do better?")},
    {"key": "other", "text": gettext_noop("Anything else their reviewer should know?")},
]
# Anonymous input is shown only from this many answers on (docs/reviews.md, "Input from colleagues").
ANONYMOUS_MIN_ANSWERS = 3


def default_input_questions() -> list[dict]:
    return [dict(q) for q in DEFAULT_INPUT_QUESTIONS]


DEFAULT_SCALE = [
    {"value": 1, "label": gettext_noop("Below expectations")},
    {"value": 2, "label": gettext_noop("Partly meets expectations")},
    {"value": 3, "label": gettext_noop("Meets expectations")},
    {"value": 4, "label": gettext_noop("Exceeds expectations")},
    {"value": 5, "label": gettext_noop("Outstanding")},
]
# Per metric: weight, and the values that earn the bottom, middle and top of the scale. Each
# quantity is weighed once: the portfolio growth rate is NRR - 100 (kpis.registry, same_quantity_as),
# so NRR alone carries the cohort's revenue; and it is weighed through its lift (observed minus what
# the book could be expected to do, in points: 0 earns the middle), so that a CSM handed a hard book
# is not marked down for it (docs/metrics.md, "The default review template").
DEFAULT_KPI_WEIGHTS = {
    "nrr_lift": {"weight": 3, "floor": -6, "target": 0, "stretch": 6},
    "logo_retention_lift": {"weight": 2, "floor": -5, "target": 0, "stretch": 5},
    "health_good_share": {"weight": 1, "floor": 30, "target": 50, "stretch": 70},
    "nps": {"weight": 1, "floor": 0, "target": 35, "stretch": 60},
    "csat": {"weight": 1, "floor": 60, "target": 80, "stretch": 95},
    "first_response_hours": {"weight": 1, "floor": 12, "target": 4, "stretch": 1},
    "onboarding_days": {"weight": 1, "floor": 90, "target": 45, "stretch": 20},
}


def default_min_samples() -> dict:
    """A new template's minimum sample per metric: the metric's own (``kpis.registry``, with the
    ``KPI_MIN_SAMPLE`` setting), the same that greys a value out on the pages (docs/metrics.md,
    "Small samples"). Below it a value is shown as few data and left out of the suggested rating (the
    rest re-weighted). A template keeps the minimums it was made with, as it keeps its weights."""
    return {m.key: m.minimum_sample for m in METRICS if m.minimum_sample}


class ReviewTemplate(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    sections = models.JSONField(_("sections"), default=list)
    rating_scale = models.JSONField(_("rating scale"), default=list)
    kpi_weights = models.JSONField(_("KPI weights and targets"), default=dict)
    okr_weight = models.DecimalField(
        _("weight of the OKR score"), max_digits=5, decimal_places=2, default=Decimal(2)
    )
    min_samples = models.JSONField(
        _("minimum sample per metric"),
        default=default_min_samples,
        blank=True,
        help_text=_("Below it a metric is shown but neither scored nor coloured as a change."),
    )
    self_rating = models.BooleanField(
        _("the CSM rates each section"),
        default=True,
        help_text=_("Shown next to the manager's rating once both are submitted."),
    )
    input_questions = models.JSONField(
        _("questions to colleagues"),
        default=default_input_questions,
        blank=True,
        help_text=_("The short form a colleague answers when asked for input: a key and a text each."),
    )
    input_rating = models.BooleanField(
        _("colleagues may give a rating"),
        default=True,
        help_text=_("An optional rating on the template's scale, next to their answers."),
    )
    # Declared for the type checker: django-modeltranslation makes it a multilingual manager
    # (reviews/translation.py), which the Django plugin of mypy cannot resolve by itself.
    objects: ClassVar[models.Manager[ReviewTemplate]] = models.Manager()

    class Meta:
        verbose_name = _("review template")
        verbose_name_plural = _("review templates")

    def __str__(self) -> str:
        return self.name

    @property
    def scale_values(self) -> list[int]:
        return [int(s["value"]) for s in self.rating_scale]

    def label_of(self, value: int | None) -> str:
        return next((s["label"] for s in self.rating_scale if int(s["value"]) == value), "")


class CycleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CALIBRATION = "calibration", _("Calibration")
    CLOSED = "closed", _("Closed")


ONE_DAY = datetime.timedelta(days=1)


def _day(d: datetime.date) -> str:
    return dates.day(d)


def validate_due_date(value: datetime.date) -> None:
    """A review cycle's due date, for the page's form, the API's serializer and the model alike:
    within the years the product holds (FIRST_YEAR to LAST_YEAR)."""
    first, last = year_range()
    if not first <= value.year <= last:
        raise ValidationError(
            _("Pick a date between %(first)s and %(last)s.")
            % {"first": _day(datetime.date(first, 1, 1)), "last": _day(datetime.date(last, 12, 31))},
            code="out_of_range",
        )


# A due date falls within the quarter reviewed or in the year after its last day.
DUE_AT_MOST_YEARS_AFTER = 1


def check_due_dates(period: str, self_review_due: datetime.date, manager_review_due: datetime.date) -> None:
    """The one rule for a cycle's due dates (service, admin, API, page): each a date the product
    holds, within the quarter reviewed or the year after it, the manager's not before the CSM's.
    Raises ``ValidationError`` keyed by field."""
    errors: dict[str, list[str | Promise]] = {}
    try:
        p = Period.parse(period)
    except PeriodError:
        p = None
    for field, day in (("self_review_due", self_review_due), ("manager_review_due", manager_review_due)):
        if not isinstance(day, datetime.date):
            continue
        try:
            validate_due_date(day)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
            continue
        if p is not None and day < p.start:
            errors.setdefault(field, []).append(
                _("A due date falls within the quarter reviewed or after it (it starts on %(start)s).")
                % {"start": _day(p.start)}
            )
        elif p is not None and day > (
            latest := p.end - ONE_DAY + relativedelta(years=DUE_AT_MOST_YEARS_AFTER)
        ):
            errors.setdefault(field, []).append(
                _("A due date is at most a year after the quarter ends (by %(last)s).")
                % {"last": _day(latest)}
            )
    if (
        not errors
        and isinstance(self_review_due, datetime.date)
        and isinstance(manager_review_due, datetime.date)
        and manager_review_due < self_review_due
    ):
        errors["manager_review_due"] = [_("The manager review is due after the self-review.")]
    if errors:
        raise ValidationError(errors)


class ReviewCycle(models.Model):
    period = models.CharField(_("quarter"), max_length=8)
    template = models.ForeignKey(
        ReviewTemplate, on_delete=models.PROTECT, related_name="cycles", verbose_name=_("review template")
    )
    self_review_due = models.DateField(_("self-review due"), validators=[validate_due_date])
    manager_review_due = models.DateField(_("manager review due"), validators=[validate_due_date])
    status = models.CharField(
        _("status"), max_length=12, choices=CycleStatus.choices, default=CycleStatus.DRAFT
    )
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # What HR confirmed would be missing when the cycle opened (a quarter not started, no KPI run).
    opened_despite = models.TextField(_("opened despite"), blank=True)
    input_anonymous = models.BooleanField(
        _("colleagues' input is anonymous to the CSM"),
        default=False,
        help_text=_("Anonymous input is shown without its authors, and only once three colleagues answered."),
    )
    # Why calibration started before every review was submitted (empty: it started when all were).
    calibration_override_reason = models.TextField(
        _("calibration started early because"),
        blank=True,
        max_length=text.NOTE,
        validators=[text.MaxChars(text.NOTE)],
    )
    history = HistoricalRecords()
    # simple_history reads these off the instance when it writes the history row (who, and why).
    _history_user: User | None
    _change_reason: str

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["period"], name="cycle_one_per_quarter"),
            models.CheckConstraint(
                condition=Q(manager_review_due__gte=models.F("self_review_due")),
                name="cycle_manager_due_after_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} ({self.get_status_display()})"

    def clean(self) -> None:
        check_due_dates(self.period, self.self_review_due, self.manager_review_due)


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SELF_REVIEW = "self_review", _("Self-review")
    MANAGER_REVIEW = "manager_review", _("Manager review")
    SUBMITTED = "submitted", _("Submitted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    FINALIZED = "finalized", _("Finalized")


STATUS_ORDER = [s.value for s in ReviewStatus]


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ReviewQuerySet:
        """CSM: their own, once shared (not in draft). Manager: the reviews they write and their teams'.
        HR and admin: every review."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in EVERYONE_ROLES:
            return self.all()
        if user.role == Role.MANAGER:
            return self.filter(Q(reviewer=user) | Q(csm__team__manager=user))
        return self.filter(csm=user).exclude(status=ReviewStatus.DRAFT)


class Review(models.Model):
    cycle = models.ForeignKey(
        ReviewCycle, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("review cycle")
    )
    csm = models.ForeignKey(User, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("CSM"))
    reviewer = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="reviews_to_write", verbose_name=_("reviewer")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    version = models.PositiveIntegerField(
        default=1, help_text=_("Bumped by every save: a stale save is refused."), verbose_name=_("version")
    )
    revision = models.PositiveIntegerField(
        default=1, help_text=_("Bumped when HR reopens a finalized review."), verbose_name=_("revision")
    )
    snapshot = models.JSONField(
        default=dict,
        verbose_name=_("frozen results"),
        help_text=_("The metric results the review was written against."),
    )
    snapshot_at = models.DateTimeField(null=True, verbose_name=_("results frozen at"))
    self_assessment = models.JSONField(default=dict, blank=True, verbose_name=_("self-assessment"))
    manager_assessment = models.JSONField(default=dict, blank=True, verbose_name=_("manager's assessment"))
    section_ratings = models.JSONField(default=dict, blank=True, verbose_name=_("section ratings"))
    self_ratings = models.JSONField(default=dict, blank=True, verbose_name=_("self-ratings"))
    # The customers' words picked as evidence: section key -> the survey comments as they were when
    # picked (``reviews.writing.quotes``); a later edit or deletion of the survey leaves them as they
    # are. The CSM's picks belong to the self-review, the reviewer's to the manager's part.
    self_quotes = models.JSONField(default=dict, blank=True, verbose_name=_("quotes in the self-assessment"))
    manager_quotes = models.JSONField(
        default=dict, blank=True, verbose_name=_("quotes in the manager's assessment")
    )
    # The feedback notes of the quarter on the CSM (``FeedbackNote``), copied when the review is
    # submitted: a later edit or deletion of a note leaves the review as it was. Not in the review's
    # history (each note has its own, and a CSM may not read the notes not shared with them).
    notes = models.JSONField(default=list, blank=True, verbose_name=_("notes"))
    suggested_rating = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True, verbose_name=_("suggested rating")
    )
    suggested_detail = models.JSONField(
        default=dict, blank=True, verbose_name=_("how the suggested rating was worked out")
    )
    final_rating = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("final rating"))
    final_rating_reason = models.TextField(
        blank=True,
        max_length=text.NOTE,
        validators=[text.MaxChars(text.NOTE)],
        verbose_name=_("reason for the final rating"),
    )
    # Set in the calibration session (HR or a manager of the cycle), with its reason; ``final_rating``
    # keeps the manager's original. The rating of the review is ``rating`` (the calibrated one if any).
    calibrated_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("calibrated rating")
    )
    calibration_reason = models.TextField(
        blank=True,
        max_length=text.NOTE,
        validators=[text.MaxChars(text.NOTE)],
        verbose_name=_("reason for the calibration"),
    )
    calibrated_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("calibrated by"),
    )
    calibrated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("calibrated at"))
    acknowledgement_comment = models.TextField(
        blank=True,
        max_length=text.COMMENT,
        validators=[text.MaxChars(text.COMMENT)],
        verbose_name=_("CSM's comment on acknowledging"),
    )
    # Flags not yet resolved when the CSM acknowledged (they confirmed it): the acknowledgement says so.
    open_flags_at_acknowledgement = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("open flags when acknowledged")
    )
    self_submitted_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("self-assessment submitted at")
    )
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("submitted at"))
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))
    finalized_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finalized at"))
    finalized_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("finalized by"),
    )
    # The colleagues' input as it stood when the review was submitted (reviews.input.selectors.
    # input_freeze): anonymous input is frozen without its authors. Kept out of the history, whose
    # every record a CSM may read: the frozen input is shown through the one rule of input_for.
    colleague_input = models.JSONField(default=dict, blank=True, verbose_name=_("colleagues' input"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("last saved at"))
    history = HistoricalRecords(excluded_fields=["updated_at", "notes", "colleague_input"])
    # simple_history reads these off the instance when it writes the history row (who, and why).
    _history_user: User | None
    _change_reason: str

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["cycle", "csm__name"]
        constraints = [models.UniqueConstraint(fields=["cycle", "csm"], name="review_one_per_csm_and_cycle")]

    def __str__(self) -> str:
        return f"{self.csm} · {self.cycle.period}"

    def reached(self, status: str) -> bool:
        return STATUS_ORDER.index(self.status) >= STATUS_ORDER.index(status)

    @property
    def rating(self) -> int | None:
        """The review's rating: the calibration session's when it adjusted it, else the manager's."""
        return self.calibrated_rating if self.calibrated_rating is not None else self.final_rating


class CycleExclusion(models.Model):
    """A CSM left out of a cycle (a leaver, a new hire, a long leave): no review, with the reason.
    New hires below ``REVIEW_MIN_TENURE_DAYS`` are excluded when the cycle is created; HR includes them
    back by deleting the row (the history keeps it)."""

    cycle = models.ForeignKey(
        ReviewCycle, on_delete=models.CASCADE, related_name="exclusions", verbose_name=_("review cycle")
    )
    csm = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("CSM"))
    reason = models.TextField(_("reason"), max_length=text.NOTE, validators=[text.MaxChars(text.NOTE)])
    excluded_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("excluded by")
    )
    excluded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("excluded at"))
    history = HistoricalRecords()
    # simple_history reads these off the instance when it writes the history row (who, and why).
    _history_user: User | None
    _change_reason: str

    class Meta:
        verbose_name = _("CSM left out of a cycle")
        verbose_name_plural = _("CSMs left out of cycles")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "csm"], name="exclusion_one_per_csm_and_cycle")
        ]

    def __str__(self) -> str:
        return f"{self.csm} not in {self.cycle.period}"


class CalibrationNote(models.Model):
    """A note on a CSM taken in the calibration session (HR and the cycle's managers, never the CSM)."""

    cycle = models.ForeignKey(
        ReviewCycle,
        on_delete=models.CASCADE,
        related_name="calibration_notes",
        verbose_name=_("review cycle"),
    )
    csm = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("CSM"))
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    body = models.TextField(
        max_length=text.COMMENT, validators=[text.MaxChars(text.COMMENT)], verbose_name=_("note")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note on {self.csm_id} in {self.cycle_id}"


class FlagState(models.TextChoices):
    OPEN = "open", _("Open: waiting for an answer")
    ANSWERED = "answered", _("Answered: waiting for the CSM")
    RESOLVED = "resolved", _("Resolved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


UNRESOLVED_FLAGS = (FlagState.OPEN, FlagState.ANSWERED)


class Dispute(models.Model):
    """A CSM flags a number of their snapshot; the manager answers; the CSM resolves it (or
    withdraws it). open -> answered -> resolved, or withdrawn while open or answered."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="disputes", verbose_name=_("review")
    )
    metric = models.CharField(max_length=40, verbose_name=_("metric"))
    comment = models.TextField(
        max_length=text.NOTE, validators=[text.MaxChars(text.NOTE)], verbose_name=_("comment")
    )
    raised_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    raised_at = models.DateTimeField(auto_now_add=True, verbose_name=_("raised at"))
    answer = models.TextField(
        blank=True, max_length=text.NOTE, validators=[text.MaxChars(text.NOTE)], verbose_name=_("answer")
    )
    answered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("answered by")
    )
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))
    state = models.CharField(_("state"), max_length=10, choices=FlagState.choices, default=FlagState.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    history = HistoricalRecords()
    # simple_history reads these off the instance when it writes the history row (who, and why).
    _history_user: User | None
    _change_reason: str

    class Meta:
        ordering = ["raised_at"]
        verbose_name = _("flagged number")
        verbose_name_plural = _("flagged numbers")

    def __str__(self) -> str:
        return f"{self.review_id} {self.metric}"

    @property
    def is_unresolved(self) -> bool:
        return self.state in UNRESOLVED_FLAGS


class Comment(models.Model):
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="comments", verbose_name=_("review")
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    body = models.TextField(
        max_length=text.COMMENT, validators=[text.MaxChars(text.COMMENT)], verbose_name=_("comment")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.review_id} {self.author_id}"


class InputStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")
    DECLINED = "declined", _("Declined")


class InputSource(models.TextChoices):
    """Why the colleague was asked: what the suggestion said, or added by hand."""

    ACCOUNT_TEAM = "account_team", _("Account team")
    PREVIOUS_OWNER = "previous_owner", _("Previous owner")
    TEAMMATE = "teammate", _("Teammate")
    ADDED = "added", _("Added by hand")


class InputRequestQuerySet(models.QuerySet):
    def addressed_to(self, user: User) -> InputRequestQuerySet:
        """The requests ``user`` is asked to answer: what a contributor sees, and all they see."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(contributor=user)


class InputRequest(models.Model):
    """A colleague asked for input on a CSM's review: the questions of the cycle's template (copied
    when asked), the answers, an optional rating, or a decline."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="input_requests", verbose_name=_("review")
    )
    contributor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="input_requests", verbose_name=_("colleague asked")
    )
    requested_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("asked by")
    )
    source = models.CharField(
        max_length=16, choices=InputSource.choices, default=InputSource.ADDED, verbose_name=_("asked as")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=InputStatus.choices, default=InputStatus.REQUESTED
    )
    due_on = models.DateField(_("answer by"), validators=[validate_due_date])
    questions = models.JSONField(default=list, verbose_name=_("questions"))
    answers = models.JSONField(default=dict, blank=True, verbose_name=_("answers"))
    rating = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("rating"))
    decline_reason = models.TextField(
        blank=True,
        max_length=text.NOTE,
        validators=[text.MaxChars(text.NOTE)],
        verbose_name=_("reason for declining"),
    )
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("asked at"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))

    objects = InputRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("input request")
        verbose_name_plural = _("input requests")
        ordering = ["review", "requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "contributor"], name="input_one_per_review_and_person"),
            models.CheckConstraint(condition=Q(status__in=InputStatus.values), name="input_status_valid"),
        ]

    def __str__(self) -> str:
        return f"input of {self.contributor_id} on review {self.review_id}"


# Why an export failed (``CycleExport.error``, its parameters in ``error_params``), said when read.
PDFS_MISSING = "reviews.export_pdfs_missing"
CHUNK_FAILED = "reviews.export_chunk_failed"
WORKERS_STOPPED = "reviews.export_workers_stopped"


@says(PDFS_MISSING)
def _pdfs_missing(p: dict) -> str:
    return gettext("%(made)s of %(total)s PDFs were rendered. Retry.") % {
        "made": p["made"],
        "total": p["total"],
    }


@says(CHUNK_FAILED)
def _chunk_failed(p: dict) -> str:
    return gettext("A chunk of PDFs failed; see the worker's log. Retry.")


@says(WORKERS_STOPPED)
def _workers_stopped(p: dict) -> str:
    return gettext(
        "The workers stopped making the PDFs (no sign of life since %(since)s): "
        "%(done)s of %(total)s were made. Retry: the ones made are kept."
    ) % {"since": since_words(p), "done": p["done"], "total": p["total"]}


class CycleExport(Job):
    """A zip of every review PDF of a cycle, built by a Celery task."""

    cycle = models.ForeignKey(
        ReviewCycle, on_delete=models.CASCADE, related_name="exports", verbose_name=_("review cycle")
    )
    status = models.CharField(
        max_length=10, default="queued", verbose_name=_("status")
    )  # queued, running, done, failed
    total = models.PositiveIntegerField(default=0, verbose_name=_("reviews to export"))
    done = models.PositiveIntegerField(default=0, verbose_name=_("reviews exported"))
    path = models.CharField(max_length=500, blank=True, verbose_name=_("archive file"))
    # Why it failed: a key (``reviews.output.exports``, ``core.jobs``), its parameters in
    # ``error_params``; a text that is no key was stored before keys were kept (``error_words``).
    error = models.TextField(blank=True, verbose_name=_("error"))
    error_params = models.JSONField(default=dict, blank=True, verbose_name=_("parameters of the error"))
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("cycle export")
        verbose_name_plural = _("cycle exports")

    def __str__(self) -> str:
        return f"export {self.pk} of {self.cycle}"

    @property
    def error_words(self) -> str:
        """Why it failed, in the reader's language."""
        return said_words(self.error, self.error_params) if self.error else ""


class NoteKind(models.TextChoices):
    PRAISE = "praise", _("Praise")
    CONCERN = "concern", _("Concern")


class FeedbackNoteQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> FeedbackNoteQuerySet:
        """The author their own notes; the CSM's team manager, HR and CS ops / admin every note on the
        CSM; the CSM only the notes their authors chose to show them."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in EVERYONE_ROLES:
            return self.all()
        seen = Q(author=user) | Q(csm=user, shared_with_csm=True)
        if user.role == Role.MANAGER:
            seen |= Q(csm__team__manager=user)
        return self.filter(seen)


class FeedbackNote(models.Model):
    """A note anyone leaves on a CSM at any time: praise or a concern, optionally about one account or
    one metric. The CSM's next review lists the notes of its quarter as evidence. Every edit and the
    deletion are kept in the history (who, when, what)."""

    csm = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="feedback_notes", verbose_name=_("CSM")
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    kind = models.CharField(_("kind"), max_length=8, choices=NoteKind.choices)
    body = models.TextField(_("note"), max_length=text.NOTE, validators=[text.MaxChars(text.NOTE)])
    account = models.ForeignKey(
        CustomerAccount,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("account"),
    )
    metric = models.CharField(_("metric"), max_length=40, blank=True)
    shared_with_csm = models.BooleanField(_("shown to the CSM"), default=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("last saved at"))
    history = HistoricalRecords(excluded_fields=["updated_at"])
    # simple_history reads these off the instance when it writes the history row (who, and why).
    _history_user: User | None
    _change_reason: str

    objects = FeedbackNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback note")
        verbose_name_plural = _("feedback notes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NoteKind.values), name="note_kind_valid"),
            models.CheckConstraint(condition=~Q(csm=models.F("author")), name="note_not_on_oneself"),
        ]
        indexes = [models.Index(fields=["csm", "created_at"], name="note_csm_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.csm_id} by {self.author_id}"
