"""What text the product stores: one rule for names and one for free text, for every way in (the
imports, the upload page, the API, the admin and the forms).

A name (a person's, a team's, an account's, an id) is one line: no line break, no control character
(ESC, BEL, NUL, ...) and no bidirectional override (U+202E turns "evil.exe" into what looks like
another name). A name with a line break cannot be put in an email header: every email about that
person would fail for good. Free text (comments, notes) may keep line breaks and tabs, and nothing
else of the above. Right-to-left marks (U+200E, U+200F, U+061C), which Arabic and Hebrew text needs,
are allowed in both.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 and C1 controls, DEL, the line and paragraph separators, the bidi embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069).
_NOT_IN_A_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NOT_IN_FREE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = "\n\r\x0b\x0c\x85\u2028\u2029"


def _why(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if char in _LINE_BREAKS:
        return str(_("contains a line break: a name is one line"))
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return str(_("contains a bidirectional override (%(code)s), which can disguise text")) % {
            "code": code
        }
    if char == "\t":
        return str(_("contains a tab: a name is one line of text"))
    return str(_("contains a control character (%(code)s)")) % {"code": code}


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name (one line of text), in words; None when it can."""
    if value.isprintable():  # the fast path: every character printable (no controls, no overrides)
        return None
    found = _NOT_IN_A_NAME.search(value)
    return _why(found.group()) if found else None


def free_text_problem(value: str) -> str | None:
    """Why ``value`` cannot be free text (line breaks and tabs allowed), in words; None when it can."""
    if value.isprintable():
        return None
    found = _NOT_IN_FREE_TEXT.search(value)
    return _why(found.group()) if found else None


def validate_name(value: str) -> None:
    """The model and form validator of names: User.name, Team.name, CustomerAccount.name, ..."""
    if value and (problem := name_problem(value)):
        raise ValidationError(problem[:1].upper() + problem[1:] + ".", code="control_character")


def validate_free_text(value: str) -> None:
    if value and (problem := free_text_problem(value)):
        raise ValidationError(problem[:1].upper() + problem[1:] + ".", code="control_character")
