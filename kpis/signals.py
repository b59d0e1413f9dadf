"""Signals of the KPI engine. Other apps listen without the engine depending on them."""

from django.dispatch import Signal

# Sent once a run is published (after its transaction committed), with ``run``.
run_published = Signal()
# Sent when a run fails (an error, or abandoned when its lock expired), with ``run`` (status failed,
# ``error`` says why). The previous published values stay.
run_failed = Signal()
