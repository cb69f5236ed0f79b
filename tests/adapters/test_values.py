"""One value of the task form: short forms, bounds, masks, the allowlist."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from asyncz_dashboard.adapters.redact import Redactor
from asyncz_dashboard.adapters.values import (
    CallableAllowlist,
    format_interval,
    mask_json,
    parse_date,
    parse_interval,
    unmask_json,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5), ("10m", 600), ("1h30m", 5400), ("1h 30m", 5400), ("2d", 172800),
     ("1w", 604800), ("300", 300), ("1H", 3600)],
)  # fmt: skip
def test_the_reference_short_forms(text: str, seconds: int) -> None:
    assert parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text", ["", "0", "0s", "-5s", "1e-9", "0.5s", "5x", "m", "1m1h", "9" * 13, "3661d"]
)
def test_intervals_that_could_hang_or_mean_nothing_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_interval(text)


@pytest.mark.parametrize("seconds", [1, 59, 60, 5400, 86400, 90061, 3660 * 86400])
def test_the_short_form_reads_back_as_the_same_interval(seconds: int) -> None:
    interval = timedelta(seconds=seconds)
    assert parse_interval(format_interval(interval)) == interval


def test_a_date_without_an_offset_is_in_the_schedulers_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert parse_date("2030-07-01T09:00", paris) == datetime(2030, 7, 1, 9, tzinfo=paris)
    utc = parse_date("2030-07-01T09:00 05:00", paris)  # "+" lost in a URL-encoded form
    assert utc == datetime(2030, 7, 1, 4, tzinfo=timezone.utc)


def test_a_masked_secret_keeps_its_value_and_a_new_value_replaces_it() -> None:
    redactor = Redactor()
    old = {"password": "hunter2", "nested": {"api_key": "k"}, "region": "eu"}
    shown = mask_json(old, redactor)
    assert shown == {"password": "***", "nested": {"api_key": "***"}, "region": "eu"}
    assert unmask_json(shown, old, redactor) == old
    assert unmask_json({**shown, "password": "new"}, old, redactor)["password"] == "new"


def test_an_allowlist_matches_names_and_import_paths_by_string_only() -> None:
    allowlist = CallableAllowlist({"fmt": format_interval})
    assert allowlist.lookup("fmt") == "fmt"
    assert allowlist.lookup("asyncz_dashboard.adapters.values:format_interval") == "fmt"
    assert allowlist.lookup("os:system") is None
    paths = CallableAllowlist(["pkg.mod:job"])
    assert paths.lookup("pkg.mod:job") == "pkg.mod:job" and paths.target("pkg.mod:job") == (
        "pkg.mod:job"
    )
