"""What every drill-down shares (kpis.engine.drilldown): the explanation it returns and how its
cells are written (money to the cent, counts of accounts, the total row's label)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpis.engine.components import Components

CENT = Decimal("0.01")


@dataclass
class Explanation:
    metric: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""
    # What the rows add up to, by the engine's definitions (one CSM's components).
    components: Components = field(default_factory=Components)
    # The column of the account's id (its name is in the next one); None when no row names one.
    account_column: int | None = None
    # The total rows, aligned with the columns (one per period for a comparison with the previous
    # period): the sums and counts that make the value, each in its column, the first cell the label.
    totals: list[list[Any]] = field(default_factory=list)
    # The day the rows are counted to, for a period in progress (None: the whole period).
    as_of: datetime.date | None = None


def money(x: Decimal | None) -> Decimal | None:
    return None if x is None else Decimal(x).quantize(CENT)


def accounts_words(n: int) -> str:
    return ngettext("%(n)s account", "%(n)s accounts", n) % {"n": n}


def of(k: int, n: int) -> str:
    return _("%(k)s of %(n)s") % {"k": k, "n": n}


def total_label() -> str:
    """The label of a total row (translated when the page is drawn, not when the module loads)."""
    return _("Total")
