"""One rule for every number a person or a system types in (forms, API, admin, imports): finite,
within the range of the column that will hold it, or a field error that says so."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _


def decimal_bounds(field: models.DecimalField) -> tuple[Decimal, Decimal]:
    """The largest magnitude the column holds, and its step: numeric(16, 2) -> 99999999999999.99, 0.01."""
    step = Decimal(1).scaleb(-field.decimal_places)
    top = Decimal(10) ** (field.max_digits - field.decimal_places) - step
    return top, step


def parse_decimal(
    value: Any, *, name: str, field: models.DecimalField, minimum=None, maximum=None
) -> Decimal | None:
    """``value`` as a Decimal fit for ``field`` (rounded half up to its decimal places); None when
    blank. Raises ValidationError({name: ...}) for text that is no number, NaN, infinities, and
    values outside the column's range (or ``minimum``/``maximum`` when given)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError({name: _("Enter a number, not true or false.")})
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {name: _("“%(value)s” is not a number.") % {"value": str(value)[:40]}}
        ) from None
    if not number.is_finite():
        raise ValidationError({name: _("Enter a finite number (not NaN or infinity).")})
    top, step = decimal_bounds(field)
    low = -top if minimum is None else Decimal(minimum)
    high = top if maximum is None else Decimal(maximum)
    if not low <= number <= high:
        raise ValidationError(
            {
                name: _("Enter a number between %(low)s and %(high)s.")
                % {"low": _plain(low), "high": _plain(high)}
            }
        )
    return number.quantize(step, rounding=ROUND_HALF_UP)


def _plain(x: Decimal) -> str:
    text = f"{x:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
