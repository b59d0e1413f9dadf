"""Delighted survey responses → ``surveys``.

Reads what ``GET /v1/survey_responses.json`` answers: a list of responses (``id``, ``score``,
``comment``, ``created_at`` in unix seconds, ``survey_type``, ``person_properties``), or a list of
such pages. One response, one survey row:

- ``external_id`` = ``delighted:`` + ``id``; ``responded_at`` = ``created_at``: a unix time is a
  moment, written in the organisation's time zone, so a response at 23:30 UTC on 30 June is a July
  response in Madrid;
- ``kind``: ``nps`` (0-10) and ``csat`` (1-5) as they are; Delighted's other survey types have
  scales of their own and are errors;
- ``score``, ``comment`` as they are;
- the account: the person property named by ``DELIGHTED_ACCOUNT_PROPERTY`` (default
  ``account_id``) through the account crosswalk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings

from core.said import said
from datain import words as w
from datain.sources.base import (
    Bad,
    Crosswalks,
    Item,
    Mapped,
    Problem,
    iso,
    not_a_record,
    records_of,
    unix_datetime,
)

SURVEY_TYPES = {"nps": "nps", "csat": "csat"}


def fields() -> dict[str, dict[str, str]]:
    return {
        "surveys": {
            "external_id": "id",
            "account_external_id": f"person_properties.{settings.DELIGHTED_ACCOUNT_PROPERTY}",
            "responded_at": "created_at",
            "kind": "survey_type",
            "score": "score",
            "comment": "comment",
        }
    }


class Delighted:
    name = "delighted"
    title = "Delighted"

    @property
    def fields(self) -> dict[str, dict[str, str]]:
        return fields()

    def normalise(self, source_id: str) -> str:
        return source_id

    def items(self, kind: str, payload: Any, crosswalks: Crosswalks) -> Iterator[Item]:
        responses = records_of(payload, ("survey_responses", "responses"))
        if responses and all(isinstance(p, list) for p in responses):  # several pages saved together
            responses = [r for page in responses for r in page]
        prop = settings.DELIGHTED_ACCOUNT_PROPERTY
        for line, response in enumerate(responses, start=1):
            if not isinstance(response, dict):
                yield not_a_record(line)
                continue
            label = said(w.L_RESPONSE, id=response.get("id"), line=line)
            try:
                cells = self.response(response, prop, crosswalks)
            except Bad as bad:
                yield Problem(
                    line,
                    label,
                    bad.field,
                    bad.value,
                    bad.code,
                    said(w.FIELD_PROBLEM, field=bad.field, problem=bad.message),
                )
                continue
            yield Mapped(line, label, cells)

    def response(self, response: dict[str, Any], prop: str, crosswalks: Crosswalks) -> dict[str, str]:
        if response.get("id") in (None, ""):
            raise Bad("id", "", said(w.MISSING))
        survey_type = response.get("survey_type") or "nps"  # older answers carry no type: NPS
        if not isinstance(survey_type, str) or survey_type not in SURVEY_TYPES:
            raise Bad("survey_type", survey_type, said(w.NOT_NPS_OR_CSAT))
        properties = response.get("person_properties") or {}
        if not isinstance(properties, dict):
            raise Bad("person_properties", "", said(w.MUST_BE_AN_OBJECT))
        account = properties.get(prop)
        if account in (None, ""):
            raise Bad(f"person_properties.{prop}", "", said(w.RESPONDENT_MISSING))
        score = response.get("score")
        comment = response.get("comment")
        return {
            "external_id": f"delighted:{response['id']}",
            "account_external_id": crosswalks.account(account),
            "responded_at": iso(unix_datetime(response.get("created_at"), "created_at")),
            "kind": SURVEY_TYPES[survey_type],
            "score": "" if score is None else str(score),
            "comment": "" if comment is None else str(comment),
        }
