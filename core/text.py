"""What text the product stores, with one rule each for every way in (the imports, the upload page,
the API, the admin and the forms): which characters a name and free text may hold, and how long free
text may be.

A name (a person's, a team's, an account's, an id) is one line: no line break, no control character
(ESC, BEL, NUL, ...) and no bidirectional override (U+202E turns "evil.exe" into what looks like
another name). A name with a line break cannot be put in an email header: every email about that
person would fail for good. Free text (comments, notes) may keep line breaks and tabs, and nothing
else of the above. Right-to-left marks (U+200E, U+200F, U+061C), which Arabic and Hebrew text needs,
are allowed in both.

A person types a review, a note, a reason; the product stores it, shows it, prints it. Without a
limit a 100,000-character note is taken and every page that shows it suffers. Each free-text field
of a model carries ``MaxChars(limit)`` (and ``max_length``, so a form's textarea says the limit);
``check_on_save`` (a ``pre_save`` receiver, accounts/apps.py) runs those validators on every save
whatever the way in (page, API, admin, shell), so the limit is enforced in one place per field. Forms
and API serializers use the same validator for the same sentence ("At most 2,000 characters (you
wrote 2,345)."). Texts kept inside JSON (the review's sections) are checked with ``check``.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import BaseValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from core import formatting
from core.said import Params, Said, said, says

# C0 and C1 controls, DEL, the line and paragraph separators, the bidi embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069).
_NOT_IN_A_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NOT_IN_FREE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = "\n\r\x0b\x0c\x85\u2028\u2029"


@says("core.line_break")
def _line_break(p: Params) -> str:
    return str(_("contains a line break: a name is one line"))


@says("core.bidi_override")
def _bidi_override(p: Params) -> str:
    return str(_("contains a bidirectional override (%(code)s), which can disguise text")) % {
        "code": p["code"]
    }


@says("core.tab")
def _tab(p: Params) -> str:
    return str(_("contains a tab: a name is one line of text"))


@says("core.control_character")
def _control_character(p: Params) -> str:
    return str(_("contains a control character (%(code)s)")) % {"code": p["code"]}


def _why_said(char: str) -> Said:
    """Why ``char`` is refused, as a key and parameters (``core.said``): for what is stored."""
    code = f"U+{ord(char):04X}"
    if char in _LINE_BREAKS:
        return said("core.line_break")
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return said("core.bidi_override", code=code)
    if char == "\t":
        return said("core.tab")
    return said("core.control_character", code=code)


def _why(char: str) -> str:
    return str(_why_said(char))


def name_problem_said(value: str) -> Said | None:
    """Why ``value`` cannot be a name, as a key and parameters; None when it can."""
    if value.isprintable():  # the fast path: every character printable (no controls, no overrides)
        return None
    found = _NOT_IN_A_NAME.search(value)
    return _why_said(found.group()) if found else None


def free_text_problem_said(value: str) -> Said | None:
    """Why ``value`` cannot be free text, as a key and parameters; None when it can."""
    if value.isprintable():
        return None
    found = _NOT_IN_FREE_TEXT.search(value)
    return _why_said(found.group()) if found else None


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name (one line of text), in words; None when it can."""
    problem = name_problem_said(value)
    return str(problem) if problem else None


def free_text_problem(value: str) -> str | None:
    """Why ``value`` cannot be free text (line breaks and tabs allowed), in words; None when it can."""
    problem = free_text_problem_said(value)
    return str(problem) if problem else None


def validate_name(value: str) -> None:
    """The model and form validator of names: User.name, Team.name, CustomerAccount.name, ..."""
    if value and (problem := name_problem(value)):
        raise ValidationError(problem[:1].upper() + problem[1:] + ".", code="control_character")


def validate_free_text(value: str) -> None:
    if value and (problem := free_text_problem(value)):
        raise ValidationError(problem[:1].upper() + problem[1:] + ".", code="control_character")


# --- length ---

TITLE = 200  # an objective's or key result's title
NOTE = 2_000  # a check-in note, an objective's "why it matters", a reason, a flag and its answer
COMMENT = 5_000  # a comment on a review, a calibration note, an acknowledgement
SECTION = 10_000  # one section of a review, by the CSM or the reviewer


def _count(n: int) -> str:
    return formatting.integer(n)


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
    """``value`` when it is free text (no control character but line breaks and tabs, no bidi
    override) that fits in ``limit`` characters; else ``ValidationError({field: sentence})``."""
    try:
        MaxChars(limit)(value)
        validate_free_text(value)
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
    """Every save of a model with limited fields (its free text): each one within its limit and free of
    control characters and bidi overrides, or ValidationError with the field's name and the sentence
    (nothing is written)."""
    if raw:  # fixtures load as they are
        return
    errors: dict[str, list[str]] = {}
    for attname, name, validators in _limited_fields(sender):
        value = getattr(instance, attname)
        if not isinstance(value, str):
            continue
        for validator in [*validators, validate_free_text]:
            try:
                validator(value)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)


def limits_context(request) -> dict:
    """The limits for the pages' fields (``maxlength="{{ text_limits.note }}"``)."""
    return {"text_limits": {"title": TITLE, "note": NOTE, "comment": COMMENT, "section": SECTION}}
