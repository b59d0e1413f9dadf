"""What a review is judged on: the template that weighs the numbers, the frozen snapshot of the
quarter's KPIs and OKRs, and the rating it suggests (docs/metrics.md, "The suggested rating")."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from accounts.models import User
from kpis.models import ExpectedFit
from kpis.periods import Period
from kpis.registry import EXPECTED, LOWER, REGISTRY, same_quantity_pairs
from kpis.scorecards import Peers, scorecard
from okrs.selectors import okr_score_of
from reviews.models import (
    DEFAULT_INPUT_QUESTIONS,
    DEFAULT_KPI_WEIGHTS,
    DEFAULT_SCALE,
    DEFAULT_SECTIONS,
    Review,
    ReviewTemplate,
    default_min_samples,
)
from reviews.wording import OKR_SCORE, metric_name


def _json(data) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def template_default() -> ReviewTemplate:
    # Written as written (English), whatever the language of the request that first needs it: its
    # translations are added per language in the admin (reviews/translation.py).
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        return _template_default()


def _default_words_in(language: str) -> dict[str, list[dict]]:
    """The default template's words in ``language``, from the catalogs (its translation columns)."""
    with translation.override(language):
        return {
            "sections": [{**s, "title": translation.gettext(s["title"])} for s in DEFAULT_SECTIONS],
            "rating_scale": [{**s, "label": translation.gettext(str(s["label"]))} for s in DEFAULT_SCALE],
            "input_questions": [
                {**q, "text": translation.gettext(q["text"])} for q in DEFAULT_INPUT_QUESTIONS
            ],
        }


def _template_default() -> ReviewTemplate:
    # The product writes this template, so it arrives translated into every language it speaks; an
    # admin's edit of the English later shows as written wherever they do not translate it again.
    translated = {
        build_localized_fieldname(field, language): words
        for language in settings.MODELTRANSLATION_LANGUAGES
        if language != settings.MODELTRANSLATION_DEFAULT_LANGUAGE
        for field, words in _default_words_in(language).items()
    }
    template, _created = ReviewTemplate.objects.get_or_create(
        name="Quarterly CSM review",
        defaults={
            "sections": DEFAULT_SECTIONS,
            "rating_scale": DEFAULT_SCALE,
            "kpi_weights": DEFAULT_KPI_WEIGHTS,
            "min_samples": default_min_samples(),
            **translated,
        },
    )
    return template


def template_validate(*, sections, rating_scale, kpi_weights) -> None:
    errors = {}
    if not sections or not all(isinstance(s, dict) and s.get("key") and s.get("title") for s in sections):
        errors["sections"] = _("Every section needs a key and a title.")
    values = [s.get("value") for s in rating_scale] if isinstance(rating_scale, list) else []
    if len(values) < 2 or not all(isinstance(v, int) for v in values) or values != sorted(set(values)):
        errors["rating_scale"] = _("The scale is at least two increasing whole numbers, each with a label.")
    for key, spec in (kpi_weights or {}).items():
        metric = REGISTRY.get(key)
        if metric is None or not metric.scored:
            errors["kpi_weights"] = _("%(key)s is not a scored metric (see the metric definitions).") % {
                "key": key
            }
            break
        if metric.group == EXPECTED and not key.endswith("_lift"):
            errors["kpi_weights"] = _(
                "%(key)s describes a lift (its expected value or an end of its interval): weigh the lift itself."
            ) % {"key": key}
            break
        try:
            w, f, t, s = (Decimal(str(spec[k])) for k in ("weight", "floor", "target", "stretch"))
        except (KeyError, ArithmeticError, ValueError):
            errors["kpi_weights"] = _("%(key)s needs a weight, a floor, a target and a stretch value.") % {
                "key": key
            }
            break
        ordered = f < t < s if metric.direction != LOWER else f > t > s
        if w <= 0 or not ordered:
            errors["kpi_weights"] = _(
                "%(key)s: the weight must be above 0 and floor, target and stretch must go in the "
                "metric's better direction (%(direction)s)."
            ) % {"key": key, "direction": metric.direction}
            break
    if errors:
        raise ValidationError(errors)


# What identifies each item of a template's lists: a translation keeps it, changing only the words.
_IDS = {"sections": "key", "rating_scale": "value", "input_questions": "key"}


def questions_validate(questions) -> None:
    """The questions to colleagues: a list of items, each with its own key and a text."""
    ok = isinstance(questions, list) and all(
        isinstance(q, dict) and q.get("key") and isinstance(q.get("text"), str) and q["text"].strip()
        for q in questions
    )
    if not ok or len({q["key"] for q in questions}) != len(questions):
        raise ValidationError(_("Every question needs its own key and a text."))


