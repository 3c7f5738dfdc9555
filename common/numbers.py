"""Whole numbers from the query string and from form fields, parsed one way everywhere.

`str.isdigit()` is true for '²' (and int('²') fails), and int() takes any size, which the database
then refuses with a 500 (SQLite's OverflowError, PostgreSQL's out-of-range error). Here a number is
ASCII digits with an optional sign, within the database's signed 64-bit range or a tighter one the
caller gives; anything else is an InvalidNumber naming the parameter. InvalidNumber is a Django
ValidationError keyed by the parameter, so the views that already show a service's
ValidationError show it too, the API answers it with a 400 (common.api.exception_handler) and a
page that does not catch it answers a 400 page (common.middleware.BadInputMiddleware).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1
# The largest value of an integer column every supported database takes (PositiveIntegerField on
# PostgreSQL): seeds, quotas and sizes stay below it.
INT32_MAX = 2 ** 31 - 1

_INTEGER = re.compile(r"[+-]?[0-9]+")  # [0-9], not \d: only ASCII digits


class InvalidNumber(ValidationError):
    """A parameter that is not a whole number in its range: {parameter: [message]}."""

    def __init__(self, field: str, message: str):
        super().__init__({field: [message]})
        self.field = field


def parse_int(raw: Any, *, field: str, min_value: int = INT64_MIN, max_value: int = INT64_MAX) -> int:
    """`raw` (a string, or an int from JSON) as an int within [min_value, max_value], else
    InvalidNumber. Surrounding whitespace is allowed; the refused value is never echoed (it may
    be 100,000 digits long)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = raw.strip() if isinstance(raw, str) else ""
        if not _INTEGER.fullmatch(text):
            raise InvalidNumber(field, f"{field} must be a whole number.")
        # More digits than any 64-bit value has: out of range, whatever the sign (and int() of a
        # string past Python's 4,300-digit limit would raise ValueError).
        value = int(text) if len(text.lstrip("+-").lstrip("0")) <= 19 else None
    if value is None or not min_value <= value <= max_value:
        raise InvalidNumber(field, f"{field} must be between {min_value} and {max_value}.")
    return value


def int_param(params: Mapping[str, Any], field: str, *, default: int | None = None, min_value: int = INT64_MIN,
              max_value: int = INT64_MAX) -> int | None:
    """The parameter `field` of a QueryDict (request.GET, request.POST, DRF's query_params) as an
    int; `default` when it is absent or blank; InvalidNumber when it is anything else."""
    raw = params.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    return parse_int(raw, field=field, min_value=min_value, max_value=max_value)
