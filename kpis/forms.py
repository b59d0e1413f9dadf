"""The recompute form of the KPI runs page (Django admin)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis.periods import Period, PeriodError


class RecomputeForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        max_length=16,
        help_text=_("A month (2026-09) or a quarter (2026-Q3), up to the current one."),
    )

    def clean_period(self) -> Period:
        text = self.cleaned_data["period"].strip()
        try:
            period = Period.parse(text)
        except PeriodError as exc:
            raise ValidationError(str(exc)) from None
        current = Period.containing(timezone.localdate(), period.kind)
        if period > current:
            raise ValidationError(
                _("%(period)s has not started yet: pick a period up to %(current)s."),
                params={"period": text, "current": current},
            )
        return period


def recent_periods(today) -> list[Period]:
    """The picker's periods, newest first: the current quarter and 7 before, the current month and
    11 before (every period an import refreshes by itself)."""
    quarter = Period.containing(today, "quarter")
    month = Period.containing(today, "month")
    return list(reversed(quarter.last(8))) + list(reversed(month.last(12)))
