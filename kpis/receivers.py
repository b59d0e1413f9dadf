"""Receivers of the KPI engine: what a publication, an import or a change of people sets off.

``connect`` is called once by ``KpisConfig.ready``. The cached KPI fragments (``kpis.pagecache``)
change with the runs and with the people; after a publication a worker renders them again
(``kpis.tasks.warm_pages``). The dependency goes one way: receivers → tasks → pagecache.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from accounts.models import Assignment, Team, User
from activity.signals import data_imported
from kpis import pagecache, refresh, tasks
from kpis.signals import run_published

log = logging.getLogger(__name__)


def on_run_published(sender, run, **kwargs) -> None:
    """A published run abandons the cached pages, then asks a worker to render them again."""
    pagecache.invalidate()
    if not settings.KPI_WARM_PAGES:
        return
    try:
        tasks.warm_pages.apply_async(args=[pagecache.version()], countdown=settings.KPI_WARM_DELAY_SECONDS)
    except Exception as exc:
        log.warning("could not schedule the warm-up of the KPI pages: %s", exc)


def connect() -> None:
    run_published.connect(on_run_published, dispatch_uid="kpis.pagecache.run")
    data_imported.connect(pagecache.invalidate, dispatch_uid="kpis.pagecache.import")
    # Fresh numbers after an import: a debounced run of each period it touched (kpis.refresh).
    data_imported.connect(refresh.on_data_imported, dispatch_uid="kpis.refresh.import")
    post_save.connect(pagecache.invalidate_for_user, sender=User, dispatch_uid="kpis.pagecache.user")
    post_delete.connect(pagecache.invalidate, sender=User, dispatch_uid="kpis.pagecache.user")
    for model in (Team, Assignment):
        for signal in (post_save, post_delete):
            signal.connect(
                pagecache.invalidate, sender=model, dispatch_uid=f"kpis.pagecache.{model.__name__}"
            )
