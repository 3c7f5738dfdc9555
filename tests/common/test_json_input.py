"""Bounded JSON parsing (common/json_input.py): size, nesting depth, non-JSON constants, and the
API's JSON parser built on it."""
from __future__ import annotations

import pytest

from benchmarks.models import BenchmarkRequest
from common.json_input import JSONInputError, json_loads_bounded


def _refused(data, **limits) -> JSONInputError:
    with pytest.raises(JSONInputError) as caught:
        json_loads_bounded(data, **limits)
    return caught.value


def test_json_within_the_limits_parses():
    assert json_loads_bounded(b'{"a": [1, 2.5, "x[{"], "b": {"c": null}}', max_depth=3) == {
        "a": [1, 2.5, "x[{"], "b": {"c": None}}


def test_100000_open_brackets_are_refused_before_the_parser_recurses():
    error = _refused(b"[" * 100_000)

    assert (error.message, error.too_large) == ("The JSON nests deeper than 64 levels.", False)


@pytest.mark.parametrize("depth, refused", [(64, False), (65, True)])
def test_the_depth_limit_counts_arrays_and_objects(depth, refused):
    body = '{"a": ' * (depth // 2) + "[" * (depth - depth // 2) + "]" * (depth - depth // 2) + "}" * (depth // 2)
    if refused:
        assert _refused(body).reason == "it nests deeper than 64 levels"
    else:
        assert json_loads_bounded(body) is not None


def test_brackets_inside_strings_do_not_count_towards_the_depth():
    text = '["' + "[" * 1000 + '\\"{"]'

    assert json_loads_bounded(text, max_depth=1) == ["[" * 1000 + '"{']


def test_a_body_larger_than_the_limit_is_too_large():
    error = _refused(b"[" + b"1," * 600 + b"1]", max_bytes=1000)

    assert (error.message, error.too_large) == ("The JSON body is larger than 1000 bytes.", True)


@pytest.mark.parametrize("text, message", [
    ('{"a": NaN}', "The body is not valid JSON: NaN is not a JSON value."),
    ("[Infinity]", "The body is not valid JSON: Infinity is not a JSON value."),
    ("[1e999]", "The body is not valid JSON: the number 1e999 is too large."),
    ("[" + "9" * 5000 + "]", "The body is not valid JSON: a number has too many digits."),
    ('{"a": }', "The body is not valid JSON: Expecting value (line 1, column 7)."),
    ('["never ends', "The body is not valid JSON: Unterminated string starting at (line 1, column 2)."),
    ('{"a": "x\\u0000"}', "The JSON's strings may not contain \\u0000 (NUL)."),  # PostgreSQL stores no NUL
    ('{"\\\\\\u0000": 1}', "The JSON's strings may not contain \\u0000 (NUL)."),
])
def test_what_is_not_json_is_named(text, message):
    assert _refused(text).message == message


def test_an_escaped_backslash_before_u0000_is_text_not_nul():
    assert json_loads_bounded('["\\\\u0000"]') == ["\\u0000"]


def test_bytes_that_are_not_utf8_are_refused():
    assert _refused(b'{"a": "\xff"}').message == "The JSON body is not valid utf-8 text."


# --- Through the REST API's parser ----------------------------------------------------------------

def test_api_answers_a_deeply_nested_body_with_400(api_a, team_a):
    response = api_a.post("/api/requests/", "[" * 100_000, content_type="application/json")

    assert (response.status_code, response.json()) == (400, {"detail": "The JSON nests deeper than 64 levels."})
    assert BenchmarkRequest.objects.count() == 0


def test_api_answers_a_body_past_the_size_limit_with_413(api_a, team_a, settings):
    settings.BENCH_MAX_JSON_BYTES = 2000
    body = '{"team": "team-a", "target_size": 10, "text": "' + "x" * 2000 + '"}'

    response = api_a.post("/api/requests/", body, content_type="application/json")

    assert (response.status_code, response.json()) == (413, {"detail": "The JSON body is larger than 2000 bytes."})


def test_api_answers_nan_with_400(api_a, team_a):
    response = api_a.post("/api/requests/", '{"team": "team-a", "target_size": NaN}', content_type="application/json")

    assert (response.status_code, response.json()) == (400, {"detail": "The body is not valid JSON: NaN is not a JSON value."})
