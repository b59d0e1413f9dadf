"""Stored notifications keep a message's key and parameters (``notifications.messages``), not a
sentence: each sentence stored before is matched against today's sentences, in each of the product's
languages, and turned back into its key and parameters (a quarter's key, ISO dates, a metric's key,
a kind of data's key, names as written). A sentence it does not recognise stays as it was, shown as
stored."""

import datetime
import re
from contextlib import contextmanager
from functools import cache

from django.conf import settings
from django.db import migrations
from django.utils import timezone, translation

BIG = 987654  # a number no sentence holds: where it shows, a count or a number of days was


def M(name: str) -> str:
    return f"\x02{name}\x03"


# Each message with its variants (booleans and an empty "by"): the parameters, as markers.
VARIANTS = {
    "cycle_opened_csm": [{"period": M("period"), "date": M("date")}],
    "cycle_opened_reviewer": [
        {"period": M("period"), "date": M("date"), "count": 1},
        {"period": M("period"), "date": M("date"), "count": BIG},
    ],
    "flag_raised": [{"csm": M("csm"), "period": M("period"), "metric": M("metric")}],
    "flag_answered": [{"manager": M("manager"), "period": M("period"), "metric": M("metric")}],
    "calibrated_reviewer": [{"csm": M("csm"), "period": M("period")}],
    "calibrated_csm": [{"period": M("period")}],
    "kpi_run_failed": [{"period": M("period")}],
    "import_failed": [{"kind": M("kind"), "file": M("file")}, {"kind": M("kind"), "file": ""}],
    "input_requested": [  # HR's (no name) first: "HR" is a word to translate, not a name
        {"by": "", "period": M("period"), "csm": M("csm"), "date": M("date")},
        {"by": M("by"), "period": M("period"), "csm": M("csm"), "date": M("date")},
    ],
    "input_closed": [
        {"who": M("who"), "csm": M("csm"), "period": M("period"), "anonymous": a, "answered": b}
        for a in (False, True)
        for b in (True, False)
    ],
    "remind_self_review": [
        {"period": M("period"), "due": M("due"), "overdue": True},
        {"period": M("period"), "due": M("due"), "overdue": False},
    ],
    "remind_manager_review": [
        {"csm": M("csm"), "period": M("period"), "due": M("due"), "draft": d, "overdue": o}
        for d in (True, False)
        for o in (True, False)
    ],
    "remind_acknowledgement": [{"period": M("period")}],
    "remind_input": [
        {"csm": M("csm"), "period": M("period"), "due": M("due"), "overdue": o} for o in (True, False)
    ],
    "remind_key_result": [{"days": BIG, "kr": M("kr")}],
    "reminder_from_hr": [{"person": M("person"), "reminder": ["", {}]}],
}


@contextmanager
def _markers():
    """The messages' helpers say their parameters as markers, for the sentences' patterns."""
    from notifications import messages

    saved = {n: getattr(messages, n) for n in ("_period", "_date", "_in_days", "metric_label", "data_kind_label")}
    messages._period = lambda p: p["period"]
    messages._date = lambda p, name="date": p[name]
    messages._in_days = lambda p: M("when")
    messages.metric_label = lambda key: key
    messages.data_kind_label = lambda key: key
    real_words = messages.words
    messages.words = lambda key, params: M("text") if key == "" else real_words(key, params)
    try:
        yield messages
    finally:
        for n, fn in saved.items():
            setattr(messages, n, fn)
        messages.words = real_words


def _pattern(sentence: str) -> re.Pattern:
    out = re.escape(sentence)
    seen = set()
    for name in re.findall("\x02(\\w+)\x03", sentence):
        marker = re.escape(M(name))
        group = f"(?P={name})" if name in seen else f"(?P<{name}>.+?)"
        out = out.replace(marker, group, 1)
        seen.add(name)
    out = out.replace(str(BIG), r"(?P<number>\d+)")
    return re.compile(f"^{out}$", re.DOTALL)


@cache
def patterns(language: str) -> list[tuple[str, dict, re.Pattern]]:
    _step_variants()
    with translation.override(language), _markers() as messages:
        return [(key, p, _pattern(messages.MESSAGES[key](p))) for key, ps in VARIANTS.items() for p in ps]