def translation_validate(name: str, base, translated) -> None:
    """A translation of a template's ``name`` list (``sections``, ``rating_scale``,
    ``input_questions``) is empty (the template is read as written) or the same items, in the same
    order, with their words in its language."""
    if translated in (None, [], ""):
        return
    ident = _IDS[name]
    ok = isinstance(translated, list) and all(isinstance(i, dict) for i in translated)
    if not ok or [i.get(ident) for i in translated] != [i.get(ident) for i in base or []]:
        raise ValidationError(
            _(
                "A translation has the same items as the text as written, in the same order (the same "
                "%(ident)s each), with only their words translated; or leave it empty."
            )
            % {"ident": ident}
        )
    words = {"sections": "title", "rating_scale": "label", "input_questions": "text"}[name]
    if not all(isinstance(i.get(words), str) and i[words].strip() for i in translated):
        raise ValidationError(_("Every item of a translation needs its words."))


def template_warnings(*, kpi_weights) -> list[str]:
    """What a valid template may still get wrong, said when it is saved: two weighted metrics that
    are the same quantity (``Metric.same_quantity_as``) count it twice in the suggested rating."""
    weighted = [key for key in (kpi_weights or {}) if key in REGISTRY]
    return [
        _(
            "%(first)s and %(second)s are the same quantity (%(how)s): weighing both counts it twice "
            "in the suggested rating. Keep one of them."
        )
        % {"first": first.name, "second": second.name, "how": second.same_quantity_how}
        for first, second in same_quantity_pairs(weighted)
    ]


def snapshot_build(*, csm: User, period: str, peers: Peers | None = None, okrs: tuple | None = None) -> dict:
    """Every KPI and service metric of the quarter with its comparisons, the run it came from, and
    the quarter's OKRs with their scores: what the review is judged on, frozen. ``peers`` and
    ``okrs`` (the CSM's item of ``okr_scores_of``): read once for a whole cycle by its caller."""
    card_of = scorecard(csm=csm, period=Period.parse(period), peers=peers)
    card = card_of.as_dict()
    # Frozen are the numbers and which metric and warning applied, never their words: a reader sees
    # them in their language (``reviews.wording.snapshot_in_words``).
    card["warning"] = card_of.freshness.notice
    for row in card["metrics"]:
        row.pop("name", None)
        row.pop("how_computed", None)
        if row.get("benchmark"):
            row["benchmark"].pop("source", None)
    score, objectives = okrs if okrs is not None else okr_score_of(csm=csm, period=period)
    card["okrs"] = {
        "score": score,
        "objectives": [
            {
                "title": o.objective.title,
                "commitment": o.objective.commitment,
                "expected": o.objective.expected_score,
                "score": o.score,
                "key_results": [
                    {
                        "title": k.kr.title,
                        "kind": k.kr.kind,
                        "baseline": k.kr.baseline,
                        "target": k.kr.target,
                        "current": k.kr.current,
                        "done": k.kr.done,
                        "progress": k.progress,
                    }
                    for k in o.key_results
                ],
            }
            for o in objectives
        ],
    }
    card["expected_model"] = expected_model(card["run"]["id"]) if card.get("run") else []
    card["taken_at"] = timezone.now()
    return _json(card)


def expected_model(run_id: int) -> list[dict]:
    """The expected-results model of a run, per outcome: the fit (its id, run, method version, when,
    on which quarters, the one held out, its status). Frozen with the snapshot: a later refit makes a
    new fit of a new run, never changes this one (docs/metrics.md, "In a review")."""
    return [
        {
            "outcome": f.outcome,
            "fit": f.pk,
            "run": f.run_id,
            "period": f.period,
            "version": f.version,
            "status": f.status,
            "fitted_at": f.fitted_at,
            "training_quarters": f.training_quarters,
            "held_out_quarter": f.held_out_quarter,
        }
        for f in ExpectedFit.objects.filter(run_id=run_id).order_by("outcome")
    ]


def _metric_rating(value: Decimal, spec: dict, low: int, high: int) -> Decimal:
    """floor -> bottom of the scale, target -> middle, stretch -> top, linear between, clamped."""
    f, t, s = (Decimal(str(spec[k])) for k in ("floor", "target", "stretch"))
    mid = (Decimal(low) + Decimal(high)) / 2
    if (value - t) * (s - t) >= 0:  # at or beyond the target, towards the stretch
        part = min(Decimal(1), (value - t) / (s - t))
        return mid + part * (Decimal(high) - mid)
    part = min(Decimal(1), (t - value) / (t - f))
    return mid - part * (mid - Decimal(low))


