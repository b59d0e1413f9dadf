"""The KPI engine (docs/metrics.md): what a run computes, and the drill-down behind each number.

- ``components``: the typed names of what is counted (``C``) and one subject's ``Components``.
- ``formulas``: the metric definitions as pure functions of components (``derive``).
- ``blocks``: the SQL building blocks, each concept once (owners, balances, latest readings,
  events attributed to their owner).
- ``parts``: the parts of a run, each summing the blocks' rows for every CSM at once.
- ``drilldown``: the same rows for one CSM, and what they add up to.

Runs, their lock and their publication live in ``kpis.services``.
"""
