"""Every error message a person can read is marked for translation where it is raised.

The production code is parsed with ``ast``. A message is a string literal (or an f-string, or a
literal formatted with ``%`` / ``.format``) with at least one letter, given to

- an exception raised or built (``ValidationError("...")``, ``PermissionDenied("...")``,
  ``NotFound("...")``, ``PeriodError("...")``, ...; a dict or list of messages too), or
- an entry of an errors dict (``errors["title"] = "..."``, then ``raise ValidationError(errors)``),
  or of a field's ``error_messages``,

without going through ``gettext`` / ``gettext_lazy`` / ``ngettext`` (``_``). Exceptions that only
programmers and operators read (``ValueError``, ``TypeError``, ``ImproperlyConfigured``,
``CommandError``, ...) are not messages to a person.

The last tests plant violations to show that the scan catches them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "core",
    "accounts",
    "activity",
    "datain",
    "kpis",
    "okrs",
    "reviews",
    "notifications",
    "scim",
    "web",
    "demo",
    "devtools",
    "config",
]
NOT_YET_SCANNED: list[str] = []

# Read by programmers and operators, never shown to a person on a page or in an API answer.
INTERNAL = {
    "ValueError",
    "TypeError",
    "RuntimeError",
    "KeyError",
    "IndexError",
    "LookupError",
    "AttributeError",
    "AssertionError",
    "NotImplementedError",
    "OSError",
    "ImproperlyConfigured",
    "CommandError",
    "ChatError",  # the reason a chat post failed, for the task's retry and the log
}
# Error records whose other arguments are data, not words: only the message at this position is
# scanned. RowError(row, column, value, code, message): the column is the name of a column of the
# file or the API's rows ("team", "mrr_delta"), quoted as it is, never translated.
MESSAGE_POSITION = {"RowError": 4}
MESSAGE_EXCEPTIONS = {"PermissionDenied", "NotFound", "Http404", "ParseError", "NotAuthenticated"}
TRANSLATIONS = {
    "_",
    "_l",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "format_lazy",
}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _untranslated(node: ast.AST | None):
    """The literal texts reachable from ``node`` without passing through a translation call."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if any(c.isalpha() for c in node.value):
            yield node
    elif isinstance(node, ast.JoinedStr):
        yield node
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        yield from _untranslated(node.left)
        if isinstance(node.op, ast.Add):
            yield from _untranslated(node.right)
    elif isinstance(node, ast.Call) and _name(node.func) == "format":
        if isinstance(node.func, ast.Attribute):
            yield from _untranslated(node.func.value)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _untranslated(value)
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for item in node.elts:
            yield from _untranslated(item)
    elif isinstance(node, ast.IfExp):
        yield from _untranslated(node.body)
        yield from _untranslated(node.orelse)


def _is_message_exception(name: str) -> bool:
    return (
        name not in INTERNAL and (name.endswith("Error") or name in MESSAGE_EXCEPTIONS) and name[:1].isupper()
    )


def untranslated_messages(source: str, path: str) -> list[str]:
    found: list[ast.AST] = []
    for node in ast.walk(ast.parse(source, filename=path)):
        texts: list[ast.AST] = []
        if isinstance(node, ast.Call) and _is_message_exception(_name(node.func)):
            position = MESSAGE_POSITION.get(_name(node.func))
            args = node.args if position is None else node.args[position : position + 1]
            for arg in [
                *args,
                *(k.value for k in node.keywords if k.arg in (None, "message", "detail")),
            ]:
                texts += _untranslated(arg)
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and (
                    _name(target.value).endswith("errors") or _name(target.value) == "error_messages"
                ):
                    texts += _untranslated(node.value)
        found += texts
    return [f"{path}:{t.lineno}: {ast.unparse(t)[:80]}" for t in sorted(found, key=lambda t: t.lineno)]


def production_sources() -> list[Path]:
    apps = [a for a in APPS if a not in NOT_YET_SCANNED]
    return sorted(p for a in apps for p in (ROOT / a).rglob("*.py") if "migrations" not in p.parts)


def test_every_error_message_is_marked_for_translation():
    sources = production_sources()
    assert any(p.match("okrs/services.py") for p in sources)
    problems = [
        problem
        for p in sources
        for problem in untranslated_messages(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))
    ]
    assert not problems, "\nMark these for translation (gettext, named placeholders):\n" + "\n".join(problems)


def test_planted_untranslated_messages_are_caught():
    source = """
from django.utils.translation import gettext as _

def f(period, errors, exc):
    raise ValidationError("A title is required.")
    raise ValidationError({"period": f"{period} is closed."})
    raise PermissionDenied(_("You may not."))
    raise PeriodError(_("%(text)s is not a period.") % {"text": period})
    raise ValueError(f"internal: {period}")
    errors["title"] = "A title is required."
    errors["target"] = _("A target is required.")
    raise NotFound("No such CSM.")
    raise ValidationError(problem + ".", code="x")
    raise ValidationError(str(exc))
    self.error_messages["does_not_exist"] = f"No such {period}."
    raise ValidationError([_("Fine."), "Not fine."])
    errors.append(RowError(3, "team", "Sales", "code", _("is not a team")))
    yield RowError(4, "team", "", "code", "is missing")
    yield RowError(5, "", "", "code", message=f"{period} is closed")
"""
    assert untranslated_messages(source, "x.py") == [
        "x.py:5: 'A title is required.'",
        "x.py:6: f'{period} is closed.'",
        "x.py:10: 'A title is required.'",
        "x.py:12: 'No such CSM.'",
        "x.py:15: f'No such {period}.'",
        "x.py:16: 'Not fine.'",
        "x.py:18: 'is missing'",
        "x.py:19: f'{period} is closed'",
    ]
