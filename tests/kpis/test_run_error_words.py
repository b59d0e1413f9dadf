"""Why a KPI run failed is kept as a code when the product knows it, said in the reader's language
in the freshness warning; an exception's text stays as raised. The migration turns the English
sentences stored before into their codes."""

import datetime
import importlib

from django.apps import apps
from django.utils import translation

from kpis import scorecards
from kpis.models import KpiRun, RunStatus
from kpis.periods import Period
from tests.i18n.catalog import catalog

UTC = datetime.UTC
FAILED = (
    "The last KPI run (%(period)s, started %(when)s) failed: %(error)s. The numbers shown are from the "
    "previous run."
)
SPANISH = {
    FAILED: "La última ejecución (%(period)s) falló: %(error)s.",
    "no sign of life before its lock expired": "sin señales de vida antes de que venciera su bloqueo",
    "parts missing at publication: %(parts)s": "faltan partes al publicar: %(parts)s",
    "Q%(quarter)s %(year)s": "T%(quarter)s %(year)s",
}


def _failed(error: str) -> KpiRun:
    run = KpiRun.objects.create(
        period="2026-Q3", as_of=datetime.date(2026, 11, 1), status=RunStatus.FAILED, error=error
    )
    KpiRun.objects.filter(pk=run.pk).update(started_at=datetime.datetime(2026, 11, 2, 13, 7, tzinfo=UTC))
    return run


def test_the_failed_run_s_reason_reads_in_the_reader_s_language(db):
    _failed("abandoned")
    with catalog("es", SPANISH), translation.override("es"):
        warning = scorecards.freshness(Period.parse("2026-Q3")).warning
    assert (
        warning
        == "La última ejecución (T3 2026) falló: sin señales de vida antes de que venciera su bloqueo."
    )
    with translation.override("en"):
        assert "failed: no sign of life before its lock expired. The numbers" in (
            scorecards.freshness(Period.parse("2026-Q3")).warning
        )
    KpiRun.objects.update(error="parts_missing:books,tickets")
    with catalog("es", SPANISH), translation.override("es"):
        warning = scorecards.freshness(Period.parse("2026-Q3")).warning
    assert warning == "La última ejecución (T3 2026) falló: faltan partes al publicar: books, tickets."
    KpiRun.objects.update(error="ValueError: bad row")  # an exception's text: as raised
    with catalog("es", SPANISH), translation.override("es"):
        assert "falló: ValueError: bad row." in scorecards.freshness(Period.parse("2026-Q3")).warning


def test_the_migration_turns_the_english_reasons_into_codes(db):
    abandoned = _failed("Abandoned: no sign of life before the lock expired.")
    missing = _failed("Parts missing at publication: books, tickets")
    raised = _failed("ValueError: bad row")
    importlib.import_module("kpis.migrations.0006_run_errors_as_codes").forwards(apps, None)
    errors = dict(KpiRun.objects.values_list("pk", "error"))
    assert errors == {
        abandoned.pk: "abandoned",
        missing.pk: "parts_missing:books,tickets",
        raised.pk: "ValueError: bad row",
    }
