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

NUL_MESSAGE = "Null characters are not allowed."


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
    """Bad input on a page is the visitor's, not a server fault: the project's 400 page with the
    reason. A ValidationError that escapes a page view (a number parameter that does not parse, say:
    common.numbers.InvalidNumber), and a query string or form holding a NUL character, which
    PostgreSQL stores in no text column (views pass form text to services as it comes). The API
    checks its own input (serializers, common.api.exception_handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "csrf_exempt", False):
            # The API (DRF's views are CSRF-exempt: its serializers refuse NUL) and the webhook, whose
            # body must not be read before its secret is checked.
            return None
        values = [*request.GET.lists(), *(request.POST.lists() if request.method == "POST" else [])]
        if any("\x00" in key or any("\x00" in value for value in items) for key, items in values):
            return render(request, "400.html", {"errors": [NUL_MESSAGE]}, status=400)
        return None

    def process_exception(self, request, exception):
        if not isinstance(exception, ValidationError):
            return None
        return render(request, "400.html", {"errors": exception.messages}, status=400)
