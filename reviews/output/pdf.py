"""The review as a PDF (WeasyPrint): the whole review, its numbers with comparisons and trend
charts (the scorecard's chart module), OKRs, comments, disputes, acknowledgement, the methodology,
and on the last page the version and a SHA-256 of the content. Rendered for one viewer: what the
access rule (``reviews.access``) hides from them is not in it."""

from __future__ import annotations

import contextlib
import datetime
import gc
import math
import threading
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import quote

import weasyprint
from babel import dates as babel_dates
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import get_valid_filename
from django.utils.translation import gettext, pgettext
from weasyprint.text.fonts import FontConfiguration

from accounts.models import User
from core import dates, formatting
from kpis import periods
from kpis.registry import EXPECTED, KPI, METRICS, REGISTRY, SERVICE
from reviews import wording
from reviews.access import review_view
from reviews.input.selectors import input_for
from reviews.models import Review
from reviews.notes.services import notes_in_review, shown_note
from reviews.writing import explain, quotes
from reviews.writing.selectors import content_hash


def _d(x) -> Decimal | None:
    return None if x in (None, "") else Decimal(str(x))


def _moment(text: str | None) -> str:
    if not text:
        return ""
    return dates.moment(datetime.datetime.fromisoformat(text))


def safe_filename(*words: str, suffix: str = ".pdf", fallback: str = "review") -> str:
    """A file name made of ``words`` with spaces between them, safe on any disk and in a zip: each
    word goes through Django's ``get_valid_filename`` (no slash, quote, control or reserved character;
    letters of any script kept, NFC), at most 120 characters. Send it with
    ``content_disposition_header`` (RFC 6266: an ASCII fallback and ``filename*`` in UTF-8)."""
    parts = []
    for word in " ".join(words).split():
        try:
            part = get_valid_filename(unicodedata.normalize("NFC", word)).strip("._")
        except SuspiciousFileOperation:
            continue
        if part:
            parts.append(part)
    name = " ".join(parts)[:120].strip() or fallback
    return name + suffix


def zip_filename(cycle_period: str) -> str:
    """``2026-Q3 reviews.zip``: the export of a cycle's reviews, in the language active (the reader's)."""
    return safe_filename(
        gettext("%(period)s reviews") % {"period": cycle_period}, suffix=".zip", fallback="reviews"
    )


def review_filename(review: Review) -> str:
    """``2026-Q3 Camila Souza.pdf``."""
    name = safe_filename(review.csm.name or "", suffix="", fallback="") or gettext("review %(number)s") % {
        "number": review.pk
    }
    return safe_filename(review.cycle.period, name)


def _when(value):
    """A snapshot's ISO timestamp as an aware datetime (templates print it readably)."""
    if not value or not isinstance(value, str):
        return value
    parsed = parse_datetime(value)
    return timezone.localtime(parsed) if parsed and timezone.is_aware(parsed) else parsed


def axis_value(value: float, decimals: int, unit: str) -> str:
    """A value on a printed chart's y axis, the reader's way, short: "39 d", "%79" (tr), "2,9 sa"."""
    if unit == "percent":
        return formatting.percent(value, decimals)
    text = formatting.number(value, decimals)
    suffix = {
        "pp": "pp",
        "hours": pgettext("hours, abbreviated", "h"),
        "days": pgettext("days, abbreviated", "d"),
    }.get(unit)
    return f"{text}{NBSP}{suffix}" if suffix else text


NBSP = "\u00a0"


def _text_width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at ``size`` px in DejaVu Sans / Noto Sans CJK: a CJK (or any
    wide) character is a square, a Latin letter or a digit a little over half of one."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.62 for c in text)


