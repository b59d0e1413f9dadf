"""Sentences kept as a key and its parameters, put into words when read, in the reader's language.

What the product writes down for later (an import's errors and outcome, a job's failure, why a sign-in
was refused, why an email could not be sent) is stored as a key and JSON parameters, never as a
sentence: the same record is read by people in different languages, and by the API, which gives the
key as a stable code next to the words.

Each app registers the sentences of its keys (``@says("datain.required")``) in the one registry here,
so that a page or the admin of any app can put any stored key into words without importing the app
that said it. A stored value that is not a known key is text stored before keys were kept (or
another system's own text): it is shown as it is (``words(text, {})`` answers ``text``).

Parameters are JSON: numbers, ISO dates and moments, people's names, values quoted from a file. A
parameter may itself be a sentence, kept as ``{"said": key, "params": {...}}`` (``Said.stored``):
it is put into words first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Params = dict[str, Any]
_SAID: dict[str, Callable[[Params], str]] = {}


def says(key: str) -> Callable[[Callable[[Params], str]], Callable[[Params], str]]:
    """Register the words of ``key``: a function of its parameters answering the sentence in the
    language active when it is called."""

    def register(fn: Callable[[Params], str]) -> Callable[[Params], str]:
        if key in _SAID and _SAID[key] is not fn:
            raise KeyError(f"the key {key!r} is said twice")
        _SAID[key] = fn
        return fn

    return register


def known(key: str) -> bool:
    return key in _SAID


@dataclass(frozen=True)
class Said:
    """A sentence not yet put into words: its key and its parameters (JSON). ``str()`` says it in the
    language active then."""

    key: str
    params: Params = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.key not in _SAID:
            raise KeyError(f"no sentence has the key {self.key!r}")

    def __str__(self) -> str:
        return words(self.key, self.params)

    def stored(self) -> dict[str, Any]:
        return {"said": self.key, "params": self.params}


def said(key: str, /, **params: Any) -> Said:
    """The sentence ``key`` with ``params``; a parameter that is a ``Said`` is kept as one."""
    return Said(key, {k: v.stored() if isinstance(v, Said) else v for k, v in params.items()})


def _worded(params: Params) -> Params:
    return {
        k: words(v["said"], v.get("params") or {}) if isinstance(v, dict) and "said" in v else v
        for k, v in params.items()
    }


def words(key: str, params: Params | None = None) -> str:
    """What ``key`` says with ``params``, in the active language. Text that is no key (stored before
    keys were kept) is answered as it is; parameters it cannot read answer the key itself."""
    fn = _SAID.get(key)
    if fn is None:
        return key
    try:
        return fn(_worded(params or {}))
    except (KeyError, TypeError, ValueError, IndexError):
        return key


def stored_words(value: Any) -> str:
    """A sentence kept as ``{"said": key, "params": {...}}``, or as text: in words."""
    if isinstance(value, dict) and "said" in value:
        return words(value["said"], value.get("params") or {})
    return "" if value is None else str(value)
