"""Pull connectors: read what changed in a source since a cursor, as that source's own JSON, for the
source formats to map (``datain.sources.readers``). Credentials come from the environment
(settings); nothing here writes.

- Zendesk: the incremental ticket export, cursor based (``GET /api/v2/incremental/tickets/
  cursor.json?include=metric_sets``): the cursor is Zendesk's ``after_cursor``.
- Salesforce: SOQL over the REST API (``/services/data/vXX.X/query``, following
  ``nextRecordsUrl``): owner changes of ``AccountHistory`` and the accounts created since the
  cursor (their first owner), and the owners' ``User`` records. The cursor is the latest
  ``CreatedDate`` read; the next sync reads from it again (``>=``: the loads are idempotent).
  With ``SALESFORCE_ACCOUNT_TEAMS`` (the default), also the whole account team
  (``AccountTeamMember`` with ``User.Email``), every sync: Salesforce keeps no history of it.
- HubSpot: every company with ``propertiesWithHistory=hubspot_owner_id`` and the owner properties
  of ``HUBSPOT_ACCOUNT_TEAM_PROPERTIES`` (``GET /crm/v3/objects/companies``, paged by ``after``;
  this endpoint has no "modified since" filter, so each sync pages through all companies and keeps
  those updated since the cursor) and the owners (``GET /crm/v3/owners``, active and archived),
  which turn the owner ids of both kinds into emails. The cursor is the latest ``updatedAt`` kept.

A connector loads its ``kind`` and then each of its ``also`` kinds (``Pull.more``) in one
transaction: one invalid kind, or one failed request, writes nothing of any.
- ChartMogul: ``GET /v1/activities?start-date=...`` paged by ``cursor`` / ``has_more``. The cursor
  is the latest activity ``date`` read; the next sync starts from it again.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.said import said
from datain import words as w
from datain.sources.base import Bad, source_datetime
from datain.sources.http import Http, SourceRefused

# At most this many pages in one sync (a guard against a source that never says "the end").
MAX_PAGES = 10_000


class NotConfigured(Exception):
    """The environment lacks a connector's credentials: names the variables."""


@dataclass
class Pull:
    """What one sync read: the source's JSON (as its API answers), and where the next sync starts."""

    payload: Any
    cursor: str
    pages: int = 0
    records: int = 0
    notes: list[str] = field(default_factory=list)
    # The payloads of the connector's other kinds (``Connector.also``), loaded after ``payload``.
    more: dict[str, Any] = field(default_factory=dict)


