"""Teams as SCIM groups. A group's members are the team's CSMs and its manager: a CSM added joins
the team (leaving their previous one), a manager added manages it (the team has one manager), and
HR and admins added are not kept, as they belong to no team (they see every team already).
A deleted group leaves the team, its objectives and its KPI history in place, unseen by the
provider; a group created again with its name brings it back."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from scim2_models import ConflictException, InvalidValueException, Meta, UniquenessException

from accounts.models import Role, Team, User
from scim.models import ScimGroup
from scim.people import location, one_line, people, ref
from scim.schemas import Group, GroupMember


def teams() -> QuerySet[Team]:
    return (
        Team.objects.exclude(scim__deleted=True)
        .select_related("scim", "manager")
        .prefetch_related("members")
        .order_by("pk")
    )


def identity(team: Team) -> ScimGroup | None:
    try:
        return team.scim
    except ScimGroup.DoesNotExist:
        return None


def members(team: Team) -> list[User]:
    found = [m for m in team.members.all() if m.role == Role.CSM]
    if team.manager is not None and team.manager.role == Role.MANAGER:
        found.append(team.manager)
    return sorted({m.pk: m for m in found}.values(), key=lambda m: m.pk)


def to_resource(team: Team, base: str) -> Group:
    scim = identity(team)
    return Group(
        id=str(team.pk),
        external_id=(scim.external_id or None) if scim else None,
        display_name=team.name,
        members=[
            GroupMember(value=str(m.pk), ref=ref(location(base, "Users", m.pk)), type="User")
            for m in members(team)
        ]
        or None,
        meta=Meta(resource_type="Group", location=location(base, "Groups", team.pk)),
    )


def _people_of(resource: Group) -> list[User]:
    ids = [str(m.value) for m in resource.members or [] if m.value]
    wrong = [i for i in ids if not i.isdigit()]
    found = {str(p.pk): p for p in people().filter(pk__in=[int(i) for i in ids if i.isdigit()])}
    missing = wrong + [i for i in ids if i.isdigit() and i not in found]
    if missing:
        raise InvalidValueException(detail=_("members: no person has the id %(id)r.") % {"id": missing[0]})
    return [found[i] for i in dict.fromkeys(ids)]


def write(team: Team | None, resource: Group) -> Team:
    """Creates (``team`` None) or updates a team from ``resource``; its members become exactly the
    resource's (HR and admins left out)."""
    name = (resource.display_name or "").strip()
    if not name:
        raise InvalidValueException(detail=_("displayName is required."))
    wanted = _people_of(resource)
    with transaction.atomic():
        same_name = Team.objects.filter(name__iexact=name)
        if team is None:
            revived = same_name.filter(scim__deleted=True).first()
            team = revived or Team()
        same_name = same_name.exclude(pk=team.pk)
        if same_name.exists():
            raise UniquenessException(
                detail=_("displayName: a team is already named %(name)r.") % {"name": name}
            )
        team.name = name
        try:
            team.full_clean(exclude=["manager"], validate_unique=False)
        except ValidationError as exc:
            raise InvalidValueException(
                detail=_("displayName: %(problem)s") % {"problem": " ".join(exc.messages)}
            ) from exc
        try:
            team.save()
        except IntegrityError as exc:
            raise ConflictException(
                detail=_("The team could not be written: it clashes with another.")
            ) from exc
        _set_members(team, wanted)
        scim = identity(team) or ScimGroup(team=team)
        scim.external_id = one_line("externalId", resource.external_id or "", 254)
        scim.deleted = False
        scim.save()
    return team


def _set_members(team: Team, wanted: list[User]) -> None:
    csms = [p for p in wanted if p.role == Role.CSM]
    managers = [p for p in wanted if p.role == Role.MANAGER]
    User.objects.filter(team=team, role=Role.CSM).exclude(pk__in=[p.pk for p in csms]).update(team=None)
    User.objects.filter(pk__in=[p.pk for p in csms]).update(team=team)
    manager = managers[-1] if managers else None
    if manager is None and team.manager is not None and team.manager.role == Role.MANAGER:
        # The group no longer holds its manager.
        team.manager = None
        team.save(update_fields=["manager"])
    elif manager is not None and team.manager_id != manager.pk:
        team.manager = manager
        team.save(update_fields=["manager"])


def delete(team: Team) -> None:
    with transaction.atomic():
        scim = identity(team) or ScimGroup(team=team)
        scim.deleted = True
        scim.save()
