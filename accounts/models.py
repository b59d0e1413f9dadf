"""People (users, roles, teams) and the book of customer accounts with its ownership history."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.text import validate_name


class Role(models.TextChoices):
    CSM = "csm", _("Customer Success Manager")
    MANAGER = "manager", _("Manager")
    HR = "hr", _("HR")
    ADMIN = "admin", _("CS ops / admin")
    # A colleague outside CS (sales, solutions, support) who gives input on CSMs' reviews: signs in,
    # sees only the input requests addressed to them.
    CONTRIBUTOR = "contributor", _("Contributor (gives review input)")
    # An integration's account: loads data through the API with its token, reads nothing about
    # people, KPIs, OKRs or reviews, and cannot log in to the pages.
    SERVICE = "service", _("Integration (API only)")


class Segment(models.TextChoices):
    SMB = "smb", _("SMB")
    MID_MARKET = "mid_market", _("Mid-Market")
    ENTERPRISE = "enterprise", _("Enterprise")


EVERYONE_ROLES = (Role.HR, Role.ADMIN)
# The roles of people (the people import and the forms); integrations get theirs from create_api_token.
PERSON_ROLES = (Role.CSM, Role.MANAGER, Role.HR, Role.ADMIN, Role.CONTRIBUTOR)


class UserQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> UserQuerySet:
        """People ``user`` may see (docs/architecture.md, "Who uses it").

        CSM: themselves. Manager: themselves and the members of the teams they manage.
        HR and admin: everyone. Anyone else (anonymous, inactive): nobody.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in EVERYONE_ROLES:
            return self.all()
        if user.role == Role.MANAGER:
            return self.filter(Q(pk=user.pk) | Q(team__manager=user)).distinct()
        return self.filter(pk=user.pk)

    def csms(self) -> UserQuerySet:
        return self.filter(role=Role.CSM)


# mypy does not accept a call as a base class (django-stubs types from_queryset only when assigned to a
# name, which would rename the manager that the migrations record): User.objects is a UserManager to
# mypy, with its own methods typed and the queryset's (visible_to, csms) seen as Any.
class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str) -> User:
        """The login: an email address in any letter case finds its person."""
        return self.get(email=normalize_email(username))


def validate_time_zone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a time zone such as Europe/Paris."), params={"value": value}
        )