@cache
def reverse_words(language: str) -> dict[str, dict[str, str]]:
    """Per kind of parameter, its words in ``language`` -> its key."""
    from kpis.periods import period_label
    from kpis.registry import OKR_SCORE, REGISTRY, label
    from notifications.labels import DATA_KINDS, date_label

    with translation.override(language):
        periods = {}
        for year in range(2018, 2036):
            for q in range(1, 5):
                periods[period_label(f"{year}-Q{q}")] = f"{year}-Q{q}"
            for m in range(1, 13):
                periods[period_label(f"{year}-{m:02d}")] = f"{year}-{m:02d}"
        days = {}
        day = datetime.date(2020, 1, 1)
        while day.year < 2033:
            days[date_label(day)] = day.isoformat()
            day += datetime.timedelta(days=1)
        metrics = {label(k): k for k in [*REGISTRY, OKR_SCORE]}
        kinds = {str(v): k for k, v in DATA_KINDS.items()}
        today, tomorrow = translation.gettext("today"), translation.gettext("tomorrow")
    return {"period": periods, "day": days, "metric": metrics, "kind": kinds, "when": {today: 0, tomorrow: 1}}


def recognise(text: str, language: str, said_on: datetime.date) -> tuple[str, dict] | None:
    """The key and parameters of ``text``, a sentence in ``language`` said on ``said_on``; None when
    it is no sentence of today's messages (or a word of it cannot be turned back into a key)."""
    words = reverse_words(language)
    for key, variant, pattern in patterns(language):
        found = pattern.match(text)
        if not found:
            continue
        got = found.groupdict()
        params: dict = {}
        try:
            for name, value in variant.items():
                if not (isinstance(value, str) and value.startswith("\x02")):
                    if name in ("count", "days"):
                        params[name] = int(got["number"]) if value == BIG else value
                    elif name != "reminder":
                        params[name] = value
                    continue
                seen = got["when"] if name == "due" and not variant.get("overdue") else got[name]
                if name == "period":
                    params[name] = words["period"][seen]
                elif name in ("date", "self_due", "manager_due") or (name == "due" and variant.get("overdue")):
                    params[name] = words["day"][seen]
                elif name == "due":  # "today", "tomorrow", "in 3 days (10 Jul 2026)": counted from said_on
                    if seen in words["when"]:
                        params["due"] = (said_on + datetime.timedelta(days=words["when"][seen])).isoformat()
                    else:
                        inner = re.search(r"\((.+)\)\s*$", seen)
                        params["due"] = words["day"][inner.group(1)] if inner else None
                        if params["due"] is None:
                            raise KeyError(seen)
                    params["on"] = said_on.isoformat()
                elif name == "metric":
                    params[name] = words["metric"][seen]
                elif name == "kind":
                    params[name] = words["kind"][seen]
                else:
                    params[name] = seen
            if key == "reminder_from_hr":
                inner = recognise(got["text"], language, said_on)
                if inner is None:
                    continue
                params["reminder"] = list(inner)
            if "due" in variant:
                params["on"] = said_on.isoformat()
        except (KeyError, AttributeError):
            continue
        return key, params
    return None


def _step_variants():
    from notifications.messages import STEP_TEXTS, step_key

    for action, actor in STEP_TEXTS:
        VARIANTS.setdefault(
            step_key(action, actor),
            [{"period": M("period"), "csm": M("csm"), "self_due": M("self_due"), "manager_due": M("manager_due")}],
        )


def forwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    PersonSettings = apps.get_model("notifications", "PersonSettings")
    chosen = dict(PersonSettings.objects.exclude(language="").values_list("person_id", "language"))
    languages = [code for code, _name in settings.LANGUAGES]
    for n in Notification.objects.filter(message="").exclude(text="").iterator(chunk_size=500):
        said_on = timezone.localdate(n.created_at) if timezone.is_aware(n.created_at) else n.created_at.date()
        first = chosen.get(n.recipient_id, settings.LANGUAGE_CODE)
        for language in [first, *(code for code in languages if code != first)]:
            found = recognise(n.text, language, said_on)
            if found:
                n.message, n.params = found
                n.text = ""
                n.save(update_fields=["message", "params", "text"])
                break


def backwards(apps, schema_editor):
    """Back to a sentence, in the recipient's language as the code before this migration wrote it."""
    from notifications.messages import words

    Notification = apps.get_model("notifications", "Notification")
    PersonSettings = apps.get_model("notifications", "PersonSettings")
    chosen = dict(PersonSettings.objects.exclude(language="").values_list("person_id", "language"))
    for n in Notification.objects.exclude(message="").iterator(chunk_size=500):
        with translation.override(chosen.get(n.recipient_id, settings.LANGUAGE_CODE)):
            n.text = words(n.message, n.params) or n.text
        n.message, n.params = "", {}
        n.save(update_fields=["message", "params", "text"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0006_notification_message_key_and_params")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
