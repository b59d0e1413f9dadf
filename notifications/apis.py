"""GET /api/v1/todos/: what is waiting for the person asking (the home page's to-dos)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.selectors import todos_for


class TodoSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="What sort of to-do, e.g. acknowledge, review_to_write, import_failed."
    )
    text = serializers.CharField(help_text="What to do, in words, in the language asked for.")
    url = serializers.CharField(help_text="The page where it is done (a path of this site).")
    due = serializers.DateField(allow_null=True, help_text="When it is due, if it has a due date.")
    overdue = serializers.BooleanField()


class TodoApi(APIView):
    @extend_schema(responses=TodoSerializer(many=True), summary="My to-dos, most urgent first")
    def get(self, request: Request) -> Response:
        todos = todos_for(request.user)
        return Response(TodoSerializer([t.as_dict() for t in todos], many=True).data)
