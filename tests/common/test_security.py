"""Safe defaults: DEBUG off unless asked for, the project's own error pages (nothing of the settings,
the environment or the error), security headers and a CSP the pages' scripts pass, and HTTPS-only
cookies and HSTS when the platform is served over HTTPS."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

ROOT = Path(__file__).resolve().parents[2]
LEAKS = ("DATABASE_URL", "SECRET_KEY", "Traceback", "settings", "boom-secret")


def _boom(request):
    raise RuntimeError("boom-secret: the error's own text")


def _forbidden(request):
    raise PermissionDenied("boom-secret")


# This module is also the URLconf of the tests marked urls(__name__): two views that fail.
urlpatterns = [path("boom/", _boom), path("forbidden/", _forbidden)]


def _settings_in_a_fresh_process(**env) -> dict:
    """Settings as a process started with this environment sees them (DJANGO_* and BENCH_* unset
    unless given)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BENCH_HTTPS", "BENCH_PUBLIC_URL"))}
    code = ("import json; from benchplatform import settings as s; print(json.dumps({name: getattr(s, name, None) "
            "for name in ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_PROXY_SSL_HEADER', "
            "'SECURE_HSTS_SECONDS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', 'SECURE_REFERRER_POLICY']}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_debug_is_off_unless_asked_for():
    assert _settings_in_a_fresh_process()["DEBUG"] is False
    assert _settings_in_a_fresh_process(DJANGO_DEBUG="true")["DEBUG"] is True


def test_over_plain_http_cookies_are_not_secure_only_and_no_proxy_header_is_trusted():
    values = _settings_in_a_fresh_process(BENCH_PUBLIC_URL="http://127.0.0.1:8000")

    assert values == {"DEBUG": False, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False,
                      "SECURE_PROXY_SSL_HEADER": None, "SECURE_HSTS_SECONDS": None,
                      "SECURE_CONTENT_TYPE_NOSNIFF": True, "X_FRAME_OPTIONS": "DENY",
                      "SECURE_REFERRER_POLICY": "same-origin"}


@pytest.mark.parametrize("env", [{"BENCH_PUBLIC_URL": "https://bench.example.org"},
                                 {"BENCH_PUBLIC_URL": "http://127.0.0.1:8000", "BENCH_HTTPS": "true"}],
                         ids=["https-public-url", "bench-https"])
def test_over_https_cookies_are_secure_hsts_is_on_and_the_proxy_header_is_trusted(env):
    values = _settings_in_a_fresh_process(**env)

    assert (values["SESSION_COOKIE_SECURE"], values["CSRF_COOKIE_SECURE"], values["SECURE_PROXY_SSL_HEADER"],
            values["SECURE_HSTS_SECONDS"]) == (True, True, ["HTTP_X_FORWARDED_PROTO", "https"], 31536000)


def _assert_project_page(response, status: int, title: str):
    body = response.content.decode()
    assert response.status_code == status
    assert f"<title>{title} · Benchmark Platform</title>" in body
    assert '<a class="brand" href="/">Benchmark Platform</a>' in body
    for leak in LEAKS:
        assert leak not in body, leak


def test_an_unknown_page_is_the_projects_404(db, settings):
    settings.DEBUG = False
    _assert_project_page(Client(raise_request_exception=False).get("/no-such-page/"), 404, "Not found")


@pytest.mark.urls(__name__)
def test_a_view_that_raises_gives_the_projects_500_without_the_error_or_settings(db, settings):
    settings.DEBUG = False
    _assert_project_page(Client(raise_request_exception=False).get("/boom/"), 500, "Server error")


@pytest.mark.urls(__name__)
def test_permission_denied_gives_the_projects_403(db, settings):
    settings.DEBUG = False
    _assert_project_page(Client(raise_request_exception=False).get("/forbidden/"), 403, "Not allowed")


CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def test_pages_send_the_security_headers_and_a_csp_whose_nonce_their_inline_scripts_carry(client, user_a):
    client.force_login(user_a)

    response = client.get("/dashboards/")

    assert response.status_code == 200
    nonces = set(re.findall(r'<script nonce="([^"]+)">', response.content.decode()))
    assert len(nonces) == 1 and len(next(iter(nonces))) == 24
    assert response["Content-Security-Policy"] == CSP.format(nonce=next(iter(nonces)))
    assert (response["X-Content-Type-Options"], response["Referrer-Policy"], response["X-Frame-Options"],
            response["Cross-Origin-Opener-Policy"]) == ("nosniff", "same-origin", "DENY", "same-origin")
    assert "onchange=" not in response.content.decode()
    assert client.get("/dashboards/")["Content-Security-Policy"] != response["Content-Security-Policy"]  # per request


def test_the_login_page_and_the_api_send_the_headers_too(client, db):
    for response in (client.get("/accounts/login/"), client.get("/api/benchmarks/")):
        assert response["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self' 'nonce-")
        assert (response["X-Content-Type-Options"], response["X-Frame-Options"]) == ("nosniff", "DENY")


def test_the_api_docs_load_their_start_up_script_as_a_file_the_csp_allows(client, db):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 200 and b"<script>" not in page.content
    assert b'<script src="/api/docs/?script="></script>' in page.content
    assert script.status_code == 200 and script["Content-Type"] == "application/javascript"
    assert b"/api/schema/" in script.content


def test_behind_an_https_proxy_the_session_cookie_is_secure_and_hsts_is_sent(client, user_a, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True

    response = client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests"},
                           headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 302
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert response.cookies["sessionid"]["secure"] is True
