"""SCIM filters (RFC 7644 §3.4.2.2), parsed by scim2-models, as database queries.

Only the attributes the service keeps can be filtered on; strings compare in any letter case
except ``externalId`` and ids (caseExact). ``userName eq "…"`` finds a person by the user name the
provider gave, or, for a person it never wrote, by their email."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from django.utils.translation import gettext as _
from scim2_models import InvalidFilterException
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from scim.schemas import ENTERPRISE_URN, GROUP_URN, USER_URN

NOTHING = Q(pk__in=[])
Field = Callable[[CompareOperator | None, object], Q]


def _text(field: str, case_exact: bool = False) -> Field:
    def compare(op: CompareOperator | None, value: object) -> Q:
        if op is None:  # present
            return ~Q(**{field: ""}) & Q(**{f"{field}__isnull": False})
        if not isinstance(value, str):
            raise InvalidFilterException(detail=_("%(value)r is not a string.") % {"value": value})
        if "\x00" in value:  # no stored text holds it (and the database refuses it)
            return ~Q() if op == CompareOperator.ne else NOTHING
        i = "" if case_exact else "i"
        lookups = {
            CompareOperator.eq: f"{i}exact",
            CompareOperator.ne: f"{i}exact",
            CompareOperator.co: f"{i}contains",
            CompareOperator.sw: f"{i}startswith",
            CompareOperator.ew: f"{i}endswith",
            CompareOperator.gt: "gt",
            CompareOperator.ge: "gte",
            CompareOperator.lt: "lt",
            CompareOperator.le: "lte",
        }
        q = Q(**{f"{field}__{lookups[op]}": value})
        return ~q if op == CompareOperator.ne else q

    return compare


def _id(field: str) -> Field:
    def compare(op: CompareOperator | None, value: object) -> Q:
        if op is None:
            return Q()
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail=_("ids compare with eq and ne only."))
        q = Q(**{field: int(str(value))}) if str(value).isdigit() else NOTHING
        return ~q if op == CompareOperator.ne else q

    return compare


def _bool(field: str) -> Field:
    def compare(op: CompareOperator | None, value: object) -> Q:
        if op is None:
            return Q()
        if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, bool):
            raise InvalidFilterException(detail=_("active compares with eq or ne and true or false."))
        return Q(**{field: value if op == CompareOperator.eq else not value})

    return compare


def _user_name(op: CompareOperator | None, value: object) -> Q:
    named = _text("scim__user_name")(op, value)
    unnamed = Q(scim__isnull=True) & _text("email")(op, value)
    if op == CompareOperator.ne:
        return (Q(scim__isnull=False) & named) | unnamed
    return (Q(scim__isnull=False) & named) | unnamed


def _work(op: CompareOperator | None, value: object) -> Q:
    """emails.type: every person's one email is their work email."""
    matches = op is None or (op == CompareOperator.eq and str(value).lower() == "work")
    return Q() if matches else NOTHING


USER_FIELDS: dict[str, Field] = {
    "id": _id("pk"),
    "username": _user_name,
    "externalid": _text("scim__external_id", case_exact=True),
    "emails": _text("email"),
    "emails.value": _text("email"),
    "emails.type": _work,
    "active": _bool("is_active"),
    "displayname": _text("name"),
    "name.formatted": _text("name"),
    "name.givenname": _text("scim__given_name"),
    "name.familyname": _text("scim__family_name"),
    "roles": _text("role"),
    "roles.value": _text("role"),
    f"{ENTERPRISE_URN}:department".lower(): _text("team__name"),
}

GROUP_FIELDS: dict[str, Field] = {
    "id": _id("pk"),
    "displayname": _text("name"),
    "externalid": _text("scim__external_id", case_exact=True),
    "members": lambda op, value: _id("members__pk")(op, value) | _id("manager__pk")(op, value),
    "members.value": lambda op, value: _id("members__pk")(op, value) | _id("manager__pk")(op, value),
}


def to_q(node: FilterNode, fields: dict[str, Field], core: str, prefix: str = "") -> Q:
    """The query of a filter's syntax tree over the attributes ``fields`` names."""
    if isinstance(node, LogicalExpr):
        queries = [to_q(term, fields, core, prefix) for term in node.terms]
        result = queries[0]
        for q in queries[1:]:
            result = (result & q) if node.op == LogicalOperator.and_ else (result | q)
        return result
    if isinstance(node, Not):
        return ~to_q(node.expr, fields, core, prefix)
    if isinstance(node, ValuePath):
        return to_q(node.val_filter, fields, core, f"{_name(node.attr_path, core)}.")
    if isinstance(node, Comparison | Present):
        name = prefix + _name(node.attr_path, core)
        field = fields.get(name)
        if field is None:
            raise InvalidFilterException(
                detail=_("%(attribute)s cannot be filtered on here.") % {"attribute": node.attr_path}
            )
        if isinstance(node, Present):
            return field(None, None)
        return field(node.op, node.value)
    raise InvalidFilterException(detail=_("This filter is not supported here."))


def _name(attr_path: object, core: str) -> str:
    uri = getattr(attr_path, "uri", None)
    names = ".".join(part for part in (attr_path.attr, attr_path.sub_attr) if part)  # type: ignore[attr-defined]
    if uri and str(uri).lower() != core.lower():
        return f"{uri}:{names}".lower()
    return names.lower()


USER_CORE = USER_URN
GROUP_CORE = GROUP_URN
