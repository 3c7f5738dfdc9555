"""Target models are team-supplied addresses: their keys are the team's own secrets (encrypted,
write-only, sent only to the origin they were given for), the server's environment is never named
or sent, and no request reaches loopback, link-local, private or reserved addresses, the platform
itself, or a redirect's target. The endpoints are real local HTTP servers (tests/llm_server.py);
the one stand-in is the DNS resolver (common.outbound._getaddrinfo), for names that must resolve
a given way."""
from __future__ import annotations

import socket

import pytest
from django.db import connection
from django.db.models import Q

from benchmarks.models import Sample
from common import outbound
from common.encryption import secret_decrypt
from evaluation import services
from evaluation.apis import ENV_KEY_GONE
from evaluation.models import EvalRun, ModelAnswer, ModelEndpoint
from tests.llm_server import LLMServer, Reply, ok, redirect

KEY = "sk-team-4f7c2a9e1b"
HINT = "the platform sends nothing there unless its operator allows it (BENCH_OUTBOUND_ALLOW)."
# What a target model receives: the SDK's request headers that carry no identity, and the team's key.
SENT_HEADERS = {"host", "accept", "accept-encoding", "connection", "content-type", "content-length", "user-agent"}


@pytest.fixture
def other_server():
    """A second local server: another origin (another port)."""
    server = LLMServer(default=lambda request: ok("A")).start()
    yield server
    server.stop()


@pytest.fixture
def version(built_text_benchmark):
    return built_text_benchmark.version


@pytest.fixture
def items(version) -> int:
    return Sample.objects.filter(version=version, status__in=services.ACCEPTED).count()


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.LLM_MAX_RETRIES = 1
    settings.LLM_RETRY_AFTER_MAX_S = 0.1


def _register(api, base_url, **fields):
    return api.post("/api/evaluation/models/", {"team_slug": "team-a", "name": "target", "base_url": base_url,
                                                "model": "m", **fields}, format="json")


def _evaluate(version, endpoint, user, capture) -> EvalRun:
    with capture(execute=True):
        run = services.eval_start(version=version, endpoint=endpoint, user=user)
    run.refresh_from_db()
    return run


