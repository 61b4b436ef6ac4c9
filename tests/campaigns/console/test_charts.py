"""The SVG charts: one bar per point, labels, proportions, and escaping."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from campaigns.console import charts

NS = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def by_class(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    return [e for e in root.iter(NS + tag) if e.get("class") == css]


def test_charts_bar_chart_has_one_bar_per_point_scaled_to_the_highest():
    root = parse(charts.bar_chart([("2024-03-05", 4), ("2024-03-06", 0), ("2024-03-07", 2)], title="Per day"))
    bars = by_class(root, "rect", "bar")
    assert [float(b.get("height")) for b in bars] == [170.0, 0.0, 85.0]  # plot height 220 - 10 - 40
    assert [b.find(NS + "title").text for b in bars] == ["2024-03-05: 4", "2024-03-06: 0", "2024-03-07: 2"]
    assert [t.text for t in by_class(root, "text", "tick")] == ["2024-03-05", "2024-03-06", "2024-03-07"]
    assert by_class(root, "text", "ymax")[0].text == "4"
    assert root.get("aria-label") == "Per day" and root.find(NS + "title").text == "Per day"


@pytest.mark.parametrize("points, ticks", [(5, 5), (12, 12), (13, 7), (48, 12), (60, 12)],
                         ids=["few", "exactly-max", "one-over", "two-days-hourly", "sixty-days"])
def test_charts_bar_chart_labels_at_most_twelve_ticks_starting_with_the_first(points, ticks):
    data = [(f"p{i}", i) for i in range(points)]
    root = parse(charts.bar_chart(data, title="t"))
    labels = [t.text for t in by_class(root, "text", "tick")]
    assert len(by_class(root, "rect", "bar")) == points
    assert (len(labels), labels[0]) == (ticks, "p0")


def test_charts_bar_chart_of_zeros_draws_flat_bars_without_dividing_by_zero():
    root = parse(charts.bar_chart([("a", 0), ("b", 0)], title="t"))
    assert [b.get("height") for b in by_class(root, "rect", "bar")] == ["0.0", "0.0"]


def test_charts_rate_chart_has_a_bar_per_row_as_wide_as_its_share():
    rows = [("North", 3, 10), ("South", 0, 4), ("East", 5, 5)]
    root = parse(charts.rate_chart(rows, title="Rates"))
    track = float(by_class(root, "rect", "track")[0].get("width"))
    widths = [float(b.get("width")) for b in by_class(root, "rect", "bar")]
    assert widths == [pytest.approx(track * 0.3, abs=0.05), 0.0, pytest.approx(track, abs=0.05)]
    assert [t.text for t in by_class(root, "text", "name")] == ["North", "South", "East"]
    assert [t.text for t in by_class(root, "text", "count")] == ["3 of 10 (30%)", "0 of 4 (0%)", "5 of 5 (100%)"]
    assert len(by_class(root, "rect", "track")) == 3


@pytest.mark.parametrize("build", [
    lambda label: charts.bar_chart([(label, 1)], title=label),
    lambda label: charts.rate_chart([(label, 1, 2)], title=label),
], ids=["bar", "rate"])
def test_charts_escape_every_label_and_title(build):
    hostile = '<script>alert("x")</script> & "quoted"'
    svg = str(build(hostile))
    assert "<script>" not in svg and '"quoted"' not in svg
    root = parse(svg)  # still well-formed
    texts = [e.text for e in root.iter() if e.text and "alert" in e.text]
    assert hostile in texts
    assert root.get("aria-label") == hostile
    assert not list(root.iter("script")) and not list(root.iter(NS + "script"))


@pytest.mark.parametrize("build", [lambda: charts.bar_chart([], title="t"), lambda: charts.rate_chart([], title="t")],
                         ids=["bar", "rate"])
def test_charts_without_data_say_so(build):
    root = parse(build())
    assert by_class(root, "text", "empty")[0].text == "nothing to show yet"
    assert by_class(root, "rect", "bar") == []


def test_charts_are_markup_so_templates_do_not_escape_them_again():
    from markupsafe import Markup, escape

    svg = charts.bar_chart([("a", 1)], title="t")
    assert isinstance(svg, Markup) and str(escape(svg)) == str(svg)
