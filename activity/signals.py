"""Signals of data loading: other apps (the KPI engine) listen without ``activity`` depending on them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

from core.said import Said

# Sent once a load has been written and committed, with ``kind`` and ``result``
# (datain.services.ImportResult). ``result.first_day`` and ``result.last_day`` are the days its rows
# touch, in the organisation's time zone (both None when the load changed nothing). A receiver may
# answer a ``FollowUp``: what happens next because of the load, told to whoever loaded it (the
# command prints it, the upload page shows it, the API answers it).
data_imported = Signal()


@dataclass(frozen=True)
class FollowUp:
    notice: str  # one sentence for a CS ops person, e.g. when the numbers will refresh
    periods: tuple[str, ...] = ()  # what is recomputed, e.g. ("2026-07", "2026-08", "2026-Q3")
    due_at: datetime.datetime | None = None  # when, about
    # The notice as a key and its parameters (core.said), for what is stored (an import's message):
    # ``notice`` is its words in the language of the load, for whoever loaded it now.
    said: Said | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "notice": self.notice,
            "code": self.said.key if self.said else "",
            "periods": list(self.periods),
            "due_at": self.due_at.isoformat() if self.due_at else None,
        }
