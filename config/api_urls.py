"""Every API endpoint, under /api/v1/."""

from django.urls import path

from activity.apis import IngestApi

urlpatterns = [
    path("ingest/<str:kind>/", IngestApi.as_view(), name="api-ingest"),
]
