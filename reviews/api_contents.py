"""What a review holds as JSON, described for the OpenAPI schema (descriptions only). The snapshot is the scorecard frozen with the quarter's OKRs and its
expected-results model (``reviews.writing.snapshot.snapshot_build``); the suggested rating's detail
is ``reviews.writing.snapshot.suggested_rating``'s; the self-review and the manager's part are
per section of the review's template. Both are stored with keys and parameters only: the API gives
their words (names, definitions, the freshness warning) in the caller's language."""

from rest_framework import serializers

from core.openapi import DecimalText, json_shape
from kpis.apis import DECIMAL_TEXT, SCORECARD_FIELDS
from kpis.models import FitStatus
from okrs.models import Commitment, KrKind


def _decimal(text: str, *, null: bool = False) -> DecimalText:
    tail = "; null when none" if null else ""
    return DecimalText(allow_null=null, help_text=f"{text}: {DECIMAL_TEXT}{tail}.")


SNAPSHOT_KEY_RESULT = json_shape(
    "ReviewSnapshotKeyResult",
    {
        "title": serializers.CharField(help_text="The key result's title."),
        "kind": serializers.ChoiceField(
            choices=KrKind.choices, help_text="metric (linked to a KPI), numeric or milestone."
        ),
        "baseline": _decimal("Where it started", null=True),
        "target": _decimal("Where it aims", null=True),
        "current": _decimal("Where it stood when the snapshot was taken", null=True),
        "done": serializers.BooleanField(help_text="A milestone: whether it was done (false otherwise)."),
        "progress": _decimal("Its progress, 0 to 1"),
    },
    many=True,
    help_text="The objective's key results, in their order.",
)
SNAPSHOT_OKRS = json_shape(
    "ReviewSnapshotOkrs",
    {
        "score": _decimal(
            "The CSM's OKR score of the quarter (the mean of the objectives' scores, 0 to 1)", null=True
        ),
        "objectives": json_shape(
            "ReviewSnapshotObjective",
            {
                "title": serializers.CharField(help_text="The objective's title."),
                "commitment": serializers.ChoiceField(
                    choices=Commitment.choices,
                    help_text="committed (expected to reach 1.0) or aspirational (0.7 is a success).",
                ),
                "expected": _decimal("The score expected of it: 1.0 committed, 0.7 aspirational"),
                "score": _decimal("Its score, 0 to 1", null=True),
                "key_results": SNAPSHOT_KEY_RESULT,
            },
            many=True,
            help_text="The CSM's objectives of the quarter.",
        ),
    },
    help_text="The CSM's OKRs of the quarter and their scores, as they stood.",
)
SNAPSHOT_FIT = json_shape(
    "ReviewSnapshotFit",
    {
        "outcome": serializers.CharField(
            help_text="The outcome modelled: logo_retention, gross_retention or nrr."
        ),
        "fit": serializers.IntegerField(help_text="The fit's id."),
        "run": serializers.IntegerField(help_text="The id of the KPI run it belongs to."),
        "period": serializers.CharField(help_text="The quarter it expects results for (2026-Q3)."),
        "version": serializers.CharField(help_text="The method's version."),
        "status": serializers.ChoiceField(
            choices=FitStatus.choices,
            help_text="ok (used), withheld (badly calibrated on the held-out quarter) or no_history.",
        ),
        "fitted_at": serializers.DateTimeField(help_text="When it was fitted (ISO 8601)."),
        "training_quarters": serializers.ListField(
            child=serializers.CharField(), help_text="The quarters it was fitted on."
        ),
        "held_out_quarter": serializers.CharField(
            help_text="The quarter it was checked on; empty when none."
        ),
    },
    many=True,
    help_text="The expected-results model the lifts came from, per outcome; absent from a snapshot "
    "taken before expected results existed.",
)
SNAPSHOT = json_shape(
    "ReviewSnapshot",
    {
        **SCORECARD_FIELDS,
        "okrs": SNAPSHOT_OKRS,
        "expected_model": SNAPSHOT_FIT,
        "taken_at": serializers.DateTimeField(help_text="When the snapshot was taken (ISO 8601)."),
    },
    may_be_absent=("expected_model",),
)

