"""The person behind an API call (accounts.requests.api_person): a person, or 401/403, never a 500."""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.models import Role, User
from accounts.requests import api_person


def _request(user) -> Request:
    request = Request(APIRequestFactory().get("/api/v1/todos/"))
    request.user = user
    return request


def test_api_person_is_the_signed_in_person():
    person = User(email="ana@example.com", role=Role.CSM)
    assert api_person(_request(person)) is person


def test_an_anonymous_call_is_refused_as_not_signed_in():
    with pytest.raises(NotAuthenticated):
        api_person(_request(AnonymousUser()))
