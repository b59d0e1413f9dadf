"""Every API endpoint, under /api/v1/."""

from django.urls import path

from activity.apis import IngestApi
from kpis.apis import KpiExportApi

urlpatterns = [
    path("ingest/<str:kind>/", IngestApi.as_view(), name="api-ingest"),
    path("kpis/", KpiExportApi.as_view(), name="api-kpis"),
]
