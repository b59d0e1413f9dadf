"""Every API endpoint, under /api/v1/."""

from django.urls import path

from activity.apis import IngestApi
from kpis.apis import KpiExportApi, ScorecardApi

urlpatterns = [
    path("ingest/<str:kind>/", IngestApi.as_view(), name="api-ingest"),
    path("kpis/", KpiExportApi.as_view(), name="api-kpis"),
    path("scorecards/<int:user_id>/", ScorecardApi.as_view(), name="api-scorecard"),
]
