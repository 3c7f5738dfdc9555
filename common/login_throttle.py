"""Login brute-force guard: after BENCH_LOGIN_MAX_FAILURES failed logins for one username from one
client address within BENCH_LOGIN_WINDOW_S seconds, that pair is refused for BENCH_LOGIN_LOCKOUT_S
seconds, even with the right password.

Counts live in Django's default cache (the database cache, or Redis when REDIS_URL is set), so
every web process sees them. The guard sits in the authentication backend, so every path that
authenticates a password with a request (the login page, the admin's login, any token endpoint
that calls authenticate()) is covered; the login forms check it first to say why, and the login
page answers 429. authenticate() without a request (management commands, the test client's
login()) is not throttled: there is no client address to count.
"""
from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

THROTTLED_CODE = "throttled"


def client_address(request: HttpRequest) -> str:
    """The client's address as the API throttles see it (REMOTE_ADDR, or X-Forwarded-For behind
    BENCH_NUM_PROXIES trusted proxies): one rule for both."""
    return BaseThrottle().get_ident(request)


def _key(kind: str, username: str, request: HttpRequest) -> str:
    # Hashed: cache keys have a length and character limit, usernames do not.
    digest = hashlib.sha256(f"{username.casefold()}\n{client_address(request)}".encode()).hexdigest()
    return f"login-{kind}:{digest}"


def login_wait_seconds(*, request: HttpRequest, username: str) -> int:
    """Seconds until this username may try again from this address; 0 when it may now."""
    until = cache.get(_key("lock", username, request))
    return max(0, math.ceil(until - time.time())) if until else 0


def login_failure_record(*, request: HttpRequest, username: str) -> None:
    """Count one failed login; the one that reaches the limit starts the lock-out."""
    key = _key("fail", username, request)
    cache.add(key, 0, timeout=settings.BENCH_LOGIN_WINDOW_S)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.BENCH_LOGIN_WINDOW_S)
        failures = 1
    if failures >= settings.BENCH_LOGIN_MAX_FAILURES:
        lockout = settings.BENCH_LOGIN_LOCKOUT_S
        cache.set(_key("lock", username, request), time.time() + lockout, timeout=lockout)
        cache.delete(key)


def login_failures_clear(*, request: HttpRequest, username: str) -> None:
    cache.delete(_key("fail", username, request))


def throttled_message(wait_s: int) -> str:
    minutes = max(1, math.ceil(wait_s / 60))
    return (f"Too many failed logins for this username from your address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.")


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend behind the guard: a locked (username, address) pair is refused before
    the password is checked (PermissionDenied stops authenticate() trying other backends)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        name = str(username if username is not None else kwargs.get(self._username_field(), ""))
        if login_wait_seconds(request=request, username=name):
            raise PermissionDenied("Too many failed logins.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(request=request, username=name)
        else:
            login_failures_clear(request=request, username=name)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


class _ThrottleCheckMixin:
    """Say why a locked pair is refused, instead of the usual "wrong password" (the template shows
    `throttled_message` when set)."""

    throttled_message = ""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None and self.request is not None:
            wait = login_wait_seconds(request=self.request, username=username)
            if wait:
                self.throttled_message = throttled_message(wait)
                raise ValidationError(self.throttled_message, code=THROTTLED_CODE)
        return super().clean()


class ThrottledAuthenticationForm(_ThrottleCheckMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(_ThrottleCheckMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    """The login page; a locked pair gets the page with the reason, status 429 and Retry-After."""

    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("__all__", THROTTLED_CODE):
            response.status_code = 429
            response["Retry-After"] = str(login_wait_seconds(request=self.request,
                                                             username=form.cleaned_data.get("username", "")))
        return response
