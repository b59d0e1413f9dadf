"""What the identity provider knows of people and teams that the product does not keep itself
(its user name, its external ids, the given and family names), and the provider's tokens."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from core.text import validate_name


class ScimToken(models.Model):
    """The bearer token of an identity provider (``manage.py create_scim_token``): it manages
    people and teams through /scim/v2/ and nothing else. Only a SHA-256 digest of the key is kept."""

    name = models.CharField(_("name"), max_length=100, validators=[validate_name])
    digest = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        verbose_name=_("key fingerprint"),
        help_text=_("A one-way fingerprint of the key; the key itself is never stored."),
    )
    hint = models.CharField(
        max_length=16,
        editable=False,
        verbose_name=_("key starts with"),
        help_text=_("The key's first characters, to tell keys apart."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("provisioning token")
        verbose_name_plural = _("provisioning tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"


class ScimUser(models.Model):
    """A person as the identity provider names them. A person without one is served with their
    email as user name; the first write of the provider creates it."""

    person = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="scim", verbose_name=_("person")
    )
    user_name = models.CharField(max_length=254, verbose_name=_("user name in the identity provider"))
    external_id = models.CharField(max_length=254, blank=True, verbose_name=_("ID in the identity provider"))
    given_name = models.CharField(max_length=200, blank=True, verbose_name=_("given name"))
    family_name = models.CharField(max_length=200, blank=True, verbose_name=_("family name"))
    # Deleted by the provider: the person is deactivated and kept (their reviews stay), and the
    # provider no longer sees them; creating them again brings them back.
    deleted = models.BooleanField(default=False, verbose_name=_("deleted in the identity provider"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("last updated at"))

    class Meta:
        verbose_name = _("provisioned person")
        verbose_name_plural = _("provisioned people")
        constraints = [models.UniqueConstraint(Lower("user_name"), name="scim_user_name_unique_any_case")]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(models.Model):
    """A team as the identity provider names it (a SCIM group)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="scim", verbose_name=_("team"))
    external_id = models.CharField(max_length=254, blank=True, verbose_name=_("ID in the identity provider"))
    # Deleted by the provider: the team stays (its objectives and KPI history with it), unseen by
    # the provider; creating a group of the same name brings it back.
    deleted = models.BooleanField(default=False, verbose_name=_("deleted in the identity provider"))

    class Meta:
        verbose_name = _("provisioned team")
        verbose_name_plural = _("provisioned teams")

    def __str__(self) -> str:
        return self.team.name
