"""The calibration's funnel plot as an image (pygal SVG in a data: URL, like every chart of the
product: ``kpis.charts``), with what it shows in words for whoever cannot see it."""

from __future__ import annotations

import pygal
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pygal.style import Style

from kpis import charts
from kpis.templatetags.kpi_format import number
from reviews.cycles import funnel

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#d9e2ec",
    font_family="DejaVu Sans, Helvetica, Arial, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=11,
    legend_font_size=12,
    title_font_size=13,
    # The books, the target, the 95 % limits, the 99.8 % limits.
    colors=(charts.BRAND, charts.MUTED, charts.AVERAGE, charts.POOR),
)


def funnel_alt(data: dict) -> str:
    """The chart in words: how many books, where they fall, and who is beyond a limit."""
    rows = data["rows"]
    beyond = [r for r in rows if r["where"] != funnel.INSIDE]
    text = ngettext(
        "Funnel plot of accounts lost against expected: %(n)d book, %(inside)d within the 95 %% limits.",
        "Funnel plot of accounts lost against expected: %(n)d books, %(inside)d within the 95 %% limits.",
        len(rows),
    ) % {"n": len(rows), "inside": len(rows) - len(beyond)}
    for r in beyond:
        text += " " + _("%(name)s: %(where)s (lost %(lost)s, expected %(expected)s).") % {
            "name": r["csm"].get_full_name(),
            "where": r["where_words"],
            "lost": number(r["observed"], 0),
            "expected": number(r["expected"], 1),
        }
    return text


def funnel_chart(data: dict, *, width: int = 640, height: int = 380) -> SafeString | None:
    """O/E against E for each book shown, the target 1 and the 95 % and 99.8 % limits around it."""
    rows = data["rows"]
    if not rows:
        return None
    low = min(r["expected"] for r in rows)
    high = max(r["expected"] for r in rows)
    low, high = max(0.5, low * 0.8), max(high * 1.2, low + 1)
    phi = data["phi"]
    chart = pygal.XY(
        style=_STYLE,
        js=[],
        width=width,
        height=height,
        explicit_size=True,
        show_legend=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        x_title=_("Accounts expected to be lost"),
        y_title=_("Lost / expected"),
        allow_interruptions=True,
        dots_size=4,
        print_values=False,
        truncate_legend=-1,
    )
    chart.add(
        _("Books"),
        [{"value": (r["expected"], r["ratio"]), "label": r["csm"].get_full_name()} for r in rows],
        stroke=False,
    )
    chart.add(_("As expected (1)"), [(low, 1.0), (high, 1.0)], show_dots=False)
    limits = (
        # xgettext:no-python-format (a percent sign, not a placeholder)
        (_("95 % limits"), funnel.Z95),
        # xgettext:no-python-format (a percent sign, not a placeholder)
        (_("99.8 % limits"), funnel.Z998),
    )
    for name, z in limits:
        points = funnel.curve(phi, z, low, high)
        # Upper then lower, one series: a None breaks the line between them.
        chart.add(
            name,
            [(e, up) for e, _lo, up in points] + [None] + [(e, lo) for e, lo, _up in points],
            show_dots=False,
        )
    # Drawn from numbers and names pygal escapes; the words of the chart are its alternative text.
    svg = chart.render(is_unicode=True).split("?>", 1)[-1]
    return charts.as_image(svg, alt=funnel_alt(data))
