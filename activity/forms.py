from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from activity.kinds import LOAD_ORDER
from activity.sources.readers import SOURCES, SourceNotUsable, check_source


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k, k) for k in LOAD_ORDER],
        help_text=_("Load in this order: people, accounts, assignments, then the rest."),
    )
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, a header row, the columns of the kind (listed below).")
    )
    # Issue 20: another system's own export instead of our format.
    source_format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("Our own CSV (DATA_CONTRACT.md)"))]
        + [(name, _("%(system)s export (JSON)") % {"system": s.title}) for name, s in SOURCES.items()],
        help_text=_(
            "Another system's own API JSON, mapped onto the kind (README, 'Loading data from other systems')."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "This file is %(size)s; the largest file the page takes is %(limit)s. Split it, or "
                    "load it with the import_data command on the server."
                ),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        kind, source = cleaned.get("kind"), cleaned.get("source_format")
        if kind and source:
            try:
                check_source(kind=kind, source=source)
            except SourceNotUsable as exc:
                self.add_error("source_format", str(exc))
        return cleaned
