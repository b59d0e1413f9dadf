"""People as SCIM users: how a person is shown to the identity provider, and how what the provider
sends places them (docs/scim.md, "What the provider's attributes do").

- ``userName`` is kept as the provider sent it; a person it never wrote is shown with their email.
- ``emails``: the primary one (else the work one, else the first) is the person's email, the
  address they sign in with.
- ``active: false`` deactivates the person at once: their sessions end, their API tokens are
  deleted, and single sign-on refuses them.
- ``roles``: the primary value (else the first) is the role: csm, manager, hr or admin; a person
  created without one is a CSM.
- ``department`` (enterprise extension): a CSM's team, or the team a manager manages; a team of
  that name is created when none exists. HR and admins belong to no team.
- ``division``: a CSM's segment (SMB, Mid-Market, Enterprise); a CSM who never got one is SMB
  (settings.SCIM_DEFAULT_SEGMENT).
- ``manager``: the manager of a CSM's team; a CSM without a team joins the team that person manages.

An attribute a replacement (PUT) leaves out that places the person in the organisation (roles,
department, division, manager) is kept as it is, so that a provider that does not send them leaves
the product's own placement alone.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from scim2_models import ConflictException, InvalidValueException, Meta, UniquenessException

from accounts.models import PERSON_ROLES, ApiToken, Role, Segment, Team, User, normalize_email
from core.text import name_problem
from scim.models import ScimUser
from scim.schemas import (
    SEGMENT_DIVISIONS,
    Email,
    EnterpriseUser,
    GroupMembership,
    Manager,
    Name,
    PersonResource,
    RoleValue,
)

log = logging.getLogger("csm.scim")

ROLE_WORDS = {
    **{str(role): role for role in PERSON_ROLES},
    **{str(role.label).lower(): role for role in PERSON_ROLES},
    "customer success manager": Role.CSM,
    "administrator": Role.ADMIN,
}


def _word(value: str) -> str:
    return re.sub(r"[\s_-]+", " ", value.strip().lower())


SEGMENT_WORDS = {
    **{_word(segment): segment for segment in Segment.values},
    **{_word(label): segment for segment, label in SEGMENT_DIVISIONS.items()},
    "midmarket": Segment.MID_MARKET,
}


def people() -> QuerySet[User]:
    """The people the provider sees: every person (integrations are not people) it has not deleted."""
    return (
        User.objects.filter(role__in=PERSON_ROLES)
        .exclude(scim__deleted=True)
        .select_related("scim", "team", "team__manager")
        .prefetch_related("managed_teams")
        .order_by("pk")
    )


def identity(person: User) -> ScimUser | None:
    try:
        return person.scim
    except ScimUser.DoesNotExist:
        return None


def location(base: str, kind: str, pk: int) -> str:
    return f"{base}/{kind}/{pk}"


def ref(url: str) -> Any:
    """A reference attribute's value: the URL (scim2-models validates it as a Reference)."""
    return url


def _teams_of(person: User) -> list[Team]:
    if person.role == Role.CSM:
        return [person.team] if person.team else []
    if person.role == Role.MANAGER:
        return sorted(person.managed_teams.all(), key=lambda team: team.name)
    return []


def to_resource(person: User, base: str) -> Any:
    """The SCIM user of ``person`` (``base``: the absolute URL of /scim/v2, for the references)."""
    scim = identity(person)
    teams = _teams_of(person)
    team = teams[0] if teams else None
    manager = team.manager if (team and person.role == Role.CSM) else None
    resource = PersonResource(
        id=str(person.pk),
        external_id=(scim.external_id or None) if scim else None,
        user_name=scim.user_name if scim else person.email,
        name=Name(
            formatted=person.name or None,
            given_name=(scim.given_name or None) if scim else None,
            family_name=(scim.family_name or None) if scim else None,
        ),
        display_name=person.name or None,
        active=person.is_active,
        emails=[Email(value=person.email, type="work", primary=True)],
        roles=[RoleValue(value=person.role, primary=True)],
        groups=[
            GroupMembership(value=str(t.pk), ref=ref(location(base, "Groups", t.pk)), display=t.name)
            for t in teams
        ]
        or None,
        meta=Meta(
            resource_type="User",
            created=person.date_joined,
            last_modified=scim.updated_at if scim else person.date_joined,
            location=location(base, "Users", person.pk),
        ),
    )
    enterprise = EnterpriseUser(
        division=SEGMENT_DIVISIONS.get(Segment(person.segment)) if person.segment else None,
        department=team.name if team else None,
        manager=Manager(value=str(manager.pk), ref=ref(location(base, "Users", manager.pk)))
        if manager
        else None,
    )
    if enterprise.division or enterprise.department or enterprise.manager:
        resource[EnterpriseUser] = enterprise
    return resource


