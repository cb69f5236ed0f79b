"""``times_in``: times written into stored text (audit changes, event details) become
``<time>`` elements the browser shows in the page's zone; everything else stays escaped.
``attribute``: a value for a double-quoted attribute, escaped but for its apostrophes."""

from __future__ import annotations

import pytest

from asyncz_dashboard.templating import attribute, times_in, zone_names

from .views.page import parse

CASES = [
    # (text, scheduler zone, what the page gets)
    (
        "2026-12-02 14:05:03 CET → —",
        "Europe/Paris",
        '<time datetime="2026-12-02T13:05:03Z" data-when="absolute">2026-12-02 14:05:03 CET'
        "</time> → —",
    ),
    (
        "at 2026-07-02 14:05:03 CEST",
        "Europe/Paris",
        'at <time datetime="2026-07-02T12:05:03Z" data-when="absolute">2026-07-02 14:05:03'
        " CEST</time>",
    ),
    (  # the second 02:30 of the October fold is CET
        "2026-10-25 02:30:00 CET",
        "Europe/Paris",
        '<time datetime="2026-10-25T01:30:00Z" data-when="absolute">2026-10-25 02:30:00 CET</time>',
    ),
    (
        "at 2026-12-02 02:37:19 UTC, source manual",
        "Europe/Paris",
        'at <time datetime="2026-12-02T02:37:19Z" data-when="absolute">2026-12-02 02:37:19'
        " UTC</time>, source manual",
    ),
    # Another zone's abbreviation, an impossible date: left as written.
    ("2026-12-02 14:05:03 EST", "Europe/Paris", "2026-12-02 14:05:03 EST"),
    ("2026-02-30 14:05:03 UTC", "UTC", "2026-02-30 14:05:03 UTC"),
    ("<script>2026-12-02 14:05:03 UTC", "UTC", "&lt;script&gt;<time"),
]


@pytest.mark.parametrize(("text", "zone", "shown"), CASES)
def test_written_times_become_time_elements_and_the_rest_stays_escaped(
    text: str, zone: str, shown: str
) -> None:
    assert str(times_in(text, zone)).startswith(shown)


@pytest.mark.parametrize(
    "value",
    ["cron[hour='3', minute='0']", '<img src=x onerror=alert(1)> & "quoted"', "a&#34;b", "'\"'"],
)
def test_an_attribute_value_cannot_end_its_attribute_and_reads_back_as_it_was(value: str) -> None:
    html = f'<td title="{attribute(value)}" data-next="x">'
    assert "<img" not in html
    assert parse(html).find("td").attrs == {"title": value, "data-next": "x"}


def test_apostrophes_stay_as_they_are_in_an_attribute_value() -> None:
    assert attribute("cron[hour='3']") == "cron[hour='3']"
    assert attribute('a "b" & <c>') == "a &#34;b&#34; &amp; &lt;c&gt;"


def test_zone_names_are_the_abbreviations_absolute_writes_by_offset() -> None:
    assert zone_names("UTC") == "0:UTC"
    assert zone_names("Asia/Tokyo") == "540:JST"  # what Intl's short name calls GMT+9
    assert zone_names("Europe/Paris") == "60:CET,120:CEST"
    assert zone_names("Asia/Dubai") == "240:+04"
    assert zone_names("No/Such_Zone") == "0:UTC"  # the zone absolute() falls back on
