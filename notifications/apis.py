"""GET /api/v1/todos/: what is waiting for the person asking (the home page's to-dos)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from notifications.selectors import todos_for


class TodoSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="What sort of to-do, e.g. acknowledge, review_to_write, import_failed."
    )
    text = serializers.CharField(help_text="What to do, in words, in the language asked for.")
    url = serializers.CharField(help_text="The page where it is done (a path of this site).")
    due = serializers.DateField(allow_null=True, help_text="When it is due, if it has a due date.")
    overdue = serializers.BooleanField()


@extend_schema(summary="My to-dos, most urgent first")
class TodoApi(generics.ListAPIView):
    """Paginated like every list (``?limit=``, ``?offset=``)."""

    serializer_class = TodoSerializer

    def get_queryset(self):
        return [t.as_dict() for t in todos_for(self.request.user)]