def _q(x: Decimal, places: str = "0.01") -> str:
    return str(x.quantize(Decimal(places), ROUND_HALF_UP))


def suggested_rating(*, template: ReviewTemplate, snapshot: dict) -> tuple[Decimal | None, dict]:
    """The weighted mean of each weighted metric's rating and the OKR rating.

    A metric with no data, or whose sample is below the template's minimum for it (docs/metrics.md,
    "Small samples"), is left out and the others are re-weighted. The detail holds everything the
    explanation shows: per part its name, weight, floor / target / stretch, value, sample, the rating
    it earns (its points), its share of the weight left and its contribution to the mean; per
    metric left out why; the weights before and after."""
    scale = template.scale_values
    low, high = min(scale), max(scale)
    rows = {m["metric"]: m for m in snapshot.get("metrics", [])}
    minimums = template.min_samples or {}
    parts, left_out = [], []
    for key, spec in template.kpi_weights.items():
        row = rows.get(key) or {}
        raw, sample = row.get("value"), int(row.get("sample_size") or 0)
        minimum = minimums.get(key)
        item = {
            "metric": key,
            "weight": str(spec["weight"]),
            "floor": str(spec["floor"]),
            "target": str(spec["target"]),
            "stretch": str(spec["stretch"]),
            "value": None if raw is None else str(raw),
            "sample": sample,
            "min_sample": int(minimum) if minimum else None,
        }
        if raw is None:
            # A lift with no number: not enough data for an expected result (a small book, too little
            # history, a withheld model); said so, and its weight shared like any metric's.
            expected = key in REGISTRY and REGISTRY[key].group == EXPECTED
            left_out.append({**item, "reason": "no_expectation" if expected else "no_data"})
        elif minimum and sample < int(minimum):
            left_out.append({**item, "reason": "few_data"})
        else:
            parts.append({**item, "rating": _q(_metric_rating(Decimal(str(raw)), spec, low, high))})
    okr = (snapshot.get("okrs") or {}).get("score")
    if template.okr_weight > 0:
        item = {"metric": OKR_SCORE, "weight": str(template.okr_weight)}
        if okr is None:
            left_out.append({**item, "value": None, "reason": "no_data"})
        else:
            rating = Decimal(low) + Decimal(str(okr)) * (Decimal(high) - Decimal(low))
            parts.append({**item, "value": str(okr), "rating": _q(rating)})
    total = sum(Decimal(p["weight"]) for p in parts)
    detail = {
        "version": 2,
        "scale": [low, high],
        "parts": parts,
        "left_out": left_out,
        "missing": [m["metric"] for m in left_out],
        "weight_total": str(total + sum(Decimal(m["weight"]) for m in left_out)),
        "weight_used": str(total),
    }
    if not total:
        return None, detail
    for p in parts:
        p["share"] = _q(Decimal(p["weight"]) / total * 100, "0.1")
        p["contribution"] = _q(Decimal(p["weight"]) * Decimal(p["rating"]) / total)
    mean = sum(Decimal(p["weight"]) * Decimal(p["rating"]) for p in parts) / total
    detail["rounded"] = int(mean.quantize(Decimal(1), ROUND_HALF_UP))
    return mean.quantize(Decimal("0.01"), ROUND_HALF_UP), detail


def set_snapshot(review: Review, peers: Peers | None = None, okrs: tuple | None = None) -> None:
    review.snapshot = snapshot_build(csm=review.csm, period=review.cycle.period, peers=peers, okrs=okrs)
    review.snapshot_at = timezone.now()
    review.suggested_rating, review.suggested_detail = suggested_rating(
        template=review.cycle.template, snapshot=review.snapshot
    )


def snapshot_diff(old: dict, new: dict) -> list[dict]:
    """What changed between two snapshots: metric values and the OKR score."""
    before = {m["metric"]: m["value"] for m in old.get("metrics", [])}
    changes = []
    for m in new.get("metrics", []):
        if before.get(m["metric"]) != m["value"]:
            changes.append(
                {
                    "metric": m["metric"],
                    "name": metric_name(m["metric"]),
                    "before": before.get(m["metric"]),
                    "after": m["value"],
                }
            )
    old_okr, new_okr = (old.get("okrs") or {}).get("score"), (new.get("okrs") or {}).get("score")
    if old_okr != new_okr:
        changes.append(
            {"metric": OKR_SCORE, "name": metric_name(OKR_SCORE), "before": old_okr, "after": new_okr}
        )
    return changes
