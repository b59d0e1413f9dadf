"""One way to fetch a people-scoped object: through ``visible_to``, answering 404 otherwise, and
recording the refusal when the object exists (an attempt to read someone else's data)."""

from __future__ import annotations

import logging
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from accounts.models import AccessDenial

log = logging.getLogger("csm.access")

M = TypeVar("M", bound=Model)


def access_denial_record(*, request: HttpRequest, what: str, object_id) -> None:
    user = request.user if request.user.is_authenticated else None
    AccessDenial.objects.create(user=user, what=what, object_id=str(object_id), path=request.path[:300])
    log.warning("access refused: %s tried to read %s %s (%s)", user, what, object_id, request.path)


def get_visible_or_404(*, request: HttpRequest, visible: QuerySet[M], pk, what: str) -> M:
    """``visible`` is already scoped to the user; a miss on an existing object is a recorded refusal."""
    try:
        obj = visible.filter(pk=pk).first()
    except (TypeError, ValueError, ValidationError):
        raise Http404 from None  # not even an id
    if obj is not None:
        return obj
    if visible.model._default_manager.filter(pk=pk).exists():
        access_denial_record(request=request, what=what, object_id=pk)
    raise Http404
