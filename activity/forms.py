from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from activity.kinds import LOAD_ORDER


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k, k) for k in LOAD_ORDER],
        help_text=_("Load in this order: people, accounts, assignments, then the rest."),
    )
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, a header row, the columns of the kind (listed below).")
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
