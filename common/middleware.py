"""Middleware of the whole site: the Content-Security-Policy header (with a per-request nonce for
the pages' own inline scripts), and a 400 page for bad input a page view did not catch.

Django's SecurityMiddleware and XFrameOptionsMiddleware send nosniff, the Referrer-Policy,
Cross-Origin-Opener-Policy and X-Frame-Options; Django 5.2 has no CSP of its own.
"""
from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render


class ContentSecurityPolicyMiddleware:
    """Sends settings.BENCH_CSP (its "{nonce}" replaced by this request's nonce) on every response
    that has no policy of its own (media files send a stricter, sandboxing one). Templates put the
    nonce on inline scripts: <script nonce="{{ csp_nonce }}">; any other inline script is blocked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        if settings.BENCH_CSP and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.BENCH_CSP.replace("{nonce}", request.csp_nonce)
        return response


def csp_nonce(request) -> dict[str, str]:
    """Template context processor: the request's CSP nonce as `csp_nonce`."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


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
