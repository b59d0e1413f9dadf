from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core.text import validate_name
from notifications.models import Channel, Kind

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


def _zones() -> list[tuple[str, str]]:
    return [("", _("The organisation's (%(zone)s)") % {"zone": settings.TIME_ZONE})] + [
        (z, z)
        for z in sorted(zoneinfo.available_timezones())
        if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    ]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
    )
    time_zone = forms.ChoiceField(
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
        ) % {"language": dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE)}
        time_zone.choices = _zones()
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
