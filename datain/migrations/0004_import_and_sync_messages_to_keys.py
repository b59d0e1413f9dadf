"""Import and sync runs stored their row errors and their messages as English sentences: each one
recognised becomes its key and parameters (core.said, datain.words), said in the reader's language
when read. A sentence not recognised (another language, a source's own text) stays as it was: shown
verbatim."""

import re

from django.db import migrations

# Row errors: (pattern of the whole sentence, key, parameters from the match).
_INT = int
ROW_ERRORS = [
    (r"is required", "datain.required", {}),
    (r"is not a date in the form YYYY-MM-DD", "datain.not_a_date", {}),
    (r"is not an ISO 8601 datetime such as 2026-07-03T14:05:00\+02:00", "datain.not_a_datetime", {}),
    (r"is not an amount such as 1250\.00 \(a '\.' and at most 2 decimals\)", "datain.not_an_amount", {}),
    (r"is not a whole number", "datain.not_a_whole_number", {}),
    (r"must be at least (?P<minimum>-?\d+)", "datain.at_least", {"minimum": _INT}),
    (r"must be at most (?P<maximum>-?\d+)", "datain.at_most", {"maximum": _INT}),
    (r"must fall within the years (?P<first>\d+) to (?P<last>\d+)", "datain.out_of_years", {"first": _INT, "last": _INT}),
    (r"must be one of (?P<values>.+)", "datain.not_a_choice", {"values": lambda v: v.split(", ")}),
    (r"is longer than (?P<length>\d+) characters", "datain.too_long", {"length": _INT}),
    (r"is not an email address", "datain.not_an_email", {}),
    (r"no account has this external_id", "datain.no_such_account", {}),
    (r"no person has this email", "datain.no_such_person", {}),
    (r"this person is a (?P<role>\w+), not a (?P<wanted>\w+)", "datain.wrong_role", {"role": str, "wanted": str}),
    (r"appears twice in the header", "datain.duplicate_column", {}),
    (r"is missing from the header", "datain.missing_from_header", {}),
    (r"is missing", "datain.missing", {}),
    (r"the file is empty: a header row is required", "datain.empty_file", {}),
    (r"is not valid UTF-8 text", "datain.not_utf8", {}),
    (r"must be a JSON object", "datain.not_an_object", {}),
    (r"has (?P<found>\d+) fields where the header has (?P<width>\d+)", "datain.wrong_field_count", {"found": _INT, "width": _INT}),
    (r"appears earlier in this load with the same key \(row (?P<row>\d+)\)", "datain.duplicate_key", {"row": _INT}),
    (
        r"is not a column of (?P<kind>\w+) \(expected: (?P<columns>.+)\)",
        "datain.unknown_column",
        {"kind": str, "columns": lambda v: v.split(", ")},
    ),
]

# What a run said of itself. ``since``: the moment is taken from the run (the sentence held it as
# HH:MM in some time zone).
MESSAGES = [
    (r"The uploaded file is gone\. Upload it again\.", "datain.file_gone", {}),
    (
        r"The worker failed while importing: (?P<error>.*)\. Nothing was written: the import is all-or-nothing\.",
        "datain.worker_failed_importing",
        {"error": str},
    ),
    (r"The worker failed while checking the file: (?P<error>.*)\.", "datain.worker_failed_checking", {"error": str}),
    (
        r"The worker stopped while importing \(no sign of life since [^)]*\)\. Nothing was written: the import is "
        r"all-or-nothing\. Retry\.",
        "datain.worker_stopped_importing",
        {"since": "heartbeat"},
    ),
    (
        r"The worker stopped while checking the file \(no sign of life since [^)]*\)\. Nothing was written\. Retry\.",
        "datain.worker_stopped_checking",
        {"since": "heartbeat"},
    ),
    (
        r"No worker picked this up: it was sent (?P<sends>\d+) times since .*\. The workers may be down\. Retry "
        r"when they are back\.",
        "core.job_never_picked_up",
        {"sends": _INT, "since": "queued"},
    ),
    (
        r"The job queue \(Redis\) could not be reached: (?P<error>.*)\. Nothing was started\. Try again in a moment\.",
        "core.job_queue_unreachable",
        {"error": str},
    ),
    (r"(?P<count>\d+) invalid rows: nothing was written\.", "datain.sync_invalid", {"count": _INT}),
    (r"the sync stopped on an unexpected error \(see the log\)", "datain.sync_unexpected", {}),
    (r"the database refused the load: (?P<error>.*)", "datain.sync_database", {"error": str}),
]
NOTHING_CHANGED = "Nothing changed: the KPIs stay as they are."


def recognise(text, table, run=None):
    """(key, parameters) of ``text``, or None."""
    for pattern, key, params in table:
        found = re.fullmatch(pattern, text, flags=re.S)
        if not found:
            continue
        said = {}
        for name, read in params.items():
            if read == "heartbeat":
                moment = run.heartbeat_at or getattr(run, "queued_at", None) or run.started_at
                said[name] = moment.isoformat()
            elif read == "queued":
                said[name] = (getattr(run, "queued_at", None) or run.started_at).isoformat()
            else:
                said[name] = read(found.group(name))
        return key, said
    return None


def convert_errors(errors):
    changed = False
    out = []
    for error in errors or []:
        if isinstance(error, dict) and "message" in error and "said" not in error:
            known = recognise(str(error["message"]), ROW_ERRORS)
            if known:
                error = {k: v for k, v in error.items() if k != "message"}
                error["said"], error["params"] = known
                changed = True
        out.append(error)
    return out, changed


def convert_message(run):
    text = run.message
    if not text or run.message_params:
        return False
    if text == NOTHING_CHANGED:
        run.message = "datain.follow_ups"
        run.message_params = {"notices": [{"said": "kpis.refresh_nothing_changed", "params": {}}]}
        return True
    known = recognise(text, MESSAGES, run)
    if known:
        run.message, run.message_params = known
        return True
    return False


def forwards(apps, schema_editor):
    for name in ("ImportRun", "SyncRun"):
        model = apps.get_model("datain", name)
        for run in model.objects.exclude(message="", errors=[]).iterator(chunk_size=500):
            run.errors, errors_changed = convert_errors(run.errors)
            message_changed = convert_message(run)
            if errors_changed or message_changed:
                run.save(update_fields=["errors", "message", "message_params"])


class Migration(migrations.Migration):
    dependencies = [("datain", "0003_import_and_sync_messages_as_keys")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
