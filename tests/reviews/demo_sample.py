"""The demo reviews a test renders one of each kind of: the PDF and the page of a review are drawn
from its status and cycle (what is shown, what is asked, what is hidden); reviews of the same kind
differ only in their numbers and the length of their texts. Rendering every demo review (40) took
the longest part of the suite; the fullest review of each kind stands for its kind (the longest
text and tables it can have), and the emptiest of all for the short end."""

from __future__ import annotations

from collections.abc import Iterable

from reviews.models import Review


def size(review: Review) -> int:
    """How much a review carries: its stored fields written out (texts, snapshot, ratings)."""
    return sum(len(str(getattr(review, f.attname))) for f in Review._meta.concrete_fields)


def one_of_each_kind(reviews: Iterable[Review], also: Iterable[Review] = ()) -> list[Review]:
    """The fullest review of each (cycle, status), the emptiest review of all, and ``also``; in the
    order given."""
    reviews = list(reviews)
    fullest: dict[tuple[int, str], Review] = {}
    for r in reviews:
        kind = (r.cycle_id, r.status)
        if kind not in fullest or size(r) > size(fullest[kind]):
            fullest[kind] = r
    chosen = {r.pk for r in fullest.values()} | {min(reviews, key=size).pk} | {r.pk for r in also}
    return [r for r in reviews if r.pk in chosen]
