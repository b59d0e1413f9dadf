"""The catalogs' English sentences, and where one shows on a page meant for another language.

A reader of Spanish must never meet a msgid of three words or more whose translation differs from it
(``english_sentences``). ``EnglishFinder`` finds each such sentence in a text as ``sentence in text``
would (spaces folded), but by a lookup: a sentence of three words or more holds its second word whole
(only its first word may end a longer word of the text, only its last may begin one), so each word of
the text names the few sentences that could pass through it, and only those are compared word by
word. A page in Turkish holds almost no English word: finding nothing costs a lookup per word.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import polib
from django.utils.translation import to_locale

from tests.i18n.catalogs import ROOT

# A placeholder, an HTML tag or a line break: such a msgid is never shown as it is written.
NOT_LITERAL = re.compile(r"%|<|\n|\{")


def english_sentences(language: str, po: polib.POFile | None = None) -> list[str]:
    """The catalog's msgids of 3+ words that a reader of ``language`` should not see in English."""
    if po is None:
        po = polib.pofile(str(ROOT / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po"))
    return sorted(
        e.msgid
        for e in po
        if not e.obsolete
        and not e.msgid_plural
        and len(e.msgid.split()) >= 3
        and not NOT_LITERAL.search(e.msgid)
        # "Net Promoter Score (NPS)" keeps the English name: finding it says nothing.
        and e.msgid not in e.msgstr
    )


class EnglishFinder:
    def __init__(self, sentences: Iterable[str]):
        self.by_second_word: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
        for sentence in sentences:
            words = sentence.split()
            if len(words) < 3:  # a sentence is three words or more
                raise ValueError(f"{sentence!r}: fewer than three words")
            self.by_second_word[words[1]].append((" ".join(words), words))

    def found(self, text: str) -> list[str]:
        """The sentences ``text`` holds (each once), in the order they first show."""
        words = text.split()
        seen: dict[str, None] = {}
        for i in range(1, len(words) - 1):
            for sentence, parts in self.by_second_word.get(words[i], ()):
                n = len(parts)
                if (
                    i + n - 1 <= len(words)
                    and words[i - 1].endswith(parts[0])
                    and words[i : i + n - 2] == parts[1:-1]
                    and words[i + n - 2].startswith(parts[-1])
                ):
                    seen.setdefault(sentence)
        return list(seen)
