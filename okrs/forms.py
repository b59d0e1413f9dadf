from django import forms
from django.utils.translation import gettext_lazy as _

from core import text
from kpis.registry import METRICS
from okrs.models import Commitment, Direction, KrKind


def _text_field(label, limit: int, *, textarea: bool = False, rows: int = 1, **kwargs) -> forms.CharField:
    attrs = {"maxlength": str(limit)}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if textarea else forms.TextInput(attrs=attrs)
    return forms.CharField(label=label, validators=[text.MaxChars(limit)], widget=widget, **kwargs)


class ObjectiveForm(forms.Form):
    title = _text_field(_("Objective"), text.TITLE)
    description = _text_field(_("Why it matters"), text.NOTE, textarea=True, rows=2, required=False)
    commitment = forms.ChoiceField(label=_("Commitment"), choices=Commitment.choices)
    parent = forms.TypedChoiceField(label=_("Aligned to"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.TypedChoiceField)  # declared above; narrows the type
        parent.choices = [("", _("(not aligned)"))] + [(o.pk, f"{o.team}: {o.title}") for o in parents]


class KeyResultForm(forms.Form):
    title = _text_field(_("Key result"), text.TITLE)
    kind = forms.ChoiceField(label=_("Kind"), choices=KrKind.choices)
    metric = forms.ChoiceField(
        label=_("KPI"),
        required=False,
        choices=[("", "—")] + [(m.key, m.name) for m in METRICS if m.scored and m.direction != "neutral"],
    )
    baseline = forms.CharField(label=_("Baseline / start"), required=False)
    target = forms.CharField(label=_("Target"), required=False)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=20)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, required=False)
    weight = forms.CharField(label=_("Weight"), initial="1")


class CheckInForm(forms.Form):
    value = forms.CharField(label=_("Current value"), required=False)
    done = forms.ChoiceField(
        label=_("Done"), choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))], required=False
    )
    confidence = forms.CharField(label=_("Confidence (0-10)"))
    note = _text_field(_("Note"), text.NOTE, textarea=True, required=False)


class FinalScoreForm(forms.Form):
    final_score = forms.CharField(label=_("Final score (0.0-1.0)"))
    final_score_reason = _text_field(_("Reason"), text.NOTE, textarea=True, required=False)