def normalize_email(email: str) -> str:
    """Emails are stored and compared in lower case, without surrounding spaces."""
    return (email or "").strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address. ``role`` decides what they see."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True, validators=[validate_name])
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CSM)
    segment = models.CharField(
        _("segment"),
        max_length=16,
        choices=Segment.choices,
        blank=True,
        help_text=_("Required for CSMs: the segment of the book they manage."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        help_text=_("The team a CSM belongs to."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("Dates and times are shown in it (e.g. Europe/Paris); empty: the organisation's."),
        validators=[validate_time_zone],
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Bumped when a person is deactivated: every session they had ends for good, so reactivating
    # them later does not revive a session left open somewhere (get_session_auth_hash).
    session_epoch = models.PositiveIntegerField(
        default=0,
        editable=False,
        verbose_name=_("sign-in generation"),
        help_text=_("Goes up when the password changes, which signs the person out everywhere."),
    )
    is_staff = models.BooleanField(_("staff (Django admin)"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "email"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.UniqueConstraint(Lower("email"), name="user_email_unique_any_case"),
            models.CheckConstraint(
                condition=Q(segment="") | Q(segment__in=Segment.values),
                name="user_segment_valid",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.CSM) | ~Q(segment=""),
                name="user_csm_has_segment",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        if self.pk and not self.is_active:
            was_active = type(self).objects.filter(pk=self.pk, is_active=True).exists()
            if was_active:
                self.session_epoch += 1
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "session_epoch"}
        super().save(*args, **kwargs)

    def _session_hash(self, secret: str | bytes) -> str:
        return salted_hmac(
            "accounts.User.session",
            f"{self.password}|{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_hash(self) -> str:
        """Sessions end when the password changes and when the person is deactivated."""
        return self._session_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self):
        for fallback in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(fallback)

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return (self.name or self.email).split(" ")[0]

    @property
    def is_csm(self) -> bool:
        return self.role == Role.CSM

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_hr(self) -> bool:
        return self.role == Role.HR

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN


class TeamQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> TeamQuerySet:
        """Teams ``user`` may see: a CSM their own, a manager the teams they manage, HR/admin all."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in EVERYONE_ROLES:
            return self.all()
        if user.role == Role.MANAGER:
            return self.filter(manager=user)
        return self.filter(pk=user.team_id) if user.team_id else self.none()


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True, validators=[validate_name])
    manager = models.ForeignKey(
        User,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def current_owner_subquery(day: datetime.date | None = None, account_ref: str = "pk") -> Subquery:
    """SQL for ``Owner(a, day)`` (docs/metrics.md): the CSM of the latest assignment starting on or before ``day``."""
    day = day or timezone.localdate()
    return Subquery(
        Assignment.objects.filter(account_id=OuterRef(account_ref), start_date__lte=day)
        .order_by("-start_date")
        .values("csm_id")[:1]
    )


class CustomerAccountQuerySet(models.QuerySet):
    def with_owner_on(self, day: datetime.date) -> CustomerAccountQuerySet:
        return self.annotate(owner_id_on=current_owner_subquery(day))

    def visible_to(self, user: User) -> CustomerAccountQuerySet:
        """Accounts ``user`` may see: a CSM their current book, a manager their teams' books, HR/admin all."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in EVERYONE_ROLES:
            return self.all()
        owners = User.objects.visible_to(user).filter(role=Role.CSM).values("pk")
        return self.with_owner_on(timezone.localdate()).filter(owner_id_on__in=owners)


class CustomerAccount(models.Model):
    external_id = models.CharField(_("external id"), max_length=100, unique=True, validators=[validate_name])
    name = models.CharField(_("name"), max_length=200, validators=[validate_name])
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices)
    signed_on = models.DateField(_("signed on"))
    onboarding_completed_on = models.DateField(_("onboarding completed on"), null=True, blank=True)

    objects = CustomerAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer account")
        verbose_name_plural = _("customer accounts")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(segment__in=Segment.values), name="account_segment_valid"),
            models.CheckConstraint(
                condition=Q(onboarding_completed_on__isnull=True)
                | Q(onboarding_completed_on__gte=models.F("signed_on")),
                name="account_onboarding_after_signing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class Assignment(models.Model):
    """One step of an account's ownership history: ``csm`` owns ``account`` from ``start_date`` on.

    History is kept, never overwritten: a reassignment adds a row.
    """

    account = models.ForeignKey(
        CustomerAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="assignments"
    )
    csm = models.ForeignKey(User, verbose_name=_("CSM"), on_delete=models.PROTECT, related_name="assignments")
    start_date = models.DateField(_("start date"))

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["account_id", "start_date"]
        constraints = [
            models.UniqueConstraint(fields=["account", "start_date"], name="assignment_unique_account_start"),
        ]
        indexes = [models.Index(fields=["csm", "start_date"], name="assignment_csm_start")]

    def __str__(self) -> str:
        return f"{self.account} → {self.csm} from {self.start_date}"


class AccountTeamRole(models.TextChoices):
    ACCOUNT_EXECUTIVE = "account_executive", _("Account executive")
    SOLUTIONS_ENGINEER = "solutions_engineer", _("Solutions engineer")
    SUPPORT_LEAD = "support_lead", _("Support lead")
    OTHER = "other", _("Other")


class AccountTeamMemberQuerySet(models.QuerySet):
    def during(self, start: datetime.date, end: datetime.date) -> AccountTeamMemberQuerySet:
        """Members whose time on the account overlaps the days ``start`` to ``end`` (both included)."""
        return self.filter(start_date__lte=end).filter(Q(end_date__isnull=True) | Q(end_date__gte=start))


class AccountTeamMember(models.Model):
    """Who else works an account (docs/data-contract.md, ``account_team``): a person, their role in
    the account's team, from ``start_date`` to ``end_date`` (empty while current). Optional data: it
    suggests who gives input on a CSM's review."""

    account = models.ForeignKey(
        CustomerAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="team_members"
    )
    person = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="account_teams"
    )
    role = models.CharField(_("role in the account team"), max_length=24, choices=AccountTeamRole.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    objects = AccountTeamMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team members")
        ordering = ["account_id", "start_date", "person_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "person", "role", "start_date"], name="account_team_member_unique"
            ),
            models.CheckConstraint(
                condition=Q(role__in=AccountTeamRole.values), name="account_team_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="account_team_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["person"], name="account_team_person")]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} of {self.account}"


class AccessDenial(models.Model):
    """A refused attempt to read another person's review or scorecard: who, what, when."""

    user = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("person")
    )
    what = models.CharField(max_length=40, verbose_name=_("what was asked for"))  # "review", "scorecard", ...
    object_id = models.CharField(max_length=40, verbose_name=_("record number"))
    path = models.CharField(max_length=300, verbose_name=_("page address"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("when"))

    class Meta:
        verbose_name = _("refused access")
        verbose_name_plural = _("refused accesses")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.what} {self.object_id} at {self.at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A person's read-only API token (accounts.tokens): it reads what its person may see and
    changes nothing. Only a digest of the key is stored; the key is shown once, at creation."""

    person = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("person")
    )
    name = models.CharField(_("name"), max_length=100, validators=[validate_name])
    digest = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        verbose_name=_("key fingerprint"),
        help_text=_("A one-way fingerprint of the key; the key itself is never stored."),
    )  # SHA-256 of the key, hex
    hint = models.CharField(
        max_length=16,
        editable=False,
        verbose_name=_("key starts with"),
        help_text=_("The key's first characters, to tell keys apart."),
    )  # the key's first characters, to tell it apart
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…) of {self.person}"


class SignInMethod(models.TextChoices):
    PASSWORD = "password", _("Password")
    OIDC = "oidc", _("OpenID Connect")
    SAML = "saml", _("SAML")


class SignIn(models.Model):
    """One sign-in or one refused sign-in: who, how, when and from where (accounts.signins).
    Read-only in the admin, to admins only."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    person = models.ForeignKey(
        User, verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.CharField(_("email given"), max_length=254, blank=True)
    method = models.CharField(_("how"), max_length=16, choices=SignInMethod.choices)
    succeeded = models.BooleanField(_("signed in"))
    # A key of accounts.signins, its parameters in ``reason_params`` (``reason_words`` says it); a text
    # that is no key was stored before keys were kept, shown as it is.
    reason = models.CharField(_("why refused"), max_length=300, blank=True)
    reason_params = models.JSONField(_("parameters of the reason"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        ordering = ["-at"]

    def __str__(self) -> str:
        outcome = _("signed in") if self.succeeded else _("refused")
        return f"{self.person or self.email} · {self.get_method_display()} · {outcome}"

    @property
    def reason_words(self) -> str:
        """Why it was refused, in the reader's language."""
        from core.said import words  # noqa: PLC0415 -- the keys are accounts.signins'

        return words(self.reason, self.reason_params) if self.reason else ""