_METRIC = serializers.CharField(help_text="The metric's key (docs/metrics.md), or okr_score for the OKRs.")
_NAME = serializers.CharField(help_text="The metric's name, in the caller's language.")
_WEIGHT = _decimal("Its weight in the template")
# What a part of the rating and a part left out share: the template's spec of a metric (not of the
# OKR part) and the value and sample it was judged on.
_SPEC = {
    "floor": _decimal("The value that earns the bottom of the scale"),
    "target": _decimal("The value that earns its middle"),
    "stretch": _decimal("The value that earns its top"),
    "sample": serializers.IntegerField(help_text="The sample the value rests on."),
    "min_sample": serializers.IntegerField(
        allow_null=True, help_text="The smallest sample the template scores; null when any."
    ),
}
_NOT_OKR = ("floor", "target", "stretch", "sample", "min_sample")
SUGGESTED_PART = json_shape(
    "SuggestedRatingPart",
    {
        "metric": _METRIC,
        "name": _NAME,
        "weight": _WEIGHT,
        **_SPEC,
        "value": _decimal("The value judged"),
        "rating": _decimal("The rating it earns on the scale"),
        "share": _decimal("Its share of the weight used, in percent"),
        "contribution": _decimal("What it adds to the suggested rating"),
    },
    # The OKR part has no floor, target, stretch nor sample; a detail written before the
    # explanation existed has no shares, contributions nor floors.
    may_be_absent=(*_NOT_OKR, "share", "contribution"),
    many=True,
    help_text="The parts that made the rating, with their weights.",
)
SUGGESTED_LEFT_OUT = json_shape(
    "SuggestedRatingLeftOut",
    {
        "metric": _METRIC,
        "name": _NAME,
        "weight": _WEIGHT,
        **_SPEC,
        "value": _decimal("The value, when there was one", null=True),
        "reason": serializers.ChoiceField(
            choices=["no_data", "few_data", "no_expectation"],
            help_text="no_data (no value), few_data (a sample below min_sample) or no_expectation (a "
            "lift without an expected result); its weight was shared among the parts.",
        ),
    },
    may_be_absent=_NOT_OKR,
    many=True,
    help_text="The parts left out and why.",
)
SUGGESTED_DETAIL = json_shape(
    "SuggestedRatingDetail",
    {
        "version": serializers.IntegerField(help_text="The detail's format (2)."),
        "scale": serializers.ListField(
            child=serializers.IntegerField(), help_text="The bottom and the top of the rating scale."
        ),
        "parts": SUGGESTED_PART,
        "left_out": SUGGESTED_LEFT_OUT,
        "missing": serializers.ListField(
            child=serializers.CharField(), help_text="The keys of the parts left out."
        ),
        "weight_total": _decimal("The template's weights, all of them"),
        "weight_used": _decimal("The weights of the parts used"),
        "rounded": serializers.IntegerField(help_text="The suggested rating rounded to the scale."),
    },
    # A detail written before the explanation existed holds only parts and missing; one with no
    # part used has no rounded rating.
    may_be_absent=("version", "scale", "left_out", "weight_total", "weight_used", "rounded"),
)
SECTION_TEXTS = {
    "type": "object",
    "additionalProperties": {"type": "string", "description": "The section's text."},
}
SECTION_RATINGS = {
    "type": "object",
    "additionalProperties": {
        "type": "integer",
        "nullable": True,
        "description": "A value of the template's scale; null when the section is not rated yet.",
    },
}
SECTION_QUOTES = {
    "type": "object",
    "description": "Section key → the customers' words picked as evidence for it, as they read when picked.",
    "additionalProperties": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["survey", "kind", "score", "comment", "account", "account_name", "responded_at"],
            "properties": {
                "survey": {"type": "integer", "description": "The survey response's id."},
                "kind": {"type": "string", "enum": ["nps", "csat"], "description": "nps or csat."},
                "score": {"type": "integer", "description": "The score given (NPS 0–10, CSAT 1–5)."},
                "comment": {"type": "string", "description": "The customer's comment."},
                "account": {"type": "integer", "description": "The account's id."},
                "account_name": {"type": "string", "description": "The account's name when picked."},
                "responded_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When the customer answered (ISO 8601).",
                },
            },
        },
    },
}
