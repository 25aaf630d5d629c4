"""Durations, sizes and versions as scenario files write them (design: "Time and units")."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from sim.errors import ArcsimError
from sim.scenario.units import (
    MAX_SECONDS,
    UNIT_ERROR_TYPE,
    Duration,
    Size,
    UnitError,
    Version,
    format_duration,
    format_size,
    parse_duration,
    parse_size,
    parse_version,
    show_value,
)

DURATION_HINT = 'expected a duration like "90s", "5m", "2h", "3d" or "1w"'
ORDER_HINT = '(combine units from largest to smallest, each once: "1h30m")'
SIZE_HINT = 'expected a size like "45MB", "1.5GB", "512KiB" or "10B"'


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("5m", 300.0),
        ("2h", 7_200.0),
        ("3d", 259_200.0),
        ("1w", 604_800.0),
        ("1.5h", 5_400.0),
        ("0s", 0.0),
        ("1h30m", 5_400.0),
        ("1d 3h", 97_200.0),
        ("1w 2d 3h 4m 5s", 788_645.0),
        (" 2h ", 7_200.0),
        ("90", 90.0),
        (90, 90.0),
        (2.5, 2.5),
        (0, 0.0),
    ],
)
def test_parse_duration_reads_units_and_bare_seconds(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5 minutes", f'{DURATION_HINT}, got "5 minutes"'),
        ("5M", f'{DURATION_HINT}, got "5M"'),
        ("", f'{DURATION_HINT}, got ""'),
        ("h", f'{DURATION_HINT}, got "h"'),
        ([5], f"{DURATION_HINT}, got [5]"),
        (None, f"{DURATION_HINT}, got null"),
        (True, f"{DURATION_HINT}, got true"),
        ("30m1h", f'{DURATION_HINT}, got "30m1h" {ORDER_HINT}'),
        ("1h1h", f'{DURATION_HINT}, got "1h1h" {ORDER_HINT}'),
        ("-5m", 'a duration cannot be negative, got "-5m"'),
        (-1, "a duration cannot be negative, got -1"),
        (math.inf, "a duration must be a finite number, got Infinity"),
        (math.nan, "a duration must be a finite number, got NaN"),
        (10**400, f"a duration must be a finite number, got {'1' + '0' * 36}..."),
    ],
)
def test_parse_duration_rejects_with_the_expected_form(value: object, message: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_duration(value)  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "num_bytes"),
    [
        ("45MB", 45_000_000),
        ("1.5GB", 1_500_000_000),
        ("512KB", 512_000),
        ("10B", 10),
        ("2GiB", 2 * 2**30),
        ("3MiB", 3 * 2**20),
        ("4KiB", 4_096),
        ("1TB", 10**12),
        ("45 MB", 45_000_000),
        ("45mb", 45_000_000),
        ("1.1KiB", 1_126),
        ("1024", 1_024),
        (1024, 1_024),
        (10**15, 10**15),
        ("1000TB", 10**15),
        (0, 0),
    ],
)
def test_parse_size_reads_decimal_and_binary_units(text: str | int, num_bytes: int) -> None:
    assert parse_size(text) == num_bytes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("45 megs", f'{SIZE_HINT}, got "45 megs"'),
        ("MB", f'{SIZE_HINT}, got "MB"'),
        ("1.5", f'{SIZE_HINT}, got "1.5"'),
        (1.5, f"{SIZE_HINT}, got 1.5"),
        (False, f"{SIZE_HINT}, got false"),
        ("-1MB", 'a size cannot be negative, got "-1MB"'),
        (-3, "a size cannot be negative, got -3"),
        pytest.param(10**5000, "a size must be at most 1000TB, got a number of about 5001 "
                     "digits", id="5001-digit-number"),
        ("1001TB", 'a size must be at most 1000TB, got "1001TB"'),
        pytest.param("9" * 5000, 'a size must be at most 1000TB, got "' + "9" * 36 + "...",
                     id="5000-digit-text"),
        ("²", f'{SIZE_HINT}, got "²"'),
    ],
)
def test_parse_size_rejects_with_the_expected_form(value: object, message: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_size(value)  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (90, "1m 30s"),
        (7_200, "2h"),
        (97_200, "1d 3h"),
        (604_800, "1w"),
        (788_645, "1w 2d 3h 4m 5s"),
        (1.5, "1.5s"),
        (60.25, "1m 0.25s"),
        (-7_200, "-2h"),
        (math.inf, "inf"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("num_bytes", "binary", "text"),
    [
        (0, False, "0 B"),
        (512, False, "512 B"),
        (45_000_000, False, "45 MB"),
        (1_500_000_000, False, "1.5 GB"),
        (1_234_567, False, "1.23 MB"),
        (999_999, False, "1 MB"),
        (1_536, True, "1.5 KiB"),
        (2 * 2**30, True, "2 GiB"),
        (-2_000, False, "-2 KB"),
    ],
)
def test_format_size(num_bytes: int, binary: bool, text: str) -> None:
    assert format_size(num_bytes, binary=binary) == text


@given(st.integers(min_value=0, max_value=MAX_SECONDS))
def test_format_duration_reads_back_for_whole_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.integers(min_value=0, max_value=MAX_SECONDS))
def test_format_duration_is_canonical(seconds: int) -> None:
    text = format_duration(seconds)
    assert format_duration(parse_duration(text)) == text


@given(st.integers(min_value=0, max_value=999), st.sampled_from(["B", "KB", "MB", "GB", "KiB"]))
def test_format_size_reads_back_for_whole_units(count: int, unit: str) -> None:
    num_bytes = parse_size(f"{count}{unit}")
    assert parse_size(format_size(num_bytes, binary=unit == "KiB")) == num_bytes


@pytest.mark.parametrize("text", ["1.35", "1.58.03228.700", " 1.40 ", "10.0"])
def test_parse_version_keeps_version_text(text: str) -> None:
    assert parse_version(text) == text.strip()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.2, 'expected a version string like "1.35", got 1.2 (a number: quote it)'),
        (2, 'expected a version string like "1.35", got 2 (a number: quote it)'),
        ("latest", 'expected a version string like "1.35", got "latest"'),
        ("1", 'expected a version string like "1.35", got "1"'),
        ("1.x", 'expected a version string like "1.35", got "1.x"'),
        (None, 'expected a version string like "1.35", got null'),
    ],
)
def test_parse_version_rejects_numbers_and_other_texts(value: object, message: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_version(value)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_unit_error_is_an_arcsim_error_and_a_value_error() -> None:
    assert issubclass(UnitError, ArcsimError)
    assert issubclass(UnitError, ValueError)


def test_show_value_renders_yaml_like_and_shortens() -> None:
    assert [show_value(v) for v in ("a", 1.2, True, None, [1, "b"])] == [
        '"a"',
        "1.2",
        "true",
        "null",
        '[1, "b"]',
    ]
    assert show_value("x" * 100, limit=10) == '"xxxxxx...'


class Timing(BaseModel):
    period: Duration
    download: Size = 0
    agent: Version = "1.35"


def test_annotated_types_convert_in_a_pydantic_model() -> None:
    timing = Timing.model_validate({"period": "1h30m", "download": "45MB", "agent": "1.40"})
    assert (timing.period, timing.download, timing.agent) == (5_400.0, 45_000_000, "1.40")
    assert Timing(period=90).period == 90.0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("period", "5 minutes", f'{DURATION_HINT}, got "5 minutes"'),
        ("download", "45 megs", f'{SIZE_HINT}, got "45 megs"'),
        ("agent", 1.2, 'expected a version string like "1.35", got 1.2 (a number: quote it)'),
    ],
)
def test_annotated_types_report_the_unit_error_message(
    field: str, value: object, message: str
) -> None:
    data = {"period": "1m", field: value}
    with pytest.raises(ValidationError) as caught:
        Timing.model_validate(data)
    [error] = caught.value.errors()
    assert (error["type"], error["loc"], error["msg"]) == (UNIT_ERROR_TYPE, (field,), message)


def test_annotated_types_publish_a_json_schema() -> None:
    properties = Timing.model_json_schema()["properties"]
    assert properties["agent"]["type"] == "string"
    assert {"type": "string"} in properties["period"]["anyOf"]
