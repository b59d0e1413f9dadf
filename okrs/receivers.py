"""Receivers: thin, they call a service."""

from okrs import services


def on_run_published(sender, run, **kwargs) -> None:
    """Every published nightly run moves the metric-linked key results of its quarter."""
    services.key_results_update_from_run(run=run)
