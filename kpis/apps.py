from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

        from accounts.models import Assignment, Team, User  # noqa: PLC0415
        from activity.signals import data_imported  # noqa: PLC0415
        from kpis import pagecache, refresh  # noqa: PLC0415
        from kpis.signals import run_published  # noqa: PLC0415

        # The cached KPI fragments (kpis.pagecache) change with the runs and with the people.
        run_published.connect(pagecache.on_run_published, dispatch_uid="kpis.pagecache.run")
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
