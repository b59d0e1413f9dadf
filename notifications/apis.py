"""GET /api/v1/todos/: what is waiting for the person asking (the home page's to-dos)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers

from accounts.requests import api_person
from core.openapi import PEOPLE
from notifications.selectors import todos_for


class TodoSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="What sort of to-do, a stable code: for a CSM self_review, acknowledge, "
        "flag_answered, key_result_stale; for a reviewer (manager, HR or CS ops / admin) "
        "review_to_start, review_to_write, flag_open, calibration; for a manager team_okrs_stale; for "
        "HR cycle_to_open, overdue_reviews, reviews_to_finalize, cycle_to_calibrate, cycle_to_close; "
        "for CS ops / admin import_failed, kpi_run_failed, kpi_run_late."
    )
    text = serializers.CharField(help_text="What to do, in words, in the language asked for.")
    url = serializers.CharField(help_text="The page where it is done (a path of this site).")
    due = serializers.DateField(allow_null=True, help_text="When it is due, if it has a due date.")
    overdue = serializers.BooleanField(help_text="True when the due date has passed.")


@extend_schema_view(get=extend_schema(operation_id="list_todos"))
@extend_schema(
    tags=["todos"],
    summary="My to-dos, most urgent first",
    description="What is waiting for the person asking, as on their home page: overdue first, then by "
    "due date, then those without one. Each names its kind, says what to do and links the page where "
    "it is done. A CSM gets their own reviews, flags and stale key results; a manager the reviews they "
    "write and their teams' OKRs; HR the cycles and late reviews, and their own reviews to write; CS "
    "ops / admin failed imports and late KPI runs, and their own reviews to write.\n\n"
    "**Who**: any person; an integration token gets 403.",
    responses={200: TodoSerializer(many=True), **PEOPLE},
)
class TodoApi(generics.ListAPIView):
    """Paginated like every list (``?limit=``, ``?offset=``)."""

    serializer_class = TodoSerializer

    def get_queryset(self):
        return [t.as_dict() for t in todos_for(api_person(self.request))]
