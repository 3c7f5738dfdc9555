"""Middleware of the whole site: a 400 page for bad input a page view did not catch."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import render


class BadInputMiddleware:
    """A ValidationError that escapes a page view (a number parameter that does not parse, say:
    common.numbers.InvalidNumber) is the visitor's input, not a server fault: the project's 400
    page with the messages. The API turns them into 400s itself (common.api.exception_handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ValidationError):
            return None
        return render(request, "400.html", {"errors": exception.messages}, status=400)
