"""Signals of the KPI engine. Other apps listen without the engine depending on them."""

from django.dispatch import Signal

# Sent once a run is published (after its transaction committed), with ``run``.
run_published = Signal()
