from django import forms
from django.utils.translation import gettext_lazy as _

from activity.kinds import LOAD_ORDER


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k, k) for k in LOAD_ORDER],
        help_text=_("Load in this order: people, accounts, assignments, then the rest."),
    )
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, header row, columns of DATA_CONTRACT.md.")
    )
