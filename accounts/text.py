"""How long free text may be: one limit per kind of text, one validator, one check on every save.

A person types a review, a note, a reason; the product stores it, shows it, prints it. Without a
limit a 100,000-character note is taken and every page that shows it suffers. Each free-text field
of a model carries ``MaxChars(limit)`` (and ``max_length``, so a form's textarea says the limit);
``check_on_save`` (a ``pre_save`` receiver, accounts/apps.py) runs those validators on every save
whatever the way in (page, API, admin, shell), so the limit is enforced in one place per field. Forms
and API serializers use the same validator for the same sentence ("At most 2,000 characters (you
wrote 2,345)."). Texts kept inside JSON (the review's sections) are checked with ``check``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import BaseValidator
from django.utils.deconstruct import deconstructible
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

TITLE = 200  # an objective's or key result's title
NOTE = 2_000  # a check-in note, an objective's "why it matters", a reason, a flag and its answer
COMMENT = 5_000  # a comment on a review, a calibration note, an acknowledgement
SECTION = 10_000  # one section of a review, by the CSM or the reviewer


def _count(n: int) -> str:
    return number_format(n, force_grouping=True)


@deconstructible
class MaxChars(BaseValidator):
    message = _("At most %(limit)s characters (you wrote %(count)s).")
    code = "max_length"

    def __call__(self, value) -> None:
        n = len(value or "")
        if n > self.limit_value:
            raise ValidationError(
                self.message, code=self.code, params={"limit": _count(self.limit_value), "count": _count(n)}
            )

    def compare(self, a, b) -> bool:  # pragma: no cover - __call__ does the work
        return a > b

    def clean(self, x):  # pragma: no cover
        return len(x)


def check(value: str, limit: int, field: str) -> str:
    """``value`` when it fits in ``limit`` characters; else ``ValidationError({field: sentence})``."""
    try:
        MaxChars(limit)(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    return value


def _limited_fields(model) -> list:
    cached = model.__dict__.get("_max_chars_fields")
    if cached is None:
        cached = [
            (f.attname, f.name, [v for v in f.validators if isinstance(v, MaxChars)])
            for f in model._meta.concrete_fields
            if any(isinstance(v, MaxChars) for v in f.validators)
        ]
        model._max_chars_fields = cached
    return cached


def check_on_save(sender, instance, raw=False, **kwargs) -> None:
    """Every save of a model with limited fields: each one within its limit, or ValidationError with
    the field's name and the sentence (nothing is written)."""
    if raw:  # fixtures load as they are
        return
    errors = {}
    for attname, name, validators in _limited_fields(sender):
        value = getattr(instance, attname)
        if not isinstance(value, str):
            continue
        for validator in validators:
            try:
                validator(value)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)


def limits_context(request) -> dict:
    """The limits for the pages' fields (``maxlength="{{ text_limits.note }}"``)."""
    return {"text_limits": {"title": TITLE, "note": NOTE, "comment": COMMENT, "section": SECTION}}
