"""A cycle export stored why it failed as an English sentence: each one recognised becomes its key and
parameters (core.said), said in the reader's language when read. Any other text stays as it was."""

import re

from django.db import migrations


def recognise(export):
    text = export.error
    since = (export.heartbeat_at or export.queued_at or export.created_at).isoformat()
    if found := re.fullmatch(r"(\d+) of (\d+) PDFs were rendered\. Retry\.", text):
        return "reviews.export_pdfs_missing", {"made": int(found[1]), "total": int(found[2])}
    if text == "A chunk of PDFs failed; see the worker's log. Retry.":
        return "reviews.export_chunk_failed", {}
    if found := re.fullmatch(
        r"The workers stopped making the PDFs \(no sign of life since [^)]*\): (\d+) of (\d+) were made\. "
        r"Retry: the ones made are kept\.",
        text,
    ):
        return "reviews.export_workers_stopped", {"since": since, "done": int(found[1]), "total": int(found[2])}
    if found := re.fullmatch(
        r"No worker picked this up: it was sent (\d+) times since .*\. The workers may be down\. Retry when they "
        r"are back\.",
        text,
        flags=re.S,
    ):
        return "core.job_never_picked_up", {
            "sends": int(found[1]),
            "since": (export.queued_at or export.created_at).isoformat(),
        }
    if found := re.fullmatch(
        r"The job queue \(Redis\) could not be reached: (.*)\. Nothing was started\. Try again in a moment\.",
        text,
        flags=re.S,
    ):
        return "core.job_queue_unreachable", {"error": found[1]}
    return None


def forwards(apps, schema_editor):
    CycleExport = apps.get_model("reviews", "CycleExport")
    for export in CycleExport.objects.exclude(error="").iterator(chunk_size=500):
        known = recognise(export)
        if known:
            export.error, export.error_params = known
            export.save(update_fields=["error", "error_params"])


class Migration(migrations.Migration):
    dependencies = [("reviews", "0016_export_error_as_key")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
