"""Salesforce Account owners and their history (``AccountHistory``) → ``assignments``, and the
account teams (``AccountTeamMember``) → ``account_team`` (``Salesforce._team_items``).

Reads SOQL query results as the REST API answers them (``{"totalSize", "done", "records": [...]}``),
one or a list of them, whose records are told apart by ``attributes.type``:

- ``Account`` records (``Id``, ``OwnerId``, ``CreatedDate``), optionally with their history as the
  nested query ``Histories`` (``SELECT Id, OwnerId, CreatedDate, (SELECT AccountId, Field,
  DataType, OldValue, NewValue, CreatedDate FROM Histories WHERE Field = 'Owner') FROM Account``);
- ``AccountHistory`` records on their own (the same fields);
- ``User`` records (``Id``, ``Email``, ``Name``): an owner's email when the owner crosswalk has none.

An owner change writes two history rows at the same moment: one with the owners' ids
(``DataType`` ``EntityId``) and one with their names (``Text``). The ids are used; the names only
name the owner in errors. Each change becomes an assignment from the organisation's day of its
``CreatedDate``; of two changes on one day the later holds (assignments are by day). An account's
first owner (the ``OldValue`` of its first change, or ``OwnerId`` when it never changed) holds from
our account's ``signed_on`` when the account is loaded and signed before the first change, else
from the Account's ``CreatedDate``. Owners are found through the owner crosswalk, then the ``User``
records; an owner with neither, or who is not a CSM, is an error of that row, never guessed.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from accounts.models import CustomerAccount
from core.said import Said, said
from datain import words as w
from datain.sources.base import (
    Bad,
    Crosswalks,
    Item,
    Mapped,
    Problem,
    Skipped,
    SourceCode,
    local_date,
    not_a_record,
    records_of,
    source_datetime,
)

FIELDS = {
    "assignments": {
        "account_external_id": "AccountId",
        "csm_email": "NewValue",
        "start_date": "CreatedDate",
    },
    "account_team": {
        "account_external_id": "AccountId",
        "person_email": "UserId",
        "role": "TeamMemberRole",
        "start_date": "CreatedDate",
    },
}
# ``TeamMemberRole`` is a picklist each organisation edits: its standard values and the usual
# additions, in our roles (docs/data-contract.md); any other value is ``other``.
TEAM_ROLES = {
    "account executive": "account_executive",
    "account manager": "account_executive",
    "sales rep": "account_executive",
    "pre-sales consultant": "solutions_engineer",
    "technical sales": "solutions_engineer",
    "sales engineer": "solutions_engineer",
    "solutions engineer": "solutions_engineer",
    "solution engineer": "solutions_engineer",
    "support lead": "support_lead",
    "support manager": "support_lead",
    "technical account manager": "support_lead",
}
OWNER_FIELDS = {"Owner", "OwnerId", "ownerAssignment"}
_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")


def short_id(source_id: str) -> str:
    """Salesforce ids come with 15 or 18 characters; the first 15 are the id."""
    text = str(source_id).strip()
    return text[:15] if _ID.match(text) else text


@dataclass
class Change:
    line: int
    account: str
    at: datetime.datetime
    old: str | None
    new: str | None
    new_name: str
    history_id: str
    raw_at: str


class Salesforce:
    name = "salesforce"
    title = "Salesforce"
    fields = FIELDS

    def normalise(self, source_id: str) -> str:
        return short_id(source_id)

    def items(self, kind: str, payload: Any, crosswalks: Crosswalks) -> Iterator[Item]:
        if kind == "account_team":
            yield from self._team_items(payload, crosswalks)
            return
        yield from self._assignment_items(payload, crosswalks)

    def _team_items(self, payload: Any, crosswalks: Crosswalks) -> Iterator[Item]:
        """``AccountTeamMember`` records (``AccountId, UserId, TeamMemberRole, CreatedDate``, with
        ``User.Email`` when the query names it) and ``User`` records: one member each, from the
        organisation's day of ``CreatedDate``, current (Salesforce deletes a member who leaves the
        team). Deleted records (``IsDeleted``, read with queryAll) are skipped."""
        members: list[tuple[int, dict[str, Any]]] = []
        emails: dict[str, str] = {}
        line = 0
        for record in _records(payload):
            line += 1
            if not isinstance(record, dict):
                yield not_a_record(line)
                continue
            attributes = record.get("attributes")
            kind_of = attributes.get("type") if isinstance(attributes, dict) else None
            if kind_of == "User" or (kind_of is None and "Email" in record and "UserId" not in record):
                if record.get("Id") and record.get("Email"):
                    emails[short_id(record["Id"])] = str(record["Email"])
            else:
                members.append((line, record))
        for line, member in members:
            label = said(
                w.L_TEAM_MEMBER, id=member.get("Id") or "", account=member.get("AccountId"), line=line
            )
            if member.get("IsDeleted") is True:
                yield Skipped(label, w.DELETED_MEMBERS)
                continue
            for required in ("AccountId", "UserId"):
                if not member.get(required):
                    yield Problem(
                        line,
                        label,
                        required,
                        "",
                        SourceCode.UNEXPECTED_SHAPE,
                        said(w.FIELD_MISSING, field=required),
                    )
                    break
            else:
                try:
                    created = source_datetime(member.get("CreatedDate"), "CreatedDate")
                except Bad as bad:
                    yield Problem(
                        line,
                        label,
                        bad.field,
                        bad.value,
                        bad.code,
                        said(w.FIELD_PROBLEM, field=bad.field, problem=bad.message),
                    )
                    continue
                if created is None:
                    yield Problem(
                        line,
                        label,
                        "CreatedDate",
                        "",
                        SourceCode.UNEXPECTED_SHAPE,
                        said(w.FIELD_MISSING, field="CreatedDate"),
                    )
                    continue
                user_id = str(member["UserId"])
                nested = member.get("User")
                email = (
                    crosswalks.owner(user_id)
                    or (str(nested["Email"]) if isinstance(nested, dict) and nested.get("Email") else None)
                    or emails.get(short_id(user_id))
                )
                if email is None:
                    yield Problem(
                        line,
                        label,
                        "UserId",
                        user_id,
                        SourceCode.UNKNOWN_OWNER,
                        said(w.NO_EMAIL_FOR_USER, user=user_id),
                    )
                    continue
                role = str(member.get("TeamMemberRole") or "").strip()
                yield Mapped(
                    line,
                    label,
                    {
                        "account_external_id": crosswalks.account(member["AccountId"]),
                        "person_email": email,
                        "role": TEAM_ROLES.get(role.lower(), "other"),
                        "start_date": local_date(created).isoformat(),
                        "end_date": "",
                    },
                )

    def _assignment_items(self, payload: Any, crosswalks: Crosswalks) -> Iterator[Item]:
        results = (
            payload
            if isinstance(payload, list)
            and payload
            and isinstance(payload[0], dict)
            and "records" in payload[0]
            else [payload]
        )
        accounts: list[tuple[int, dict[str, Any]]] = []
        history: list[tuple[int, dict[str, Any]]] = []
        emails: dict[str, str] = {}
        line = 0
        for result in results:
            for record in records_of(result, ("records",)):
                line += 1
                if not isinstance(record, dict):
                    yield not_a_record(line)
                    continue
                attributes = record.get("attributes")
                kind_of = attributes.get("type") if isinstance(attributes, dict) else None
                if kind_of == "User" or (kind_of is None and "Email" in record):
                    if record.get("Id") and record.get("Email"):
                        emails[short_id(record["Id"])] = str(record["Email"])
                elif kind_of == "AccountHistory" or (kind_of is None and "Field" in record):
                    history.append((line, record))
                else:
                    accounts.append((line, record))
                    nested = record.get("Histories")
                    children = nested.get("records") if isinstance(nested, dict) else None
                    if isinstance(children, list):
                        for child in children:
                            line += 1
                            row = (
                                {"AccountId": record.get("Id"), **child} if isinstance(child, dict) else child
                            )
                            history.append((line, row))

        changes: dict[str, list[Change]] = defaultdict(list)
        text_rows: dict[tuple[str, str], str] = {}  # (account, CreatedDate) -> the new owner's name
        for line, row in history:
            if not isinstance(row, dict):
                yield not_a_record(line)
                continue
            if not isinstance(row.get("Field"), str) or row["Field"] not in OWNER_FIELDS:
                continue
            label = said(w.L_ACCOUNT_HISTORY, id=row.get("Id") or "", account=row.get("AccountId"), line=line)
            if not row.get("AccountId"):
                yield Problem(
                    line,
                    label,
                    "AccountId",
                    "",
                    SourceCode.UNEXPECTED_SHAPE,
                    said(w.FIELD_MISSING, field="AccountId"),
                )
                continue
            if not self._is_id_row(row):
                text_rows[(short_id(row["AccountId"]), str(row.get("CreatedDate")))] = str(
                    row.get("NewValue") or ""
                )
                continue
            try:
                at = source_datetime(row.get("CreatedDate"), "CreatedDate")
            except Bad as bad:
                yield Problem(
                    line,
                    label,
                    bad.field,
                    bad.value,
                    bad.code,
                    said(w.FIELD_PROBLEM, field=bad.field, problem=bad.message),
                )
                continue
            if at is None:
                yield Problem(
                    line,
                    label,
                    "CreatedDate",
                    "",
                    SourceCode.UNEXPECTED_SHAPE,
                    said(w.FIELD_MISSING, field="CreatedDate"),
                )
                continue
            changes[short_id(row["AccountId"])].append(
                Change(
                    line,
                    str(row["AccountId"]),
                    at,
                    _value(row.get("OldValue")),
                    _value(row.get("NewValue")),
                    "",
                    str(row.get("Id") or ""),
                    str(row.get("CreatedDate")),
                )
            )
        for account_changes in changes.values():
            for change in account_changes:
                change.new_name = text_rows.get((short_id(change.account), change.raw_at), "")

        signed = self._signed_on(
            crosswalks, [r.get("Id") for _, r in accounts] + [c[0].account for c in changes.values()]
        )
        # Accounts first (their first owner), then the changes, ordered by moment; a day keeps its last.
        rows: dict[tuple[str, datetime.date], tuple[int, str, str, str, Said]] = {}
        for line, account in accounts:
            label = said(w.L_SF_ACCOUNT, id=account.get("Id"), line=line)
            if not account.get("Id"):
                yield Problem(
                    line, label, "Id", "", SourceCode.UNEXPECTED_SHAPE, said(w.FIELD_MISSING, field="Id")
                )
                continue
            key_id = short_id(account["Id"])
            own = sorted(changes.get(key_id, []), key=lambda c: (c.at, c.history_id))
            first_owner = own[0].old if own else _value(account.get("OwnerId"))
            if not first_owner:
                continue
            try:
                created = source_datetime(account.get("CreatedDate"), "CreatedDate")
            except Bad as bad:
                yield Problem(
                    line,
                    label,
                    bad.field,
                    bad.value,
                    bad.code,
                    said(w.FIELD_PROBLEM, field=bad.field, problem=bad.message),
                )
                continue
            start = local_date(created) if created is not None else None
            ours = signed.get(key_id)
            if ours is not None and (not own or ours <= local_date(own[0].at)):
                start = ours
            if start is None:
                yield Problem(
                    line,
                    label,
                    "CreatedDate",
                    "",
                    SourceCode.UNEXPECTED_SHAPE,
                    said(w.FIELD_MISSING, field="CreatedDate"),
                )
                continue
            field = "OldValue" if own else "OwnerId"
            rows[(key_id, start)] = (
                line,
                str(account["Id"]),
                first_owner,
                field,
                said(w.L_FIRST_OWNER, record=label),
            )
        for account_changes in changes.values():
            for change in sorted(account_changes, key=lambda c: (c.at, c.history_id)):
                if not change.new:
                    continue
                key = (short_id(change.account), local_date(change.at))
                who = f"{change.new} ({change.new_name})" if change.new_name else change.new
                rows[key] = (
                    change.line,
                    change.account,
                    change.new,
                    "NewValue",
                    said(
                        w.L_HISTORY_CHANGE,
                        id=change.history_id,
                        account=change.account,
                        line=change.line,
                        owner=who,
                    ),
                )
        for key, (line, account_id, owner, field, label) in rows.items():
            email = crosswalks.owner(owner) or emails.get(short_id(owner))
            if email is None:
                yield Problem(
                    line,
                    label,
                    field,
                    owner,
                    SourceCode.UNKNOWN_OWNER,
                    said(w.NO_EMAIL_FOR_OWNER_ID, owner=owner),
                )
                continue
            yield Mapped(
                line,
                label,
                {
                    "account_external_id": crosswalks.account(account_id),
                    "csm_email": email,
                    "start_date": key[1].isoformat(),
                },
            )

    def _is_id_row(self, row: dict[str, Any]) -> bool:
        data_type = row.get("DataType")
        if data_type is not None:
            return data_type in ("EntityId", "Reference", "Id")
        values = [v for v in (row.get("OldValue"), row.get("NewValue")) if v]
        return bool(values) and all(isinstance(v, str) and _ID.match(v) for v in values)

    def _signed_on(self, crosswalks: Crosswalks, source_ids: list[Any]) -> dict[str, datetime.date]:
        """Our accounts' signed_on by the Salesforce id (short form), for the first owners."""
        ours = {crosswalks.account(sid): short_id(sid) for sid in source_ids if sid}
        found: dict[str, datetime.date] = {}
        keys = list(ours)
        for start in range(0, len(keys), 2000):
            for ext, day in CustomerAccount.objects.filter(
                external_id__in=keys[start : start + 2000]
            ).values_list("external_id", "signed_on"):
                found[ours[ext]] = day
        return found


def _records(payload: Any) -> list[Any]:
    """The records of one query result or of a list of them (several queries saved together)."""
    results = (
        payload
        if isinstance(payload, list) and payload and isinstance(payload[0], dict) and "records" in payload[0]
        else [payload]
    )
    out: list[Any] = []
    for result in results:
        out.extend(records_of(result, ("records",)))
    return out


def _value(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)
