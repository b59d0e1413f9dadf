from __future__ import annotations

import functools
import zoneinfo

from babel.core import get_global
from babel.dates import get_timezone_location
from django import forms
from django.conf import settings
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core import formatting
from core.text import validate_name
from notifications.models import Channel, Kind

# The product's languages named inside a sentence, in the reader's language ("emails are in English",
# "邮件则使用英语"); the language menu names each in its own words (settings.LANGUAGES).
LANGUAGE_NAMES = {
    "en": pgettext_lazy("a language named inside a sentence", "English"),
    "es": pgettext_lazy("a language named inside a sentence", "Spanish"),
    "pt-br": pgettext_lazy("a language named inside a sentence", "Brazilian Portuguese"),
    "zh-hans": pgettext_lazy("a language named inside a sentence", "Simplified Chinese"),
    "tr": pgettext_lazy("a language named inside a sentence", "Turkish"),
}


def language_name(code: str) -> str:
    """The language ``code`` named in the reader's language; its own name if the product does not
    speak it."""
    name = LANGUAGE_NAMES.get(code)
    return str(name) if name is not None else dict(settings.LANGUAGES).get(code, code)


# The kinds each role hears about (HR and admins may also review, so they see the reviewer's).
CSM_KINDS = [
    Kind.CYCLE_OPENED,
    Kind.SELF_REVIEW_REQUESTED,
    Kind.REVIEW_SUBMITTED,
    Kind.FLAG_ANSWERED,
    Kind.RATING_CALIBRATED,
    Kind.REVIEW_REOPENED,
    Kind.REMINDER_SELF_REVIEW,
    Kind.REMINDER_ACKNOWLEDGEMENT,
    Kind.KEY_RESULT_STALE,
    Kind.INPUT_REQUESTED,
    Kind.REMINDER_INPUT,
]
# Anyone may be asked for input; contributors hear of nothing else.
CONTRIBUTOR_KINDS = [Kind.INPUT_REQUESTED, Kind.REMINDER_INPUT]
REVIEWER_KINDS = [
    Kind.CYCLE_OPENED,
    Kind.SELF_REVIEW_SUBMITTED,
    Kind.REVIEW_ACKNOWLEDGED,
    Kind.FLAG_RAISED,
    Kind.RATING_CALIBRATED,
    Kind.REVIEW_REOPENED,
    Kind.REMINDER_MANAGER_REVIEW,
    Kind.KEY_RESULT_STALE,
    Kind.INPUT_ANSWERED,
    Kind.INPUT_REQUESTED,
    Kind.REMINDER_INPUT,
]
OPS_KINDS = [Kind.KPI_RUN_FAILED, Kind.IMPORT_FAILED]


def kinds_for(role: str) -> list[Kind]:
    if role == Role.CSM:
        return list(CSM_KINDS)
    if role == Role.CONTRIBUTOR:
        return list(CONTRIBUTOR_KINDS)
    if role == Role.ADMIN:
        return [*OPS_KINDS, *REVIEWER_KINDS]
    return list(REVIEWER_KINDS) + ([Kind.IMPORT_FAILED] if role == Role.HR else [])


# The zones of the time zone database's regions listed; its old aliases (US/Pacific, Brazil/East) are
# left out of the list, as they would show a place twice, but still accepted (ZONES), and a person's
# own zone is listed as stored.
REGIONS = {
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
}


# Every zone a person may choose (what the field accepts); the list shows each place once.
ZONES = frozenset(
    z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
)


def _zone_words(zone: str) -> str:
    try:
        return get_timezone_location(zone, locale=formatting.locale())
    except LookupError:
        return zone.replace("_", " ")


class ZoneField(forms.ChoiceField):
    """Accepts every zone of ZONES, also one the list shows under another name of the same place."""

    def valid_value(self, value) -> bool:
        return value == "" or value in ZONES or super().valid_value(value)


@functools.lru_cache(maxsize=16)
def _zone_names(language: str) -> tuple[tuple[str, str], ...]:
    """Every time zone in the reader's words ("hora de Estados Unidos (Los Ángeles)", CLDR's, through
    Babel), not its code ("America/Los_Angeles"), in the order of those words; a place listed once
    (of Asia/Istanbul and Europe/Istanbul, the same clock, one is offered). Kept per language."""
    newer = get_global("zone_aliases")  # the database's current names, which CLDR keeps as aliases
    placed = get_global("zone_territories")
    by_words: dict[str, str] = {}
    for zone in sorted(zoneinfo.available_timezones(), key=lambda z: (z not in newer, z)):
        if zone.split("/", 1)[0] not in REGIONS:
            continue
        if newer.get(zone, zone) not in placed:
            # A zone newer than CLDR (America/Coyhaique, 2025) has no place in any language yet, only
            # "Unknown Region": not listed (its neighbour with the same clock is), still accepted.
            continue
        by_words.setdefault(_zone_words(zone), zone)
    return tuple(
        sorted(((z, w) for w, z in by_words.items()), key=lambda pair: (pair[1].casefold(), pair[0]))
    )


def _zones() -> list[tuple[str, str]]:
    organisation = ("", _("The organisation's (%(zone)s)") % {"zone": settings.TIME_ZONE})
    return [organisation, *_zone_names(get_language() or settings.LANGUAGE_CODE)]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
    )
    time_zone = ZoneField(
        label=_("My time zone"),
        required=False,
        help_text=_("Dates and times on every page and in every email are shown in it."),
    )

    def __init__(self, *args, kinds: list[Kind], **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        language, time_zone = self.fields["language"], self.fields["time_zone"]
        assert isinstance(language, forms.ChoiceField) and isinstance(time_zone, forms.ChoiceField)
        language.choices = [("", _("My browser's"))] + [(code, name) for code, name in settings.LANGUAGES]
        language.help_text = _(
            "Every page, email and PDF you read is in it. Left to your browser, pages and the PDFs you "
            "download follow your browser's language, and emails are in %(language)s."
        ) % {"language": language_name(settings.LANGUAGE_CODE)}
        time_zone.choices = _zones()
        # The person's own zone is offered as it is stored, in place of the one of the same words.
        current = self.initial.get("time_zone") or ""
        if current in ZONES and current not in dict(time_zone.choices):
            words = _zone_words(current)
            kept = [(z, w) for z, w in time_zone.choices if w != words]
            time_zone.choices = [*kept, (current, words)]
        for kind in kinds:
            self.fields[f"kind_{kind}"] = forms.ChoiceField(
                label=Kind(kind).label, choices=Channel.choices, widget=forms.RadioSelect
            )

    def kind_fields(self):
        return [self[f"kind_{kind}"] for kind in self.kinds]


class ApiTokenForm(forms.Form):
    """A new read-only API token: its name says which tool uses it."""

    name = forms.CharField(
        label=_("What it is for"),
        max_length=100,
        validators=[validate_name],
        help_text=_("E.g. the name of the spreadsheet or the BI tool that will read with it."),
    )
