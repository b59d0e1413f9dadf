"""A kind's columns are written once, in its definition: the fields it stores, its key, the fields
that store "" for empty, the column that places a row in time, the export and the admin's list are
read from there and from the model."""

import pytest
from django.contrib import admin

from activity.models import Ticket
from datain.kinds import KINDS, FactKind, kind_for

TICKET_COLUMNS = [
    "external_id",
    "account_external_id",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "customer_contacts",
    "escalated_at",
    "priority",
    "channel",
]


def test_the_ticket_kind_stores_each_column_in_its_field():
    tickets = kind_for("tickets")
    assert list(tickets.column_names) == TICKET_COLUMNS
    assert tickets.fields == {c: c for c in TICKET_COLUMNS} | {"account_external_id": "account_id"}
    assert tickets.key_fields == ("external_id",)
    assert tickets.blank_text_fields == ("channel",)
    assert tickets.dated_columns == ("opened_at",)


def test_references_are_stored_as_ids_and_keys_follow_them():
    assert kind_for("usage").key_fields == ("account_id", "date")
    assert kind_for("touchpoints").fields["csm_email"] == "csm_id"
    assert kind_for("source_owners").fields["email"] == "person_id"
    assert kind_for("assignments").dated_columns == ("start_date",)
    assert kind_for("source_accounts").dated_columns == ()


@pytest.mark.parametrize("name", [n for n, k in KINDS.items() if issubclass(k, FactKind)])
def test_every_field_of_a_stored_kind_comes_from_a_column(name):
    # A field added to the model without its column in the kind would never be loaded.
    kind = kind_for(name)
    stored = {f.attname for f in kind.model._meta.concrete_fields if not f.primary_key}
    assert set(kind.fields.values()) == stored


def test_the_ticket_admin_lists_the_ticket_fields_by_time(rf, django_user_model):
    ticket_admin = admin.site._registry[Ticket]
    assert ticket_admin.get_list_display(rf.get("/")) == [
        "external_id",
        "account",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "customer_contacts",
        "escalated_at",
        "priority",
        "channel",
    ]
    assert ticket_admin.date_hierarchy == "opened_at"
