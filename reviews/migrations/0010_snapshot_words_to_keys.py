"""A review's frozen snapshot and suggested-rating detail keep keys, not words: the metrics' names
and definitions, the benchmarks' sources and the freshness warning are put into words in the reader's
language when shown (reviews.wording.snapshot_in_words). Words this migration recognises (today's
text of a metric, in any of the product's languages) are dropped; what it cannot recognise (a
definition reworded since, a failed run's warning) stays and is shown as stored."""

from django.conf import settings
from django.db import migrations
from django.utils import translation


def _words():
    """Per language the words a snapshot may hold: metric key -> name, definition, source; warning
    text -> its code."""
    from kpis.registry import OKR_SCORE, REGISTRY

    names, helps, sources, warnings = {}, {}, {}, {}
    for code, _label in [("en", "English"), *settings.LANGUAGES]:
        with translation.override(code):
            for key, metric in REGISTRY.items():
                names.setdefault(key, set()).add(str(metric.name))
                helps.setdefault(key, set()).add(str(metric.help))
                if metric.benchmark:
                    sources.setdefault(key, set()).add(str(metric.benchmark[1]))
            names.setdefault(OKR_SCORE, set()).add(str(translation.gettext("OKR score")))
            warnings[translation.gettext("No KPI run has completed yet: the numbers below are empty.")] = "no_run"
            warnings[translation.gettext("The KPIs have not been refreshed for more than 36 hours.")] = "stale"
    return names, helps, sources, warnings


def words_to_keys(snapshot: dict, detail: dict | None, words) -> bool:
    """Drops from ``snapshot`` and ``detail`` (in place) the words recognised; True when any was."""
    names, helps, sources, warnings = words
    changed = False
    for row in (snapshot or {}).get("metrics", []):
        key = row.get("metric")
        if "name" in row and row["name"] in names.get(key, ()):
            del row["name"]
            changed = True
        if "how_computed" in row and row["how_computed"] in helps.get(key, ()):
            del row["how_computed"]
            changed = True
        benchmark = row.get("benchmark")
        if isinstance(benchmark, dict) and benchmark.get("source") in sources.get(key, ()):
            del benchmark["source"]
            changed = True
    warning = (snapshot or {}).get("warning")
    if isinstance(warning, str) and warning in warnings:
        snapshot["warning"] = {"code": warnings[warning]}
        changed = True
    for part in ("parts", "left_out"):
        for item in (detail or {}).get(part, []):
            if "name" in item and item["name"] in names.get(item.get("metric"), ()):
                del item["name"]
                changed = True
    return changed


def forwards(apps, schema_editor):
    Review = apps.get_model("reviews", "Review")
    words = _words()
    for review in Review.objects.only("pk", "snapshot", "suggested_detail").iterator(chunk_size=200):
        if words_to_keys(review.snapshot, review.suggested_detail, words):
            review.save(update_fields=["snapshot", "suggested_detail"])


def backwards(apps, schema_editor):
    """Back to words, in English, for the code before this migration."""
    from kpis.registry import REGISTRY, label
    from kpis.scorecards import freshness_words

    Review = apps.get_model("reviews", "Review")
    with translation.override("en"):
        for review in Review.objects.only("pk", "snapshot", "suggested_detail").iterator(chunk_size=200):
            snapshot, detail = review.snapshot or {}, review.suggested_detail or {}
            for row in snapshot.get("metrics", []):
                metric = REGISTRY.get(row.get("metric"))
                row.setdefault("name", label(row.get("metric", "")))
                row.setdefault("how_computed", str(metric.help) if metric else "")
                if isinstance(row.get("benchmark"), dict) and metric and metric.benchmark:
                    row["benchmark"].setdefault("source", str(metric.benchmark[1]))
            if isinstance(snapshot.get("warning"), dict):
                snapshot["warning"] = freshness_words(snapshot["warning"]) or None
            for part in ("parts", "left_out"):
                for item in detail.get(part, []):
                    item.setdefault("name", label(item.get("metric", "")))
            review.save(update_fields=["snapshot", "suggested_detail"])


class Migration(migrations.Migration):
    dependencies = [("reviews", "0009_merge_input_and_notes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
