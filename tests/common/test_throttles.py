"""Rate limits: login brute force (the login page and the admin's, per username and address) and the
REST API's per-user and per-address rates, counted in the shared cache."""
from __future__ import annotations

import time

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from tests.factories import UserFactory

WRONG = {"username": "alice", "password": "not-the-password"}
RIGHT = {"username": "alice", "password": "pw-for-tests"}
LOCKED = "Too many failed logins for this username from your address. Try again in 15 minutes."
DID_NOT_MATCH = "Your username and password did not match. Please try again."


def _fail(client, times: int, **extra) -> list[int]:
    return [client.post("/accounts/login/", WRONG, **extra).status_code for _ in range(times)]


def test_after_five_failures_the_username_is_locked_out_from_that_address_even_with_the_password(client, user_a):
    first = client.post("/accounts/login/", WRONG)
    assert (first.status_code, DID_NOT_MATCH in first.content.decode()) == (200, True)
    assert _fail(client, 4) == [200, 200, 200, 200]

    locked = client.post("/accounts/login/", RIGHT)

    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    page = locked.content.decode()
    assert LOCKED in page and DID_NOT_MATCH not in page
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_address(client, user_a):
    UserFactory(username="carol")
    _fail(client, 5)

    other_user = client.post("/accounts/login/", {"username": "carol", "password": "pw-for-tests"})
    other_address = client.post("/accounts/login/", RIGHT, REMOTE_ADDR="10.1.2.3")

    assert (other_user.status_code, other_address.status_code) == (302, 302)


def test_a_forged_forwarded_for_header_does_not_make_a_new_address(client, user_a):
    statuses = [client.post("/accounts/login/", WRONG, headers={"X-Forwarded-For": f"10.9.9.{n}"}).status_code
                for n in range(5)]

    assert statuses == [200] * 5
    assert client.post("/accounts/login/", RIGHT, headers={"X-Forwarded-For": "10.9.9.99"}).status_code == 429


def test_a_successful_login_clears_the_failures(client, user_a):
    _fail(client, 4)
    assert client.post("/accounts/login/", RIGHT).status_code == 302
    client.logout()

    assert _fail(client, 4) == [200] * 4
    assert client.post("/accounts/login/", RIGHT).status_code == 302


def test_the_lock_ends_after_the_lockout_time(client, user_a, settings):
    settings.BENCH_LOGIN_LOCKOUT_S = 1
    _fail(client, 5)
    assert client.post("/accounts/login/", RIGHT).status_code == 429

    time.sleep(1.1)

    assert client.post("/accounts/login/", RIGHT).status_code == 302


def test_the_admin_login_shares_the_lock_and_says_why(client, user_a):
    user_a.is_staff = True
    user_a.save(update_fields=["is_staff"])
    _fail(client, 5)

    response = client.post("/admin/login/", RIGHT)

    assert response.status_code == 200  # the admin's own view; it refuses and says why
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_authenticate_with_a_request_is_guarded_and_without_one_is_not(user_a):
    request = RequestFactory().post("/api/token/")
    for _ in range(5):
        assert authenticate(request, **WRONG) is None

    assert authenticate(request, **RIGHT) is None  # locked: refused before the password is checked
    assert authenticate(None, **RIGHT) == user_a  # management commands, the test client's login()


# --- The REST API -------------------------------------------------------------------------------

def test_a_user_past_the_api_rate_gets_429_with_retry_after(api_a, settings):
    settings.BENCH_API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}

    statuses = [api_a.get("/api/benchmarks/").status_code for _ in range(3)]
    throttled = api_a.get("/api/benchmarks/")

    assert statuses == [200, 200, 200]
    assert (throttled.status_code, throttled["Retry-After"]) == (429, "60")
    assert throttled.json() == {"detail": "Request was throttled. Expected available in 60 seconds."}


def test_users_are_counted_apart(api_a, api_b, settings):
    settings.BENCH_API_THROTTLE_RATES = {"user": "2/minute", "anon": "2/minute"}
    assert [api_a.get("/api/runs/").status_code for _ in range(3)] == [200, 200, 429]

    assert api_b.get("/api/runs/").status_code == 200


def test_callers_without_credentials_are_counted_by_address(client, db, settings):
    settings.BENCH_API_THROTTLE_RATES = {"user": "100/minute", "anon": "2/minute"}

    statuses = [client.get("/api/schema/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client.get("/api/schema/", REMOTE_ADDR="10.1.2.3").status_code == 200


@pytest.mark.parametrize("rate", ["", None])
def test_no_rate_means_no_limit(api_a, settings, rate):
    settings.BENCH_API_THROTTLE_RATES = {"user": rate, "anon": rate}

    assert {api_a.get("/api/runs/").status_code for _ in range(5)} == {200}


def test_a_rate_that_does_not_parse_stops_the_settings_with_its_name(monkeypatch):
    from benchplatform.env import env_rate

    monkeypatch.setenv("BENCH_API_THROTTLE_USER", "lots")
    with pytest.raises(ValueError) as caught:
        env_rate("BENCH_API_THROTTLE_USER", "600/minute")
    assert str(caught.value) == ("environment variable BENCH_API_THROTTLE_USER must be a rate such as "
                                 "\"600/minute\", or \"off\", got 'lots'")
    monkeypatch.setenv("BENCH_API_THROTTLE_USER", "off")
    assert env_rate("BENCH_API_THROTTLE_USER", "600/minute") == ""
    monkeypatch.setenv("BENCH_API_THROTTLE_USER", "")
    assert env_rate("BENCH_API_THROTTLE_USER", "600/minute") == "600/minute"