def _primary(values: list[Any] | None) -> Any:
    values = [v for v in values or [] if v is not None and v.value]
    for wanted in (
        lambda v: getattr(v, "primary", None),
        lambda v: str(getattr(v, "type", None) or "").lower() == "work",
        lambda v: True,
    ):
        for value in values:
            if wanted(value):
                return value
    return None


def _role(resource: Any) -> Role | None:
    chosen = _primary(resource.roles)
    if chosen is None:
        return None
    role = ROLE_WORDS.get(str(chosen.value).strip().lower())
    if role is None:
        raise InvalidValueException(
            detail=_("roles: %(value)r is no role here; send one of csm, manager, hr, admin.")
            % {"value": chosen.value}
        )
    return Role(role)


def _segment(division: str | None) -> str | None:
    if not division:
        return None
    segment = SEGMENT_WORDS.get(_word(division))
    if segment is None:
        raise InvalidValueException(
            detail=_("division: %(value)r is no segment here; send SMB, Mid-Market or Enterprise.")
            % {"value": division}
        )
    return segment


def _names(resource: Any) -> tuple[str, str, str]:
    name = resource.name or Name()
    given = " ".join(part for part in (name.given_name, name.family_name) if part)
    return (resource.display_name or "").strip(), (name.formatted or "").strip(), given.strip()


def _name(resource: Any, before: Any | None, person_name: str) -> str:
    """The person's one name: displayName, else name.formatted, else given and family names. After
    a PATCH, the one of them that changed (the others still hold the old name)."""
    after = _names(resource)
    if before is not None:
        changed = [new for new, old in zip(after, _names(before), strict=True) if new != old]
        return changed[0] if changed else person_name
    return next((name for name in after if name), person_name)


def _team_named(name: str) -> Team:
    name = name.strip()
    team = Team.objects.filter(name__iexact=name).order_by("pk").first()
    if team is None:
        team = Team(name=name)
        _validate(team, "department")
        team.save()
    return team


# The SCIM attribute a field of the product is written from, to name it in an error.
ATTRIBUTES = {"name": "displayName", "email": "emails", "segment": "division"}


