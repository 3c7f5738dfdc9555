"""A real local HTTP server speaking the OpenAI chat-completions protocol, for tests and benches.

Stdlib `http.server` in a background thread. Replies are scripted (a queue of `Reply`s, then a
`default` function of the request), with injected latency and faults: 429 with Retry-After, 5xx,
a hanging response, malformed or schema-breaking JSON content, a body that is not JSON, a redirect. Every
request is recorded (body, headers, arrival and finish times), and the server counts the most
requests it was serving at once."""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest


@dataclass
class Reply:
    content: str | None = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # sent as is instead of a chat completion
    content_type: str = "application/json"
    delay_s: float | None = None  # None: the server's latency
    hang_s: float = 0.0  # hold the request this long before answering (a client timeout)
    prompt_tokens: int = 50
    completion_tokens: int = 10
    finish_reason: str = "stop"  # "length": the reply ran into max_tokens


def cut(content: str, *, completion_tokens: int = 64) -> Reply:
    """A reply stopped at the length limit, its JSON unclosed."""
    return Reply(content=content, completion_tokens=completion_tokens, finish_reason="length")


def ok(content: str, *, prompt_tokens: int = 50, completion_tokens: int = 10, delay_s: float | None = None) -> Reply:
    return Reply(content=content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, delay_s=delay_s)


def ok_json(obj: Any, **kwargs: Any) -> Reply:
    return ok(json.dumps(obj), **kwargs)


def rate_limited(retry_after: str) -> Reply:
    return Reply(status=429, headers={"Retry-After": retry_after},
                 body=json.dumps({"error": {"message": "Rate limit reached", "type": "rate_limit"}}).encode())


def server_error(status: int = 500) -> Reply:
    return Reply(status=status, body=json.dumps({"error": {"message": "internal error", "type": "server"}}).encode())


def hang(seconds: float) -> Reply:
    return Reply(hang_s=seconds, content="{}")


def redirect(location: str, status: int = 307) -> Reply:
    return Reply(status=status, headers={"Location": location}, body=b"")


def not_json_body() -> Reply:
    return Reply(body=b"<html><body>502 Bad Gateway</body></html>", content_type="text/html")


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float
    finished_at: float = 0.0

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    @property
    def text(self) -> str:
        """Every message's content, joined (for assertions on what the model was shown)."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class LLMServer:
    def __init__(self, *, latency_s: float = 0.0,
                 default: Callable[[RecordedRequest], Reply] | None = None) -> None:
        self.latency_s = latency_s
        self.default = default or (lambda request: ok("{}"))
        self.script: deque[Reply] = deque()
        self.requests: list[RecordedRequest] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="llm-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def host_port(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> LLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def queue(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return self.default(request)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes; without this, Nagle plus the client's delayed ACK
            # add ~40 ms to every keep-alive response, which would be the test server's cost, not ours.
            disable_nagle_algorithm = True

            def log_message(self, format, *args):  # noqa: A002 - quiet test output
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                request = RecordedRequest(path=self.path, headers={k.lower(): v for k, v in self.headers.items()},
                                          body=body, received_at=time.monotonic())
                with server._lock:
                    server.requests.append(request)
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    reply = server._next_reply(request)
                    if reply.hang_s:
                        server._stopping.wait(reply.hang_s)
                    delay = server.latency_s if reply.delay_s is None else reply.delay_s
                    if delay:
                        server._stopping.wait(delay)
                    payload = reply.body if reply.body is not None else json.dumps(
                        _completion(body, reply)).encode()
                finally:
                    # Counted out before the answer leaves, so a client that starts its next request
                    # on receiving this one is never counted twice.
                    with server._lock:
                        server.active -= 1
                        request.finished_at = time.monotonic()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler


def _completion(request_body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
        "model": request_body.get("model", "test-model"),
        "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                     "message": {"role": "assistant", "content": reply.content}}],
        "usage": {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                  "total_tokens": reply.prompt_tokens + reply.completion_tokens},
    }


@pytest.fixture
def llm_server():
    """A fresh server per test; `llm_server.base_url` is its OpenAI base URL."""
    from agents.llm.client import forget_mode

    server = LLMServer().start()
    yield server
    server.stop()
    forget_mode(server.base_url)  # a later server on the same port is another endpoint
