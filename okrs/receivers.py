"""Receivers: thin, they call a service. ``connect`` is called once by ``OkrsConfig.ready``."""

from kpis.signals import run_published
from okrs import services


def on_run_published(sender, run, **kwargs) -> None:
    """Every published nightly run moves the metric-linked key results of its quarter."""
    services.key_results_update_from_run(run=run)


def connect() -> None:
    run_published.connect(on_run_published, dispatch_uid="okrs.metric_key_results")
