from django.urls import path

from datain import views
from datain.sources import views as source_views

urlpatterns = [
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:run_id>/", views.import_detail, name="import-detail"),
    path("imports/<int:run_id>/status/", views.import_status, name="import-status"),
    path("imports/<int:run_id>/confirm/", views.import_confirm, name="import-confirm"),
    path("imports/<int:run_id>/retry/", views.import_retry, name="import-retry"),
    path("imports/sources/", source_views.sources_list, name="sources-list"),
]
