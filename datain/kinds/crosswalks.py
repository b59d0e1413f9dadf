"""The kinds of the crosswalks: a source system's account or owner id is this account or person of ours."""

from __future__ import annotations

from datain.kinds.base import FactKind, user_refs
from datain.models import SourceAccount, SourceOwner
from datain.validation import (
    Column,
    parse_email,
    source_name,
    text,
)


class SourceAccountsKind(FactKind):
    """The account crosswalk: a source system's account id is this account of ours."""

    name = "source_accounts"
    model = SourceAccount
    columns = (
        Column("source", source_name),
        Column("source_id", text(100)),
        Column("account_external_id", text(100), field="account_id"),
    )
    key_columns = ("source", "source_id")


class SourceOwnersKind(FactKind):
    """The owner crosswalk: a source system's owner id is this person (by email)."""

    name = "source_owners"
    model = SourceOwner
    columns = (
        Column("source", source_name),
        Column("source_id", text(100)),
        Column("email", parse_email, field="person_id"),
    )
    key_columns = ("source", "source_id")

    def resolve(self, rows, ctx):
        return user_refs(rows, ctx, "email", "person_id", None)
