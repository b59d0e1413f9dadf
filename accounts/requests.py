"""The signed-in person behind a page or an API call, as the type checker sees it.

Django's ``request.user`` is a person or ``AnonymousUser``; behind ``login_required`` (pages) or
``IsAuthenticated`` (the API's default) it is always a person, which the types cannot know. Pages
annotate their request as ``PersonRequest``; API views read the person with ``api_person``.
"""

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from accounts.models import User


class PersonRequest(HttpRequest):
    """The request of a page behind ``login_required``: ``user`` is a signed-in person.

    Only a type annotation: Django still builds a plain ``HttpRequest``. Use it only on views that
    ``login_required`` guards (a view without it would see ``AnonymousUser`` here)."""

    user: User


def api_person(request: Request) -> User:
    """The person behind an API call (the API's default permissions admit no one else); an
    anonymous call is answered 401/403 by DRF, never a 500."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
