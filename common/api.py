"""What every REST API view shares and DRF does not give safely by default: a JSON parser bounded
in size and depth, an exception handler that answers a Django ValidationError (a service's, or an
InvalidNumber from common.numbers) with a 400 instead of a 500, an integer field bounded to the
database's range, and rate throttles whose rates are read from settings on each request (so
deployments and tests set them without re-importing DRF)."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status, throttling
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler as drf_exception_handler

from common.json_input import JSONInputError, json_read_bounded
from common.numbers import INT64_MAX, INT64_MIN


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with common.json_input's limits: a 413 past BENCH_MAX_JSON_BYTES, a 400 past
    BENCH_MAX_JSON_DEPTH or on NaN/Infinity, never a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json_read_bounded(stream, encoding=encoding)
        except JSONInputError as exc:
            if exc.too_large:
                raise RequestBodyTooLarge(exc.message) from exc
            raise ParseError(exc.message) from exc


def validation_error_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as DRF's error body, {field: [message, ...]}."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    """DRF's handler, plus: a Django ValidationError that reaches it is bad input, so a 400 with
    its messages (DRF would let it become a 500)."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(validation_error_detail(exc))
    return drf_exception_handler(exc, context)


class BoundedIntegerField(serializers.IntegerField):
    """An IntegerField within the database's signed 64-bit range unless given a tighter one, so an
    integer beyond any column is a 400 naming the field, not an overflow in the database."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", INT64_MIN)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)


class _RateFromSettings:
    scope: str

    def get_rate(self):
        # Empty rate: no limit for that scope.
        return settings.BENCH_API_THROTTLE_RATES.get(self.scope) or None


class AnonRateThrottle(_RateFromSettings, throttling.AnonRateThrottle):
    """Requests per client address for callers without a token or session (BENCH_API_THROTTLE_ANON)."""


class UserRateThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """Requests per user (BENCH_API_THROTTLE_USER)."""