def period_axis(codes: list[str]) -> list[tuple[str, str]]:
    """The labels under a printed trend, two lines each: the quarter or month the language's short
    way (Babel: "Q3", "T3", "Ç3", "3季度"; "Sep", "sept", "Eyl", "9月") and, under the first one
    and wherever it changes, the year ("2026", "2026年"; "FY2026" with a fiscal year). A text that
    is not a period code is written as it is, on the first line."""
    loc = formatting.locale()
    fiscal = periods.fiscal_start() != 1
    out, last_year = [], None
    for code in codes:
        p = periods.as_period(code)
        if p is None:
            out.append((str(code), ""))
            continue
        if p.kind == periods.MONTH:
            name = babel_dates.get_month_names("abbreviated", context="format", locale=loc)[p.number]
            year = babel_dates.format_skeleton("y", datetime.date(p.year, 1, 1), locale=loc)
        else:
            name = babel_dates.get_quarter_names("abbreviated", context="format", locale=loc)[p.number]
            year = (
                gettext("FY%(year)s") % {"year": p.year}
                if fiscal
                else babel_dates.format_skeleton("y", datetime.date(p.year, 1, 1), locale=loc)
            )
        out.append((name, "" if year == last_year else year))
        last_year = year
    return out


def trend_svg(periods_shown: list[str], values: list[Decimal | None], *, unit: str = "") -> SafeString:
    """A print trend drawn directly as a small SVG (a few dozen elements: WeasyPrint lays it out in
    milliseconds, where a pygal chart costs ~100 ms): the line with its dots, a labelled y axis (lowest,
    middle and highest value, in the metric's unit) and the periods on the x axis, short and on two
    lines (``period_axis``); when the labels would touch, only every second (third ...) one is
    written, counted back from the latest, and the year under the first written of each year."""
    w, h, left, right, top, bottom = 320, 128, 50, 18, 8, 30
    size = 8
    points = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="DejaVu Sans, Noto Sans CJK SC" font-size="9" fill="#3e4c59">'
    ]
    x0, x1, y0, y1 = left, w - right, top, h - bottom
    n = max(len(periods_shown), 2)

    def x(i: float) -> float:
        return x0 + (x1 - x0) * i / (n - 1)

    out.append(f'<line x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}" stroke="#9aa5b1" stroke-width="0.8"/>')
    out.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#9aa5b1" stroke-width="0.8"/>')
    labels = period_axis(periods_shown)
    widest = max((_text_width(a, size) for a, _year in labels), default=0)
    gap = (x1 - x0) / (n - 1)
    every = max(1, math.ceil((widest + 4) / gap))
    written = [i for i in range(len(labels)) if (len(labels) - 1 - i) % every == 0]
    years_seen: set[str] = set()
    year_end = float("-inf")  # where the last year written ends: the next one waits until it is clear
    for i in written:
        name, _year = labels[i]
        year = next((labels[j][1] for j in range(i, -1, -1) if labels[j][1]), "")
        out.append(
            f'<text x="{x(i):.1f}" y="{y1 + 11}" text-anchor="middle" font-size="{size}">{escape(name)}</text>'
        )
        half = _text_width(year, size - 0.5) / 2
        if year and year not in years_seen and x(i) - half >= year_end + 3:
            years_seen.add(year)
            year_end = x(i) + half
            out.append(
                f'<text x="{x(i):.1f}" y="{y1 + 21}" text-anchor="middle" font-size="{size - 0.5}" '
                f'fill="#616e7c">{escape(year)}</text>'
            )
    if not points:
        out.append(
            f'<text x="{(x0 + x1) / 2:.0f}" y="{(y0 + y1) / 2:.0f}" text-anchor="middle">{escape(gettext("no data"))}</text>'
        )
        return mark_safe("".join(out) + "</svg>")
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    if hi == lo:
        lo, hi = lo - 1, hi + 1

    def y(v: float) -> float:
        return y1 - (y1 - y0) * (v - lo) / (hi - lo)

    for v in (lo, (lo + hi) / 2, hi):
        text = axis_value(v, 0 if abs(hi - lo) >= 10 else 1, unit)
        out.append(
            f'<line x1="{x0}" y1="{y(v):.1f}" x2="{x1}" y2="{y(v):.1f}" stroke="#e4e7eb" stroke-width="0.5"/>'
        )
        out.append(f'<text x="{x0 - 3}" y="{y(v) + 3:.1f}" text-anchor="end">{escape(text)}</text>')
    path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in points)
    out.append(f'<polyline points="{path}" fill="none" stroke="#1f4e79" stroke-width="1.5"/>')
    out.extend(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2" fill="#1f4e79"/>' for i, v in points)
    return mark_safe("".join(out) + "</svg>")


def css_string(text: str) -> str:
    """``text`` for a CSS string (a page header): every character but ASCII letters, digits and
    spaces as a CSS hex escape, so a quote, a backslash or a hyphen in a name prints as itself. Each
    escape ends with the one space CSS consumes after it, so a space that follows stays."""
    return "".join(c if (c.isascii() and c.isalnum()) or c == " " else f"\\{ord(c):06x} " for c in text)


def _metric_name(key: str) -> str:
    if key == "okr_score":
        return "OKR score"
    metric = REGISTRY.get(key)
    return str(metric.name) if metric else key.replace("_", " ")


def svg_image(svg: str, width_mm: int = 84) -> SafeString:
    """An SVG as an image of the PDF: WeasyPrint draws it without putting its elements through the
    page's CSS cascade (a fifth less time per review than the same SVG inline)."""
    return format_html(
        '<img src="data:image/svg+xml;charset=utf-8,{}" style="width:{}mm">', quote(svg), width_mm
    )


def _source(text: str | None) -> str:
    """A benchmark's source for a reader: its name, not the file it was taken from."""
    return (text or "").strip()


def _is_reading(metric) -> bool:
    """An expected value or a lift (not an end of its interval): explained in the appendix."""
    return metric.group == EXPECTED and metric.key.endswith(("_expected", "_lift"))


def review_pdf_context(review: Review, *, viewer: User | None) -> dict:
    view = review_view(viewer, review)
    metrics = {m["metric"]: m for m in review.snapshot.get("metrics", [])}
    rows = []
    # Trend charts for the metrics the template weighs: the numbers the rating stands on.
    charted = set(review.cycle.template.kpi_weights)
    minimums = review.cycle.template.min_samples or {}
    groups = (
        (KPI, gettext("The ten CSM KPIs")),
        (SERVICE, gettext("Service metrics")),
        (EXPECTED, gettext("Expected results and lift")),
    )
    for group, title in groups:
        items = []
        for m in METRICS:
            if m.group != group or m.key not in metrics or m.key.endswith(wording.INTERVAL_ENDS):
                continue  # a lift's interval is written on the lift's row
            s = metrics[m.key]
            trend = s.get("trend", [])
            sample, minimum = int(s.get("sample_size") or 0), minimums.get(m.key)
            few = bool(minimum) and s["value"] is not None and sample < int(minimum or 0)
            items.append(
                {
                    "metric": m,
                    "value": _d(s["value"]),
                    "previous": _d(s["previous"]),
                    "change": _d(s["change"]),
                    # Below its minimum sample a change is not coloured (docs/metrics.md, "Small samples").
                    "change_is": "" if few else s.get("change_is") or "",
                    "sample": sample,
                    "sample_words": wording.sample_words(m.key, sample),
                    "few_data": few,
                    "min_sample": minimum,
                    "citation": str(m.benchmark[1]) if m.benchmark else "",
                    "interval": wording.lift_interval(m.key, metrics),
                    "team_median": _d(s["team_median"]),
                    "team_percentile": _d(s["team_percentile"]),
                    "segment_percentile": _d(s["segment_percentile"]),
                    "benchmark": s.get("benchmark"),
                    "benchmark_source": _source((s.get("benchmark") or {}).get("source")),
                    "chart": svg_image(
                        trend_svg(
                            [t["period"] for t in trend],
                            [_d(t["value"]) for t in trend],
                            unit=m.unit,
                        )
                    )
                    if m.key in charted
                    else None,
                }
            )
        if items or group != EXPECTED:  # a snapshot frozen before expected results has none
            rows.append((title, items))
    template = review.cycle.template
    run = review.snapshot.get("run")
    # The template names each flagged number with the metric_name filter.
    disputes = list(review.disputes.select_related("raised_by", "answered_by"))
    shown_detail = review.suggested_detail if view.manager_visible else {}
    calibrated = view.manager_visible and review.calibrated_rating is not None
    return {
        "page_header": css_string(f"{review.csm.get_full_name()} · {review.cycle.period}"),
        "rating": review.rating if view.manager_visible else None,
        "calibrated": calibrated,
        "missing": [_metric_name(k) for k in (shown_detail or {}).get("missing", [])],
        "review": review,
        "view": view,
        # The parts of the review the viewer may read; a hidden one is None (the PDF says so).
        "shown": view.mask(
            {
                "self_assessment": review.self_assessment,
                "self_ratings": review.self_ratings,
                "self_quotes": review.self_quotes,
                "manager_assessment": review.manager_assessment,
                "manager_quotes": review.manager_quotes,
                "section_ratings": review.section_ratings,
                "suggested_rating": review.suggested_rating,
                "suggested_detail": review.suggested_detail,
                "final_rating": review.final_rating,
                "final_rating_reason": review.final_rating_reason,
                "calibration_reason": review.calibration_reason,
            }
        ),
        "template": template,
        "sections": template.sections,
        # The customers' words each section quotes, as the viewer may see them.
        "self_quoted": quotes.shown_by_section(review.self_quotes) if view.self_visible else {},
        "manager_quoted": quotes.shown_by_section(review.manager_quotes) if view.manager_visible else {},
        "groups": rows,
        "okrs": review.snapshot.get("okrs") or {},
        "run": run,
        "run_as_of": dates.day(datetime.date.fromisoformat(run["as_of"])) if run else "",
        "run_finished": _moment(run.get("finished_at")) if run else "",
        "explained": explain.suggested_explained(review.suggested_rating, review.suggested_detail, template)
        if view.manager_visible
        else None,
        "reader_zone": timezone.get_current_timezone_name(),
        "disputes": disputes,
        # The colleagues' input as this reader may see it (reviews.input.selectors.input_for).
        "input": input_for(viewer, review, with_requests=False),
        "comments": list(review.comments.select_related("author")),
        "notes": [shown_note(n) for n in notes_in_review(review, view)],
        "methodology": [m for m in METRICS if m.group in (KPI, SERVICE) or _is_reading(m)]
        + [REGISTRY["touchpoints"]],
        "final_label": template.label_of(review.rating) if view.manager_visible else "",
        "hash": content_hash(review, view),
        "generated_at": timezone.now(),
        "time_zone": settings.TIME_ZONE,
    }


# WeasyPrint makes a few hundred thousand short-lived objects per review: with Python's default
# collector thresholds it spends about a fifth of a PDF's time collecting them. While a PDF is laid
# out the youngest generation is collected every 50,000 allocations instead of 700 (a process-wide
# setting: the first render in raises it, the last one out restores it).
_gc_lock = threading.Lock()
_gc_renders = 0
_gc_saved: tuple[int, int, int] = gc.get_threshold()
RENDER_GC_THRESHOLD = 50_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    global _gc_renders, _gc_saved  # noqa: PLW0603 -- one collector per process, counted under a lock
    with _gc_lock:
        if _gc_renders == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(RENDER_GC_THRESHOLD, _gc_saved[0]), *_gc_saved[1:])
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            if _gc_renders == 0:
                gc.set_threshold(*_gc_saved)


_fonts = threading.local()


def font_config() -> FontConfiguration:
    """One font configuration per thread, reused from PDF to PDF (the PDFs declare no web fonts)."""
    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


def render_pdf(html: str) -> bytes:
    """HTML to PDF bytes, the way every PDF of the product is made."""
    with fewer_collections():
        return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
            font_config=font_config()
        )


def review_pdf(review: Review, *, viewer: User | None) -> bytes:
    """The PDF as ``viewer`` may read it (the page's reader, or the HR person who exports a cycle)."""
    return render_pdf(render_to_string("reviews/pdf.html", review_pdf_context(review, viewer=viewer)))