def _validate(obj: Any, attribute: str, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        problems = "; ".join(
            f"{ATTRIBUTES.get(field, field)}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
        )
        # The problems are the validators' words, translated there; the attribute is the schema's.
        raise InvalidValueException(
            detail=problems if attribute == "user" else f"{attribute}: {problems}"
        ) from exc


def one_line(attribute: str, value: str, max_length: int) -> str:
    """``value`` when it can be kept: one line of text of at most ``max_length`` characters."""
    if problem := name_problem(value):
        raise InvalidValueException(detail=f"{attribute}: {problem}")
    if len(value) > max_length:
        raise InvalidValueException(
            detail=_("%(attribute)s: at most %(count)s characters.")
            % {"attribute": attribute, "count": max_length}
        )
    return value


def _manager_person(manager: Any) -> User | None:
    if manager is None or not manager.value:
        return None
    found = people().filter(pk=int(manager.value)).first() if str(manager.value).isdigit() else None
    if found is None:
        raise InvalidValueException(detail=_("manager: no person has the id %(id)r.") % {"id": manager.value})
    return found


def write(
    person: User | None, resource: Any, *, given: set[str] | None = None, before: Any | None = None
) -> User:
    """Creates (``person`` None) or updates a person from ``resource``.

    ``given``: the placing attributes the request named (a PUT's keys); those it leaves out are
    kept. None: every attribute counts (a creation, or a PATCH applied to the current resource,
    ``before``).
    Raises a SCIM exception (nothing written) when the resource cannot be a person.
    """
    creating = person is None
    chosen = _primary(resource.emails)
    if chosen is None:
        raise InvalidValueException(detail=_("emails: a person needs an email address to sign in with."))
    email = normalize_email(str(chosen.value))
    user_name = one_line("userName", (resource.user_name or "").strip(), 254)
    if not user_name:
        raise InvalidValueException(detail=_("userName is required."))
    enterprise = resource[EnterpriseUser] or EnterpriseUser()

    def sent(attribute: str) -> bool:
        return given is None or attribute in given

    with transaction.atomic():
        scim = identity(person) if person is not None else None
        clash = ScimUser.objects.filter(user_name__iexact=user_name)
        others = User.objects.filter(email=email)
        if person is not None:
            clash = clash.exclude(person=person)
            others = others.exclude(pk=person.pk)
        revived = None
        if creating:
            # A person the provider deleted comes back when it creates them again.
            revived = others.filter(scim__deleted=True).first() or (
                User.objects.filter(scim__deleted=True, scim__user_name__iexact=user_name).first()
            )
            if revived is not None:
                person, scim = revived, identity(revived)
                clash = clash.exclude(person=revived)
                others = others.exclude(pk=revived.pk)
        if (
            clash.exists()
            or User.objects.filter(scim__isnull=True, email=user_name.lower())
            .exclude(pk=getattr(person, "pk", None))
            .exists()
        ):
            raise UniquenessException(
                detail=_("userName %(name)r is already a person's.") % {"name": user_name}
            )
        if others.exists():
            raise UniquenessException(detail=_("emails: %(email)s is already a person's.") % {"email": email})

        if person is None:
            person = User(email=email, role=Role.CSM)
            person.set_unusable_password()
        was_active = person.is_active if not creating or revived else True
        person.email = email
        person.name = _name(resource, before, person.name)
        if resource.active is not None:
            person.is_active = resource.active
        elif creating:
            person.is_active = True

        role = _role(resource) if sent("roles") else None
        if role is not None:
            person.role = role
            person.is_staff = role == Role.ADMIN or person.is_superuser
        _place(person, enterprise, sent, creating=creating)
        _validate(person, "user", exclude=["password", "team"])
        try:
            person.save()
        except IntegrityError as exc:
            raise ConflictException(
                detail=_("The person could not be written: it clashes with another.")
            ) from exc
        _after_place(person, enterprise, sent)
        if was_active and not person.is_active:
            # Their read tokens end with them (a later reactivation does not revive them).
            ApiToken.objects.filter(person=person).delete()
            log.info("%s deactivated by the identity provider", person.email)

        scim = scim or ScimUser(person=person)
        scim.user_name = user_name
        scim.external_id = one_line("externalId", resource.external_id or "", 254)
        names = resource.name or Name()
        scim.given_name = one_line("name.givenName", names.given_name or "", 200)
        scim.family_name = one_line("name.familyName", names.family_name or "", 200)
        scim.deleted = False
        scim.updated_at = timezone.now()
        scim.save()
    return person


def _place(person: User, enterprise: EnterpriseUser, sent: Any, *, creating: bool) -> None:
    """Team and segment, which the person's row carries (the manager's team is written after)."""
    if person.role != Role.CSM:
        person.segment = ""
        person.team = None
        return
    if sent("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"):
        segment = _segment(enterprise.division)
        if segment is not None:
            person.segment = segment
        if enterprise.department:
            person.team = _team_named(enterprise.department)
        elif not creating and sent("department"):
            person.team = None
        manager = _manager_person(enterprise.manager)
        if manager is not None and person.team is None:
            person.team = manager.managed_teams.order_by("name").first()
    if not person.segment:
        person.segment = settings.SCIM_DEFAULT_SEGMENT


def _after_place(person: User, enterprise: EnterpriseUser, sent: Any) -> None:
    """What lives on the team: a manager's team, and the manager of a CSM's team."""
    if not sent("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"):
        return
    if person.role == Role.MANAGER and enterprise.department:
        team = _team_named(enterprise.department)
        if team.manager_id != person.pk:
            team.manager = person
            team.save(update_fields=["manager"])
        Team.objects.filter(manager=person).exclude(pk=team.pk).update(manager=None)
    elif person.role == Role.MANAGER and sent("department"):
        Team.objects.filter(manager=person).update(manager=None)
    manager = _manager_person(enterprise.manager)
    theirs = person.team
    if (
        person.role == Role.CSM
        and manager is not None
        and theirs is not None
        and theirs.manager_id != manager.pk
    ):
        theirs.manager = manager
        theirs.save(update_fields=["manager"])


def delete(person: User) -> None:
    """The provider deleted the person: they are deactivated and hidden from it; their reviews and
    history stay."""
    with transaction.atomic():
        if person.is_active:
            person.is_active = False
            person.save()
            ApiToken.objects.filter(person=person).delete()
            log.info("%s deactivated by the identity provider (deleted)", person.email)
        scim = identity(person) or ScimUser(person=person, user_name=person.email)
        scim.deleted = True
        scim.updated_at = timezone.now()
        scim.save()


def placing_keys(payload: dict[str, Any]) -> set[str]:
    """The placing attributes a PUT body names (any letter case), for ``write(given=...)``."""
    keys = {key.lower() for key in payload}
    given = set()
    if "roles" in keys:
        given.add("roles")
    for key, value in payload.items():
        if key.lower() == "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user" and isinstance(
            value, dict
        ):
            given.add("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
            given.update(k for k in value if k in {"department", "division", "manager"})
    return given
