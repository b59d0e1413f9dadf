# ruff: noqa: F811 -- the world fixture is imported from its module and named as a parameter
"""OKR texts have limits (core/text.py): a title 200 characters, a description, a check-in note
and a final score's reason 2,000; the same sentence on the page, in the API and from the model, and
nothing written past the limit."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from okrs import services
from okrs.models import CheckIn, Objective
from tests.okrs.test_okr_rows_history_and_tree import Q3
from tests.okrs.test_okr_rows_history_and_tree import w as okr_world  # noqa: F401 -- the fixture "w"


def test_a_check_in_note_of_2001_characters_is_refused_everywhere(client, okr_world):
    w = okr_world
    url = reverse("okrs-check-in", args=[w["kr"].pk])
    client.force_login(w["ann"])
    page = client.post(
        url, {"value": "2", "confidence": "5", "note": "n" * 2001}, HTTP_ACCEPT="application/json"
    )
    assert page.status_code == 400
    assert page.json()["errors"]["note"] == ["At most 2,000 characters (you wrote 2,001)."]
    api = APIClient()
    api.force_authenticate(w["ann"])
    body = {"key_result": w["kr"].pk, "value": "2", "confidence": 5, "note": "n" * 100_000}
    refused = api.post("/api/v1/check-ins/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["note"] == ["At most 2,000 characters (you wrote 100,000)."]
    with pytest.raises(ValidationError) as model:  # any other way in: the save itself refuses
        services.check_in_create(user=w["ann"], key_result=w["kr"], confidence=5, value="2", note="n" * 2001)
    assert model.value.message_dict == {"note": ["At most 2,000 characters (you wrote 2,001)."]}
    assert not CheckIn.objects.exists()
    # At the limit it is taken.
    services.check_in_create(user=w["ann"], key_result=w["kr"], confidence=5, value="2", note="n" * 2000)
    assert CheckIn.objects.get().note == "n" * 2000


def test_objective_title_and_description_limits_in_the_api_and_the_page(client, okr_world):
    w = okr_world
    api = APIClient()
    api.force_authenticate(w["ann"])
    body = {"period": Q3, "title": "t" * 201, "description": "d" * 2001, "csm": w["ann"].pk}
    refused = api.post("/api/v1/objectives/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["title"] == ["At most 200 characters (you wrote 201)."]
    assert refused.json()["description"] == ["At most 2,000 characters (you wrote 2,001)."]
    assert Objective.objects.count() == 2  # the fixture's two
    client.force_login(w["ann"])
    page = client.get(reverse("okrs-mine") + f"?period={Q3}").content.decode()
    assert 'maxlength="2000"' in page  # the textareas say the limit (description, notes)
    assert 'maxlength="200"' in page  # the titles


def test_free_text_refuses_control_characters_on_every_way_in_and_keeps_line_breaks(client, okr_world):
    """Free text (a check-in note here; every field with a limit, and a review's sections) may hold
    line breaks and tabs, never another control character (ESC) nor a bidi override (U+202E)."""
    w = okr_world
    client.force_login(w["ann"])
    page = client.post(
        reverse("okrs-check-in", args=[w["kr"].pk]),
        {"value": "2", "confidence": "5", "note": "done\x1b[31m"},
        HTTP_ACCEPT="application/json",
    )
    assert page.status_code == 400
    assert page.json()["errors"]["note"] == ["Contains a control character (U+001B)."]
    api = APIClient()
    api.force_authenticate(w["ann"])
    body = {"key_result": w["kr"].pk, "value": "2", "confidence": 5, "note": "evil\u202etxt.exe"}
    refused = api.post("/api/v1/check-ins/", body, format="json")
    assert refused.status_code == 400
    assert "bidirectional override (U+202E)" in refused.json()["note"][0]
    with pytest.raises(ValidationError):
        services.check_in_create(user=w["ann"], key_result=w["kr"], confidence=5, value="2", note="a\x07b")
    assert not CheckIn.objects.exists()
    services.check_in_create(
        user=w["ann"], key_result=w["kr"], confidence=5, value="2", note="line 1\n\tline 2"
    )
    assert CheckIn.objects.get().note == "line 1\n\tline 2"
