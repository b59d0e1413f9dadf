"""One validator per input kind (docs/data-contract.md), shared by the command, the upload page and the API.

Each kind is defined once, in the module of its subject (``facts``, ``people``, ``crosswalks``): its
columns (name, parser, whether required, the model field it is stored in), its key, its rules. Every
list of a kind's columns (the import, the export, the upload page's help, the data contract's test) is
read from that definition. ``base`` holds what they are made of, ``merge`` how a batch is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.text import capfirst
from django.utils.translation import gettext

from accounts.models import CustomerAccount, User
from core.said import says
from datain.kinds.base import Context, Counts, FactKind, Kind, Row
from datain.kinds.crosswalks import SourceAccountsKind, SourceOwnersKind
from datain.kinds.facts import (
    AdvocacyEventsKind,
    HealthKind,
    RevenueEventsKind,
    SurveysKind,
    TicketsKind,
    TouchpointsKind,
    UsageKind,
)
from datain.kinds.people import AccountsKind, AccountTeamKind, AssignmentsKind, PeopleKind
from datain.words import SYNC_INVALID_OF_KIND

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = ["KINDS", "LOAD_ORDER", "Context", "Counts", "FactKind", "Kind", "Row", "kind_for", "kind_label"]


KINDS: dict[str, type[Kind]] = {
    k.name: k
    for k in (
        PeopleKind,
        AccountsKind,
        AssignmentsKind,
        RevenueEventsKind,
        TicketsKind,
        SurveysKind,
        UsageKind,
        HealthKind,
        AdvocacyEventsKind,
        TouchpointsKind,
        SourceAccountsKind,
        SourceOwnersKind,
        AccountTeamKind,
    )
}
# The load order of references: people -> accounts -> assignments -> the rest.
LOAD_ORDER = tuple(KINDS)


def kind_for(name: str) -> Kind:
    return KINDS[name]()


def kind_label(name: str) -> StrOrPromise:
    """A kind of data as the admin pages name its rows: "People", "Revenue events", "Account
    crosswalk"; the name itself when it is no kind. Lazily translated, as the model names it."""
    model = {"people": User, "accounts": CustomerAccount}.get(name) or getattr(KINDS.get(name), "model", None)
    label = capfirst(model._meta.verbose_name_plural) if model else None
    return name if label is None else label


@says(SYNC_INVALID_OF_KIND)  # here, beside the kinds' names it says (datain.words cannot import them)
def _sync_invalid_of_kind(p: dict) -> str:
    return gettext("%(count)s invalid rows of %(kind)s: nothing was written.") % {
        "count": p["count"],
        "kind": kind_label(p["kind"]),
    }
