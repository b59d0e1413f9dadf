"""Every API endpoint, under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from datain.apis import IngestApi, ingest_view
from datain.kinds import KINDS
from kpis.apis import KpiExportApi, ScorecardApi
from notifications.apis import TodoApi
from okrs.apis import CheckInViewSet, KeyResultViewSet, ObjectiveViewSet
from reviews.apis import ReviewViewSet
from reviews.cycles.apis import CycleViewSet
from reviews.input.apis import InputRequestViewSet
from reviews.notes.apis import FeedbackNoteViewSet

router = DefaultRouter()
router.register("objectives", ObjectiveViewSet, basename="api-objective")
router.register("key-results", KeyResultViewSet, basename="api-key-result")
router.register("check-ins", CheckInViewSet, basename="api-check-in")
router.register("reviews", ReviewViewSet, basename="api-review")
router.register("cycles", CycleViewSet, basename="api-cycle")
router.register("feedback-notes", FeedbackNoteViewSet, basename="api-feedback-note")
router.register("input-requests", InputRequestViewSet, basename="api-input-request")

urlpatterns = [
    # One path (and operation in the schema) per kind, its body typed by the kind's columns; the
    # catch-all answers an unknown kind's 404. One name: reverse("api-ingest", args=[kind]).
    *[
        path(f"ingest/{name}/", ingest_view(name).as_view(), {"kind": name}, name="api-ingest")
        for name in KINDS
    ],
    path("ingest/<str:kind>/", IngestApi.as_view(), name="api-ingest"),
    path("kpis/", KpiExportApi.as_view(), name="api-kpis"),
    path("scorecards/<int:user_id>/", ScorecardApi.as_view(), name="api-scorecard"),
    path("todos/", TodoApi.as_view(), name="api-todos"),
    path("", include(router.urls)),
]
