"""Why a KPI run failed is kept as a code when the product knows it (``kpis.models.RUN_ABANDONED``,
``PARTS_MISSING``), put into words in the reader's language when shown; the English sentences
stored before become their codes. An exception's text stays as it was raised."""

from django.db import migrations

ABANDONED = "Abandoned: no sign of life before the lock expired."
MISSING = "Parts missing at publication: "


def forwards(apps, schema_editor):
    KpiRun = apps.get_model("kpis", "KpiRun")
    KpiRun.objects.filter(error=ABANDONED).update(error="abandoned")
    for run in KpiRun.objects.filter(error__startswith=MISSING):
        run.error = "parts_missing:" + ",".join(p.strip() for p in run.error[len(MISSING) :].split(","))
        run.save(update_fields=["error"])


def backwards(apps, schema_editor):
    KpiRun = apps.get_model("kpis", "KpiRun")
    KpiRun.objects.filter(error="abandoned").update(error=ABANDONED)
    for run in KpiRun.objects.filter(error__startswith="parts_missing:"):
        run.error = MISSING + ", ".join(run.error[len("parts_missing:") :].split(","))
        run.save(update_fields=["error"])


class Migration(migrations.Migration):
    dependencies = [("kpis", "0005_merge_fit_fingerprint_and_reasons")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