def day_start(day: datetime.date) -> datetime.datetime:
    """The first moment of ``day`` in the organisation's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time()), timezone.get_default_timezone()
    )


def first_moment() -> datetime.datetime:
    return day_start(datetime.date(settings.FIRST_YEAR, 1, 1))


class Connector:
    name: str
    title: str
    kind: str
    env: tuple[str, ...]
    # Other kinds the same pull reads (their payloads in ``Pull.more``), when configured.
    also: tuple[str, ...] = ()

    def __init__(self, http: Http | None = None) -> None:
        self.http = http or Http(self.title)

    def missing(self) -> list[str]:
        return [name for name in self.env if not getattr(settings, name, "")]

    def configured(self) -> bool:
        return not self.missing()

    def kinds(self) -> tuple[str, ...]:
        """The kinds one sync loads, in order."""
        return (self.kind, *self.also)

    def check(self) -> None:
        missing = self.missing()
        if missing:
            raise NotConfigured(
                _("%(source)s is not configured: set %(settings)s")
                % {"source": self.title, "settings": ", ".join(missing)}
            )

    def pull(self, cursor: str, since: datetime.date | None) -> Pull:
        raise NotImplementedError

    def _pages(self, first: Callable[[], Any], following: Callable[[Any], Any | None]) -> list[Any]:
        pages = [first()]
        while len(pages) < MAX_PAGES:
            page = following(pages[-1])
            if page is None:
                break
            pages.append(page)
        return pages


class ZendeskConnector(Connector):
    name, title, kind = "zendesk", "Zendesk", "tickets"
    env = ("ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN")

    def pull(self, cursor: str, since: datetime.date | None) -> Pull:
        base = f"https://{settings.ZENDESK_SUBDOMAIN}.zendesk.com/api/v2/incremental/tickets/cursor.json"
        auth = (f"{settings.ZENDESK_EMAIL}/token", settings.ZENDESK_API_TOKEN)

        def get(params: dict[str, Any]) -> Any:
            page = self.http.json("GET", base, params={**params, "include": "metric_sets"}, auth=auth)
            if not isinstance(page, dict):
                raise SourceRefused(said(w.NOT_A_TICKET_PAGE))
            return page

        def first() -> Any:
            if cursor and since is None:
                return get({"cursor": cursor})
            start = day_start(since) if since else first_moment()
            return get({"start_time": int(start.timestamp())})

        def following(page: Any) -> Any | None:
            if page.get("end_of_stream") or not page.get("after_cursor"):
                return None
            return get({"cursor": page["after_cursor"]})

        pages = self._pages(first, following)
        last = next((p["after_cursor"] for p in reversed(pages) if p.get("after_cursor")), None)
        return Pull(
            payload=pages,
            cursor=last or cursor,
            pages=len(pages),
            records=sum(len(p.get("tickets") or []) for p in pages),
        )


class SalesforceConnector(Connector):
    name, title, kind = "salesforce", "Salesforce", "assignments"
    env = ("SALESFORCE_DOMAIN",)

    @property
    def also(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("account_team",) if settings.SALESFORCE_ACCOUNT_TEAMS else ()

    def missing(self) -> list[str]:
        missing = super().missing()
        if not settings.SALESFORCE_ACCESS_TOKEN and not (
            settings.SALESFORCE_CLIENT_ID and settings.SALESFORCE_CLIENT_SECRET
        ):
            # Said in the reader's words: only the settings' names stay as they are.
            missing.append(
                _("%(client_id)s and %(client_secret)s (or %(token)s)")
                % {
                    "client_id": "SALESFORCE_CLIENT_ID",
                    "client_secret": "SALESFORCE_CLIENT_SECRET",
                    "token": "SALESFORCE_ACCESS_TOKEN",
                }
            )
        return missing

    def _session(self) -> tuple[str, dict[str, str]]:
        domain = settings.SALESFORCE_DOMAIN.rstrip("/")
        if settings.SALESFORCE_ACCESS_TOKEN:
            return domain, {"Authorization": f"Bearer {settings.SALESFORCE_ACCESS_TOKEN}"}
        token = self.http.json(
            "POST",
            f"{domain}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": settings.SALESFORCE_CLIENT_ID,
                "client_secret": settings.SALESFORCE_CLIENT_SECRET,
            },
        )
        if not isinstance(token, dict) or not token.get("access_token"):
            raise SourceRefused(said(w.NO_ACCESS_TOKEN))
        return str(token.get("instance_url") or domain).rstrip("/"), {
            "Authorization": f"Bearer {token['access_token']}"
        }

    def _query(self, instance: str, headers: dict[str, str], soql: str) -> list[Any]:
        version = settings.SALESFORCE_API_VERSION

        def first() -> Any:
            return self.http.json(
                "GET", f"{instance}/services/data/v{version}/query", params={"q": soql}, headers=headers
            )

        def following(result: Any) -> Any | None:
            if not isinstance(result, dict) or result.get("done", True) or not result.get("nextRecordsUrl"):
                return None
            return self.http.json("GET", f"{instance}{result['nextRecordsUrl']}", headers=headers)

        return self._pages(first, following)

    def pull(self, cursor: str, since: datetime.date | None) -> Pull:
        instance, headers = self._session()
        start = day_start(since) if since else (source_datetime(cursor, "cursor") if cursor else None)
        where = f" AND CreatedDate >= {_soql_datetime(start)}" if start else ""
        history = self._query(
            instance,
            headers,
            "SELECT Id, AccountId, Field, DataType, OldValue, NewValue, CreatedDate FROM AccountHistory "
            f"WHERE Field = 'Owner'{where} ORDER BY CreatedDate, Id",
        )
        account_where = f" WHERE CreatedDate >= {_soql_datetime(start)}" if start else ""
        accounts = self._query(
            instance,
            headers,
            f"SELECT Id, OwnerId, CreatedDate FROM Account{account_where} ORDER BY CreatedDate, Id",
        )
        owners: set[str] = set()
        latest = start
        for result in history + accounts:
            for record in (result.get("records") or []) if isinstance(result, dict) else []:
                if not isinstance(record, dict):
                    continue
                for key in ("OldValue", "NewValue", "OwnerId"):
                    value = record.get(key)
                    if isinstance(value, str) and value.startswith("005"):
                        owners.add(value)
                at = _moment(record.get("CreatedDate"))
                if at is not None and (latest is None or at > latest):
                    latest = at
        users: list[Any] = []
        ids = sorted(owners)
        for begin in range(0, len(ids), 200):
            quoted = ", ".join(f"'{i}'" for i in ids[begin : begin + 200] if i.isalnum())
            users += self._query(
                instance, headers, f"SELECT Id, Name, Email FROM User WHERE Id IN ({quoted})"
            )
        pages = history + accounts + users
        more: dict[str, Any] = {}
        team: list[Any] = []
        if "account_team" in self.also:
            # The whole team every time: members carry no history, and the load is idempotent.
            team = self._query(
                instance,
                headers,
                "SELECT Id, AccountId, UserId, TeamMemberRole, CreatedDate, User.Email "
                "FROM AccountTeamMember ORDER BY AccountId, Id",
            )
            more["account_team"] = team
        return Pull(
            payload=pages,
            cursor=latest.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if latest else cursor,
            pages=len(pages) + len(team),
            records=sum(len(p.get("records") or []) for p in history + team if isinstance(p, dict)),
            more=more,
        )


class HubSpotConnector(Connector):
    name, title, kind = "hubspot", "HubSpot", "assignments"
    env = ("HUBSPOT_ACCESS_TOKEN",)
    base = "https://api.hubapi.com"

    @property
    def also(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("account_team",) if _team_property_names() else ()

    def _list(self, path: str, params: dict[str, Any]) -> list[Any]:
        headers = {"Authorization": f"Bearer {settings.HUBSPOT_ACCESS_TOKEN}"}

        def first() -> Any:
            return self.http.json("GET", f"{self.base}{path}", params=params, headers=headers)

        def following(page: Any) -> Any | None:
            after = (
                (((page or {}).get("paging") or {}).get("next") or {}).get("after")
                if isinstance(page, dict)
                else None
            )
            if not after:
                return None
            return self.http.json(
                "GET", f"{self.base}{path}", params={**params, "after": after}, headers=headers
            )

        return self._pages(first, following)

    def pull(self, cursor: str, since: datetime.date | None) -> Pull:
        start = day_start(since) if since else (_moment(cursor) if cursor else None)
        owners = self._list("/crm/v3/owners", {"limit": 100, "archived": "false"})
        owners += self._list("/crm/v3/owners", {"limit": 100, "archived": "true"})
        team = _team_property_names()
        pages = self._list(
            "/crm/v3/objects/companies",
            {
                "limit": 50,
                "properties": ",".join(
                    ["name", "hubspot_owner_id", "createdate", "hs_lastmodifieddate", *team]
                ),
                "propertiesWithHistory": ",".join(["hubspot_owner_id", *team]),
                "archived": "false",
            },
        )
        kept: list[Any] = []
        latest = start
        for page in pages:
            for company in (page.get("results") or []) if isinstance(page, dict) else []:
                updated = _moment(company.get("updatedAt")) if isinstance(company, dict) else None
                if start is not None and updated is not None and updated < start:
                    continue
                kept.append(company)
                if updated is not None and (latest is None or updated > latest):
                    latest = updated
        payload = {"companies": {"results": kept}, "owners": owners}
        return Pull(
            payload=payload,
            cursor=latest.astimezone(datetime.UTC).isoformat() if latest else cursor,
            pages=len(pages) + len(owners),
            records=len(kept),
            # The same companies and owners: the reader of account_team reads the team properties.
            more={"account_team": payload} if team else {},
        )


class ChartMogulConnector(Connector):
    name, title, kind = "chartmogul", "ChartMogul", "revenue"
    env = ("CHARTMOGUL_API_KEY",)
    url = "https://api.chartmogul.com/v1/activities"

    def pull(self, cursor: str, since: datetime.date | None) -> Pull:
        auth = (settings.CHARTMOGUL_API_KEY, "")
        start = day_start(since) if since else (_moment(cursor) if cursor else None)
        params: dict[str, Any] = {"per_page": 200}
        if start is not None:
            params["start-date"] = start.astimezone(datetime.UTC).isoformat()

        def first() -> Any:
            return self.http.json("GET", self.url, params=params, auth=auth)

        def following(page: Any) -> Any | None:
            if not isinstance(page, dict) or not page.get("has_more") or not page.get("cursor"):
                return None
            return self.http.json(
                "GET", self.url, params={"per_page": 200, "cursor": page["cursor"]}, auth=auth
            )

        pages = self._pages(first, following)
        latest = start
        records = 0
        for page in pages:
            for activity in (page.get("entries") or []) if isinstance(page, dict) else []:
                records += 1
                at = _moment(activity.get("date")) if isinstance(activity, dict) else None
                if at is not None and (latest is None or at > latest):
                    latest = at
        return Pull(
            payload=pages,
            cursor=latest.astimezone(datetime.UTC).isoformat() if latest else cursor,
            pages=len(pages),
            records=records,
        )


CONNECTORS: dict[str, type[Connector]] = {
    c.name: c for c in (ZendeskConnector, SalesforceConnector, HubSpotConnector, ChartMogulConnector)
}


def _moment(value: Any) -> datetime.datetime | None:
    try:
        return source_datetime(value, "cursor") if isinstance(value, str) and value else None
    except Bad:  # an unreadable timestamp does not move the cursor
        return None


def _team_property_names() -> list[str]:
    """The owner properties of ``HUBSPOT_ACCOUNT_TEAM_PROPERTIES`` (their roles are checked by the
    account_team reader, which refuses the load on a role that is not ours)."""
    names = (
        pair.partition(":")[0].strip()
        for pair in str(settings.HUBSPOT_ACCOUNT_TEAM_PROPERTIES or "").split(",")
    )
    return [name for name in names if name]


def _soql_datetime(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
