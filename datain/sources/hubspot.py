"""HubSpot company owners and their history → ``assignments``; the owner properties named by
``HUBSPOT_ACCOUNT_TEAM_PROPERTIES`` → ``account_team`` (``HubSpot._team_items``).

Reads the CRM API's answers: companies as ``GET /crm/v3/objects/companies?propertiesWithHistory=
hubspot_owner_id`` returns them (``{"results": [{"id", "properties", "propertiesWithHistory":
{"hubspot_owner_id": [{"value", "timestamp", ...}]}}], "paging": ...}``), and the owners as
``GET /crm/v3/owners`` returns them (``{"results": [{"id", "email", ...}]}``). A file holds
``{"companies": <answer or list of answers>, "owners": <answer or list of answers>}``, or only the
companies (then every owner must be in the owner crosswalk).

Each history entry becomes an assignment from the organisation's day of its ``timestamp``; of two on
one day the later holds. An entry whose value is empty (the company left unassigned) cannot be
said in assignments, which always name a CSM: it is skipped, and the previous owner holds. A company
without history gives its current ``hubspot_owner_id`` from its ``createdate``. Owner ids become
emails through the owner crosswalk, then the owners API; an owner who is not a CSM is an error.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from core.said import Said, said
from datain import words as w
from datain.sources.base import (
    Bad,
    Crosswalks,
    Item,
    Mapped,
    Problem,
    Shape,
    Skipped,
    SourceCode,
    SourceNotUsable,
    local_date,
    records_of,
    source_datetime,
)
from datain.validation import RowError

FIELDS = {
    "assignments": {
        "account_external_id": "id",
        "csm_email": "propertiesWithHistory.hubspot_owner_id.value",
        "start_date": "propertiesWithHistory.hubspot_owner_id.timestamp",
    },
    "account_team": {
        "account_external_id": "id",
        "person_email": "propertiesWithHistory.<owner property>.value",
        "role": "<owner property>",
        "start_date": "propertiesWithHistory.<owner property>.timestamp",
        "end_date": "propertiesWithHistory.<owner property>.timestamp",
    },
}
TEAM_ROLES = ("account_executive", "solutions_engineer", "support_lead", "other")


def team_properties() -> dict[str, str]:
    """``HUBSPOT_ACCOUNT_TEAM_PROPERTIES``: owner property -> our role in the account team."""
    out: dict[str, str] = {}
    for pair in str(settings.HUBSPOT_ACCOUNT_TEAM_PROPERTIES or "").split(","):
        name, _sep, role = pair.strip().partition(":")
        if not name.strip():
            continue
        role = role.strip() or "other"
        if role not in TEAM_ROLES:
            raise SourceNotUsable(said(w.NOT_A_TEAM_ROLE, role=role, roles=", ".join(TEAM_ROLES)))
        out[name.strip()] = role
    return out


def companies_and_owners(payload: Any) -> tuple[list[Any], dict[str, str]]:
    if isinstance(payload, dict) and "companies" in payload:
        companies = records_of(payload["companies"], ("results",))
        owner_pages = payload.get("owners")
    else:
        companies = records_of(payload, ("results",))
        owner_pages = None
    emails: dict[str, str] = {}
    if owner_pages is not None:
        for owner in records_of(owner_pages, ("results",)):
            if not isinstance(owner, dict):
                raise Shape(said(w.OWNER_NOT_AN_OBJECT))
            if owner.get("id") is not None and owner.get("email"):
                emails[str(owner["id"])] = str(owner["email"])
    return companies, emails


class HubSpot:
    name = "hubspot"
    title = "HubSpot"
    fields = FIELDS

    def normalise(self, source_id: str) -> str:
        return source_id

    def items(self, kind: str, payload: Any, crosswalks: Crosswalks) -> Iterator[Item | RowError]:
        if kind == "account_team":
            yield from self._team_items(payload, crosswalks)
            return
        companies, emails = companies_and_owners(payload)
        line = 0
        for position, company in enumerate(companies, start=1):
            if not isinstance(company, dict) or company.get("id") in (None, ""):
                line += 1
                yield Problem(
                    line,
                    said(w.L_RECORD, line=position),
                    "id",
                    "",
                    SourceCode.UNEXPECTED_SHAPE,
                    said(w.NOT_A_COMPANY),
                )
                continue
            label = said(w.L_COMPANY, id=company["id"], line=position)
            try:
                entries = self._entries(company)
            except Bad as bad:
                line += 1
                yield Problem(
                    line,
                    label,
                    bad.field,
                    bad.value,
                    bad.code,
                    said(w.FIELD_PROBLEM, field=bad.field, problem=bad.message),
                )
                continue
            by_day: dict[datetime.date, tuple[datetime.datetime, str, int]] = {}
            for at, value, number in entries:
                if not value:
                    yield Skipped(said(w.L_HISTORY_ENTRY, record=label, number=number), w.UNASSIGNED)
                    continue
                day = local_date(at)
                if day not in by_day or at >= by_day[day][0]:
                    by_day[day] = (at, value, number)
            for day in sorted(by_day):
                _at, owner, number = by_day[day]
                line += 1
                where = said(w.L_OWNER_FROM_ENTRY, record=label, owner=owner, number=number)
                email = crosswalks.owner(owner) or emails.get(owner)
                if email is None:
                    yield Problem(
                        line,
                        where,
                        FIELDS["assignments"]["csm_email"],
                        owner,
                        SourceCode.UNKNOWN_OWNER,
                        said(w.NO_EMAIL_FOR_OWNER),
                    )
                    continue
                yield Mapped(
                    line,
                    where,
                    {
                        "account_external_id": crosswalks.account(company["id"]),
                        "csm_email": email,
                        "start_date": day.isoformat(),
                    },
                )

    def _entries(self, company: dict[str, Any]) -> list[tuple[datetime.datetime, str, int]]:
        """(moment, owner id, position in HubSpot's list from 1), oldest first."""
        with_history = company.get("propertiesWithHistory")
        history = with_history.get("hubspot_owner_id") if isinstance(with_history, dict) else None
        entries: list[tuple[datetime.datetime, str, int]] = []
        if history:
            if not isinstance(history, list):
                raise Bad("propertiesWithHistory.hubspot_owner_id", "", said(w.MUST_BE_A_LIST))
            for number, entry in enumerate(history, start=1):
                if not isinstance(entry, dict):
                    raise Bad("propertiesWithHistory.hubspot_owner_id", "", said(w.MUST_HOLD_OBJECTS))
                at = source_datetime(
                    entry.get("timestamp"), "propertiesWithHistory.hubspot_owner_id.timestamp"
                )
                if at is None:
                    raise Bad("propertiesWithHistory.hubspot_owner_id.timestamp", "", said(w.MISSING))
                entries.append((at, str(entry.get("value") or "").strip(), number))
        else:
            properties = company.get("properties")
            properties = properties if isinstance(properties, dict) else {}
            owner = str(properties.get("hubspot_owner_id") or "").strip()
            created = source_datetime(
                properties.get("createdate") or company.get("createdAt"), "properties.createdate"
            )
            if owner and created is not None:
                entries.append((created, owner, 1))
        return sorted(entries, key=lambda e: (e[0], -e[2]))

    def _team_items(self, payload: Any, crosswalks: Crosswalks) -> Iterator[Item | RowError]:
        """Per company and owner property of ``HUBSPOT_ACCOUNT_TEAM_PROPERTIES``: each owner of its
        history holds from the day of its entry until the day before the next entry (an empty value
        ends the spell); without history, the current owner from the company's ``createdate``."""
        try:
            properties = team_properties()
        except SourceNotUsable as exc:
            why = exc.args[0]
            yield RowError(1, "", "", SourceCode.UNSUPPORTED, why if isinstance(why, Said) else str(exc))
            return
        companies, emails = companies_and_owners(payload)
        line = 0
        for position, company in enumerate(companies, start=1):
            if not isinstance(company, dict) or company.get("id") in (None, ""):
                line += 1
                yield Problem(
                    line,
                    said(w.L_RECORD, line=position),
                    "id",
                    "",
                    SourceCode.UNEXPECTED_SHAPE,
                    said(w.NOT_A_COMPANY),
                )
                continue
            label = said(w.L_COMPANY, id=company["id"], line=position)
            for prop, role in properties.items():
                try:
                    entries = _property_entries(company, prop)
                except Bad as bad:
                    line += 1
                    yield Problem(
                        line,
                        label,
                        bad.field,
                        bad.value,
                        bad.code,
                        said(w.FIELD_PROBLEM, field=bad.field, problem=bad.message),
                    )
                    continue
                by_day: dict[datetime.date, tuple[datetime.datetime, str, int]] = {}
                for at, value, number in entries:
                    day = local_date(at)
                    if day not in by_day or at >= by_day[day][0]:
                        by_day[day] = (at, value, number)
                days = sorted(by_day)
                for index, day in enumerate(days):
                    _at, owner, number = by_day[day]
                    if not owner:
                        continue
                    end = days[index + 1] - datetime.timedelta(days=1) if index + 1 < len(days) else None
                    line += 1
                    where = said(
                        w.L_PROPERTY_FROM_ENTRY, record=label, property=prop, owner=owner, number=number
                    )
                    email = crosswalks.owner(owner) or emails.get(owner)
                    if email is None:
                        yield Problem(
                            line,
                            where,
                            f"propertiesWithHistory.{prop}.value",
                            owner,
                            SourceCode.UNKNOWN_OWNER,
                            said(w.NO_EMAIL_FOR_OWNER),
                        )
                        continue
                    yield Mapped(
                        line,
                        where,
                        {
                            "account_external_id": crosswalks.account(company["id"]),
                            "person_email": email,
                            "role": role,
                            "start_date": day.isoformat(),
                            "end_date": end.isoformat() if end is not None else "",
                        },
                    )


def _property_entries(company: dict[str, Any], prop: str) -> list[tuple[datetime.datetime, str, int]]:
    """(moment, owner id or "", position from 1) of one owner property, oldest first."""
    with_history = company.get("propertiesWithHistory")
    history = with_history.get(prop) if isinstance(with_history, dict) else None
    entries: list[tuple[datetime.datetime, str, int]] = []
    if history:
        if not isinstance(history, list):
            raise Bad(f"propertiesWithHistory.{prop}", "", said(w.MUST_BE_A_LIST))
        for number, entry in enumerate(history, start=1):
            if not isinstance(entry, dict):
                raise Bad(f"propertiesWithHistory.{prop}", "", said(w.MUST_HOLD_OBJECTS))
            at = source_datetime(entry.get("timestamp"), f"propertiesWithHistory.{prop}.timestamp")
            if at is None:
                raise Bad(f"propertiesWithHistory.{prop}.timestamp", "", said(w.MISSING))
            entries.append((at, str(entry.get("value") or "").strip(), number))
    else:
        properties = company.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        owner = str(properties.get(prop) or "").strip()
        created = source_datetime(
            properties.get("createdate") or company.get("createdAt"), "properties.createdate"
        )
        if owner and created is not None:
            entries.append((created, owner, 1))
    return sorted(entries, key=lambda e: (e[0], -e[2]))
