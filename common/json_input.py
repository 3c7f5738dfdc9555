"""Bounded JSON parsing for every body the platform reads from outside (API requests, the Label
Studio webhook, JSON typed into forms).

Python's json module recurses once per nesting level: a body of 100,000 '[' raises RecursionError
(a 500, not a 400), and a body of any size is read whole. This module refuses, with a message a
person can act on, a body larger than the byte limit or nested deeper than the depth limit —
before json.loads ever sees it — as well as the non-JSON constants Python accepts (NaN, Infinity),
numbers that overflow a float and strings holding NUL, which PostgreSQL would refuse later with a 500.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, BinaryIO

from django.conf import settings

DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_BYTES = 1024 * 1024

# \u0000 escaped in a JSON string (an odd run of backslashes before u0000): PostgreSQL stores NUL in
# neither text nor jsonb, so it would fail on the way to the database.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
# A JSON string (escapes included, unrolled so the match stays linear), a lone quote (a string that
# never ends: json.loads names that error better than a depth count would), or a bracket.
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{}]')


class JSONInputError(ValueError):
    """JSON that is not acceptable. `message` is a sentence about a request body; `reason` says what
    is wrong in a few words, for callers that name the field ("The mapping is not valid JSON: ..."),
    with `lineno` when the parser knows the line; `too_large` tells a 413 from a 400."""

    def __init__(self, message: str, *, reason: str, lineno: int | None = None, too_large: bool = False):
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.lineno = lineno
        self.too_large = too_large


def max_json_bytes() -> int:
    return getattr(settings, "BENCH_MAX_JSON_BYTES", DEFAULT_MAX_BYTES)


def max_json_depth() -> int:
    return getattr(settings, "BENCH_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH)


def _too_deep(text: str, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than max_depth (brackets inside strings do not count).
    Stops at the first level too deep, so a hostile body costs no more than a short prefix of it."""
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > max_depth:
                return True
        elif token == "]" or token == "}":
            depth -= 1
        elif token == '"':
            return False
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


def json_loads_bounded(data: bytes | str, *, max_bytes: int | None = None, max_depth: int | None = None,
                       encoding: str = "utf-8") -> Any:
    """The JSON value of `data`, or JSONInputError with the reason: larger than max_bytes, nested
    deeper than max_depth (defaults: BENCH_MAX_JSON_BYTES, BENCH_MAX_JSON_DEPTH), not UTF-8 (or the
    given encoding), or not JSON."""
    max_bytes = max_json_bytes() if max_bytes is None else max_bytes
    max_depth = max_json_depth() if max_depth is None else max_depth
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise JSONInputError(f"The JSON body is larger than {max_bytes} bytes.",
                             reason=f"it is larger than {max_bytes} bytes", too_large=True)
    if isinstance(data, bytes):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise JSONInputError(f"The JSON body is not valid {encoding} text.",
                                 reason=f"it is not valid {encoding} text") from exc
    else:
        text = data
    too_deep = JSONInputError(f"The JSON nests deeper than {max_depth} levels.",
                              reason=f"it nests deeper than {max_depth} levels")
    if _too_deep(text, max_depth):
        raise too_deep
    if _NUL_ESCAPE.search(text):
        raise JSONInputError("The JSON's strings may not contain \\u0000 (NUL).",
                             reason="its strings may not contain \\u0000 (NUL)")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise JSONInputError(f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
                             reason=exc.msg, lineno=exc.lineno) from exc
    except RecursionError as exc:  # a depth limit set above the interpreter's own
        raise too_deep from exc
    except ValueError as exc:  # NaN, an infinite float, an integer past Python's digit limit
        reason = "a number has too many digits" if str(exc).startswith("Exceeds the limit") else str(exc)
        raise JSONInputError(f"The body is not valid JSON: {reason}.", reason=reason) from exc


def json_read_bounded(stream: BinaryIO, *, max_bytes: int | None = None, max_depth: int | None = None,
                      encoding: str = "utf-8") -> Any:
    """json_loads_bounded over a stream, of which at most max_bytes + 1 bytes are read."""
    max_bytes = max_json_bytes() if max_bytes is None else max_bytes
    return json_loads_bounded(stream.read(max_bytes + 1), max_bytes=max_bytes, max_depth=max_depth,
                              encoding=encoding)
