"""Whole numbers from query strings and forms (common/numbers.py)."""
from __future__ import annotations

import pytest
from django.http import QueryDict

from common.numbers import INT64_MAX, InvalidNumber, int_param, parse_int

RANGE = f"version must be between 1 and {INT64_MAX}."


@pytest.mark.parametrize("raw, value", [("7", 7), (" 7 ", 7), ("+7", 7), ("007", 7), (7, 7), (str(INT64_MAX), INT64_MAX)])
def test_whole_numbers_in_range_parse(raw, value):
    assert parse_int(raw, field="version", min_value=1) == value


@pytest.mark.parametrize("raw, message", [
    ("²", "version must be a whole number."),  # str.isdigit() is true for it; int() fails
    ("٣", "version must be a whole number."),  # int() would take it: not an ASCII digit
    ("1.5", "version must be a whole number."),
    ("1e5", "version must be a whole number."),
    ("", "version must be a whole number."),
    (None, "version must be a whole number."),
    (True, "version must be a whole number."),
    ("0", RANGE),
    ("-3", RANGE),
    (str(2 ** 70), RANGE),
    (2 ** 70, RANGE),
    ("9" * 100_000, RANGE),  # never echoed, never given to int()
])
def test_anything_else_is_an_invalid_number_naming_the_parameter(raw, message):
    with pytest.raises(InvalidNumber) as caught:
        parse_int(raw, field="version", min_value=1)

    assert caught.value.message_dict == {"version": [message]}


def test_a_query_parameter_absent_or_blank_is_the_default():
    assert int_param(QueryDict("other=1"), "version", default=3) == 3
    assert int_param(QueryDict("version="), "version") is None
    assert int_param(QueryDict("version=12"), "version") == 12
