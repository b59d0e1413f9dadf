"""Migration 0002: a time zone a person had chosen for their emails only becomes their own
(``User.time_zone``, the pages' too), unless they had one already; then the duplicate column goes."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User

BEFORE = [("notifications", "0001_initial")]
AFTER = [("notifications", "0002_time_zone_is_the_persons")]


@pytest.mark.django_db(transaction=True)
def test_a_zone_chosen_for_emails_becomes_the_persons():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    PersonSettings = executor.loader.project_state(BEFORE).apps.get_model("notifications", "PersonSettings")
    emails_only = User.objects.create(email="ana@example.com", role="hr")
    own_zone = User.objects.create(email="bo@example.com", role="hr", time_zone="Europe/Paris")
    PersonSettings.objects.create(person_id=emails_only.pk, time_zone="Asia/Tokyo")
    PersonSettings.objects.create(person_id=own_zone.pk, time_zone="America/Lima")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    try:
        executor.migrate(AFTER)
        assert User.objects.get(email="ana@example.com").time_zone == "Asia/Tokyo"
        assert User.objects.get(email="bo@example.com").time_zone == "Europe/Paris"  # their own choice stays
    finally:
        # Back to the latest schema for the tests after this one (later migrations add columns).
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("notifications"))