def _raw_key_columns(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key_encrypted, api_key_origin FROM evaluation_modelendpoint WHERE id = %s", [pk])
        return cursor.fetchone()


def _resolve_as(monkeypatch, answers: dict[str, list[str]]):
    """The resolver answers these names with these addresses (each call pops the next answer when
    a list of lists is given); other names resolve as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        addresses = answers[host]
        if addresses and isinstance(addresses[0], list):
            addresses = addresses.pop(0) if len(addresses) > 1 else addresses[0]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]

    monkeypatch.setattr(outbound, "_getaddrinfo", getaddrinfo)


# --- Registration: the address --------------------------------------------------------------------

@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:{port}/v1", "127.0.0.1 is a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://10.0.0.5/v1", "10.0.0.5 is a private address"),
    ("http://[::1]:{port}/v1", "::1 is a loopback address"),
    ("http://[::ffff:192.168.1.1]/v1", "::ffff:c0a8:101 is a private address (192.168.1.1)"),
    ("http://localhost:{port}/v1", "localhost resolves to 127.0.0.1, a loopback address"),
    ("http://100.64.0.1/v1", "100.64.0.1 is a shared (carrier-grade NAT) address"),
    ("http://[fd12::1]/v1", "fd12::1 is a private (unique local) address"),
    ("http://0.0.0.0:{port}/v1", "0.0.0.0 is an unspecified address"),
    ("http://239.1.2.3/v1", "239.1.2.3 is a multicast address"),
])
def test_internal_addresses_are_refused_at_registration(api_a, llm_server, url, reason):
    response = _register(api_a, url.format(port=llm_server._httpd.server_address[1]), api_key=KEY)
    assert response.status_code == 400
    assert response.json() == {"base_url": [f"{reason}: {HINT}"]}
    assert ModelEndpoint.objects.count() == 0


def test_a_name_resolving_to_an_internal_address_is_refused_whatever_else_it_resolves_to(api_a, monkeypatch):
    _resolve_as(monkeypatch, {"mixed.example": ["93.184.215.14", "10.1.2.3"]})
    response = _register(api_a, "https://mixed.example/v1")
    assert response.status_code == 400
    assert response.json() == {"base_url": [f"mixed.example resolves to 10.1.2.3, a private address: {HINT}"]}


def test_the_platform_itself_is_refused(api_a, settings, monkeypatch):
    settings.BENCH_PUBLIC_URL = "https://bench.example.org"
    _resolve_as(monkeypatch, {"bench.example.org": ["93.184.215.14"]})
    response = _register(api_a, "https://BENCH.example.org/api/")
    assert response.status_code == 400
    assert response.json() == {"base_url": [f"bench.example.org:443 is this platform itself: {HINT}"]}


def test_an_operator_allows_an_internal_address(api_a, settings, llm_server):
    settings.BENCH_OUTBOUND_ALLOW = ["10.0.0.0/8", llm_server.host_port]
    assert _register(api_a, "http://10.0.0.5:8000/v1").status_code == 201
    assert _register(api_a, llm_server.base_url, name="local").status_code == 201
    # The allowance is for what it names: another port of the same loopback address is still refused.
    other = _register(api_a, "http://127.0.0.1:1/v1", name="other")
    assert other.json() == {"base_url": [f"127.0.0.1 is a loopback address: {HINT}"]}


def test_no_environment_variable_can_be_named(api_a, allow_llm_server):
    response = _register(api_a, allow_llm_server.base_url, api_key_env="DJANGO_SECRET_KEY")
    assert response.status_code == 400
    assert response.json() == {"api_key_env": [ENV_KEY_GONE]}
    assert ModelEndpoint.objects.count() == 0
    assert "api_key_env" not in {field.name for field in ModelEndpoint._meta.get_fields()}


# --- The key: write-only, encrypted, for its origin only ----------------------------------------

def test_the_key_is_never_shown(api_a, client, admin_client, user_a, allow_llm_server, version):
    created = _register(api_a, allow_llm_server.base_url, api_key=KEY)
    assert created.status_code == 201
    endpoint = ModelEndpoint.objects.get()
    token = endpoint.api_key_encrypted
    body = created.json()
    assert body["api_key_set"] is True and "api_key" not in body and "api_key_encrypted" not in body
    client.force_login(user_a)
    pages = [created, api_a.get("/api/evaluation/models/"), api_a.get(f"/api/evaluation/models/{endpoint.pk}/"),
             client.get(f"/dashboards/benchmarks/{version.benchmark_id}/models/"),
             admin_client.get("/admin/evaluation/modelendpoint/"),
             admin_client.get(f"/admin/evaluation/modelendpoint/{endpoint.pk}/change/")]
    assert [page.status_code for page in pages] == [201, 200, 200, 200, 200, 200]
    for page in pages:
        assert KEY not in page.content.decode() and token not in page.content.decode()
    assert f"set, for http://{allow_llm_server.host_port} (never shown)" in pages[-1].content.decode()


def test_the_key_is_encrypted_in_the_database(api_a, allow_llm_server):
    assert _register(api_a, allow_llm_server.base_url, api_key=KEY).status_code == 201
    stored, origin = _raw_key_columns(ModelEndpoint.objects.get().pk)
    assert KEY not in stored and stored.startswith("gAAAAA")  # a Fernet token
    assert secret_decrypt(stored) == KEY
    assert origin == f"http://{allow_llm_server.host_port}"


def test_the_key_is_the_only_credential_sent_and_nothing_comes_from_the_environment(
        api_a, user_a, allow_llm_server, version, items, monkeypatch, django_capture_on_commit_callbacks):
    operator = {"OPENAI_API_KEY": "sk-operator-key", "OPENAI_ADMIN_KEY": "sk-operator-admin",
                "OPENAI_ORG_ID": "org-operator", "OPENAI_PROJECT_ID": "proj-operator",
                "OPENAI_CUSTOM_HEADERS": "X-Operator: operator-token\nAuthorization: Bearer operator-auth"}
    for name, value in operator.items():
        monkeypatch.setenv(name, value)
    allow_llm_server.default = lambda request: ok("A")
    assert _register(api_a, allow_llm_server.base_url, api_key=KEY).status_code == 201
    run = _evaluate(version, ModelEndpoint.objects.get(), user_a, django_capture_on_commit_callbacks)
    assert run.status == "succeeded" and len(allow_llm_server.requests) == items
    for request in allow_llm_server.requests:
        assert set(request.headers) == SENT_HEADERS | {"authorization"}
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert "operator" not in " ".join(request.headers.values())


def test_a_base_url_on_another_origin_drops_the_key_unless_a_new_one_comes_with_it(
        api_a, user_a, settings, llm_server, other_server, version, django_capture_on_commit_callbacks):
    settings.BENCH_OUTBOUND_ALLOW = [llm_server.host_port, other_server.host_port]
    assert _register(api_a, llm_server.base_url, api_key=KEY).json()["api_key_set"] is True
    # The same origin, another path: the key stays.
    assert _register(api_a, llm_server.base_url + "/").json()["api_key_set"] is True
    # Another origin without a key: dropped, columns emptied.
    moved = _register(api_a, other_server.base_url)
    assert moved.status_code == 201 and moved.json()["api_key_set"] is False
    endpoint = ModelEndpoint.objects.get()
    assert _raw_key_columns(endpoint.pk) == ("", "")
    run = _evaluate(version, endpoint, user_a, django_capture_on_commit_callbacks)
    assert run.status == "succeeded" and llm_server.requests == []
    assert all("authorization" not in request.headers for request in other_server.requests)
    # Another origin with a new key in the same request: the new key, for the new origin.
    again = _register(api_a, llm_server.base_url, api_key="sk-second-key")
    assert again.json()["api_key_set"] is True
    stored, origin = _raw_key_columns(endpoint.pk)
    assert secret_decrypt(stored) == "sk-second-key" and origin == f"http://{llm_server.host_port}"
    # An empty key removes it.
    assert _register(api_a, llm_server.base_url, api_key="").json()["api_key_set"] is False


def test_the_admin_takes_a_key_and_drops_it_when_the_origin_changes(admin_client, team_a, settings, llm_server,
                                                                    other_server):
    settings.BENCH_OUTBOUND_ALLOW = [llm_server.host_port, other_server.host_port]
    form = {"team": team_a.pk, "name": "admin-made", "base_url": llm_server.base_url, "model": "m",
            "price_input": "0", "price_output": "0", "family": "", "scale": "", "concurrency": "4"}
    assert admin_client.post("/admin/evaluation/modelendpoint/add/", {**form, "api_key": KEY}).status_code == 302
    endpoint = ModelEndpoint.objects.get()
    assert secret_decrypt(endpoint.api_key_encrypted) == KEY
    assert admin_client.post(f"/admin/evaluation/modelendpoint/{endpoint.pk}/change/",
                             {**form, "base_url": other_server.base_url}).status_code == 302
    assert _raw_key_columns(endpoint.pk) == ("", "")
    refused = admin_client.post(f"/admin/evaluation/modelendpoint/{endpoint.pk}/change/",
                                {**form, "base_url": "http://169.254.169.254/v1"})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {
        "base_url": [f"169.254.169.254 is a link-local address: {HINT}"]}


# --- At connection time ---------------------------------------------------------------------------

def test_a_redirect_is_not_followed_and_the_key_goes_nowhere_else(api_a, user_a, settings, llm_server, other_server,
                                                                   version, items, django_capture_on_commit_callbacks):
    settings.BENCH_OUTBOUND_ALLOW = [llm_server.host_port]  # the redirect's target is not allowed
    settings.BENCH_EVAL_CIRCUIT_FAILURES = 0  # every item is asked, though each fails
    llm_server.default = lambda request: redirect(f"{other_server.base_url}/chat/completions")
    assert _register(api_a, llm_server.base_url, api_key=KEY).status_code == 201
    run = _evaluate(version, ModelEndpoint.objects.get(), user_a, django_capture_on_commit_callbacks)
    assert other_server.requests == []
    assert len(llm_server.requests) == items  # one each: a 3xx is an error, not retried
    assert list(ModelAnswer.objects.filter(run=run).values_list("error", flat=True).distinct()) == [
        "HTTP 307 from the endpoint (a redirect, not followed)"]
    assert run.summary["failed"] == items


def test_errors_keep_no_reply_body(api_a, user_a, allow_llm_server, version, items, django_capture_on_commit_callbacks):
    body = b'{"error": {"message": "internal: db password is hunter2"}}'
    html = Reply(body=b"<html>hunter2</html>", content_type="text/html")
    # One item at a time, so the replies go in this order: a 404 (not retried), a 502 twice, a page twice.
    allow_llm_server.queue(Reply(status=404, body=body), Reply(status=502, body=body), Reply(status=502, body=body),
                           html, html)
    allow_llm_server.default = lambda request: ok("A")
    assert _register(api_a, allow_llm_server.base_url, api_key=KEY, concurrency=1).status_code == 201
    run = _evaluate(version, ModelEndpoint.objects.get(), user_a, django_capture_on_commit_callbacks)
    errors = list(ModelAnswer.objects.filter(run=run).order_by("sample_id").values_list("error", flat=True))
    assert errors == ["HTTP 404 from the endpoint", "HTTP 502 from the endpoint (2 attempts)",
                      "the reply is not a chat completion (2 attempts)"] + [""] * (items - 3)
    assert not ModelAnswer.objects.filter(Q(raw__contains="hunter2") | Q(error__contains="hunter2")).exists()


def test_a_refused_connection_is_summarised(api_a, user_a, settings, version, items,
                                            django_capture_on_commit_callbacks):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.BENCH_OUTBOUND_ALLOW = [f"127.0.0.1:{port}"]
    assert _register(api_a, f"http://127.0.0.1:{port}/v1", concurrency=2).status_code == 201
    run = _evaluate(version, ModelEndpoint.objects.get(), user_a, django_capture_on_commit_callbacks)
    assert list(ModelAnswer.objects.filter(run=run).values_list("error", flat=True).distinct()) == [
        "connection refused (2 attempts)"]


def test_the_address_is_checked_again_at_connection_time(api_a, user_a, settings, llm_server, version, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    """DNS rebinding: public when registered and started, loopback by the time the worker connects."""
    port = llm_server._httpd.server_address[1]
    _resolve_as(monkeypatch, {"rebind.example": [["93.184.215.14"], ["93.184.215.14"], ["127.0.0.1"]]})
    assert _register(api_a, f"http://rebind.example:{port}/v1", api_key=KEY).status_code == 201
    with django_capture_on_commit_callbacks(execute=False):
        run = services.eval_start(version=version, endpoint=ModelEndpoint.objects.get(), user=user_a)
    services.eval_run(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", f"rebind.example resolves to 127.0.0.1, a loopback address: {HINT}")
    assert llm_server.requests == []


def test_the_connection_goes_to_the_checked_address_under_the_registered_name(
        api_a, user_a, settings, llm_server, version, items, monkeypatch, django_capture_on_commit_callbacks):
    """Resolved once and pinned: the name resolves nowhere but through the check (the system
    resolver does not know it), yet the server gets every request, addressed to the name."""
    settings.BENCH_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    port = llm_server._httpd.server_address[1]
    _resolve_as(monkeypatch, {"pinned.example": ["127.0.0.1"]})
    llm_server.default = lambda request: ok("A")
    assert _register(api_a, f"http://pinned.example:{port}/v1", api_key=KEY).status_code == 201
    run = _evaluate(version, ModelEndpoint.objects.get(), user_a, django_capture_on_commit_callbacks)
    assert run.status == "succeeded" and len(llm_server.requests) == items
    assert {request.headers["host"] for request in llm_server.requests} == {f"pinned.example:{port}"}


def test_a_model_registered_before_the_checks_cannot_be_evaluated(api_a, team_a, llm_server, version):
    endpoint = ModelEndpoint.objects.create(team=team_a, name="old", base_url=llm_server.base_url, model="m")
    response = api_a.post("/api/evaluation/runs/", {"benchmark": version.benchmark_id, "endpoint": endpoint.pk},
                          format="json")
    assert response.status_code == 400
    assert response.json() == {"endpoint": [f"old: 127.0.0.1 is a loopback address: {HINT}"]}
    assert EvalRun.objects.count() == 0 and llm_server.requests == []
