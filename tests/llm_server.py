"""A real local HTTP server speaking the OpenAI chat-completions protocol, for tests and benches.

Stdlib `http.server` in a background thread. Replies are scripted (a queue of `Reply`s, then a
`default` function of the request), with injected latency and faults: 429 with Retry-After, 5xx,
a hanging response, malformed or schema-breaking JSON content, a body that is not JSON, a redirect. A
request with `stream: true` is answered as server-sent events, the content in small pieces (with a
delay between them, or a stall part way), and usage in a last chunk when `stream_options` asks. Every
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


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # noqa: ANN001 - socketserver's signature
        """A client that closed its connection (a timeout, a closed stream) is not the server's error."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


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
    piece_delay_s: float = 0.0  # streamed: the wait before each piece of the content
    stall_after: int | None = None  # streamed: send this many pieces, then hold the stream for hang_s


def cut(content: str, *, completion_tokens: int = 64) -> Reply:
    """A reply stopped at the length limit, its JSON unclosed."""
    return Reply(content=content, completion_tokens=completion_tokens, finish_reason="length")


def ok(content: str, *, prompt_tokens: int = 50, completion_tokens: int = 10, delay_s: float | None = None) -> Reply:
    return Reply(content=content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, delay_s=delay_s)


def ok_json(obj: Any, **kwargs: Any) -> Reply:
    return ok(json.dumps(obj), **kwargs)


def trickle(content: str, *, piece_delay_s: float, **kwargs: Any) -> Reply:
    """A reply that comes slowly, a piece at a time when streamed (a CPU server)."""
    return Reply(content=content, piece_delay_s=piece_delay_s, **kwargs)


def stall(content: str, *, after: int, seconds: float) -> Reply:
    """A streamed reply that stops coming after `after` pieces (a server that died mid-answer)."""
    return Reply(content=content, stall_after=after, hang_s=seconds)


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
    pieces_sent: int = 0  # streamed replies: content pieces written
    client_closed: bool = False  # streamed replies: the client closed the stream before its end

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
        self.slots: int | None = None  # GET /props answers total_slots (llama.cpp) when set
        self.refuse_stream = False  # answer a streamed request 400, as a server that cannot stream does
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler_class())
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

            def do_GET(self):  # noqa: N802
                with server._lock:
                    server.requests.append(RecordedRequest(path=self.path, headers={}, body={},
                                                           received_at=time.monotonic()))
                found = self.path == "/props" and server.slots is not None
                payload = json.dumps({"total_slots": server.slots} if found else {"error": "not found"}).encode()
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

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
                if body.get("stream") and server.refuse_stream:
                    reply = Reply(status=400, body=json.dumps({"error": {
                        "message": "Unrecognized request argument supplied: stream_options",
                        "type": "invalid_request_error"}}).encode())
                else:
                    reply = server._next_reply(request)
                if body.get("stream") and reply.body is None and reply.status == 200:
                    try:
                        self._stream(request, body, reply)
                    finally:
                        with server._lock:
                            server.active -= 1
                            request.finished_at = time.monotonic()
                    return
                try:
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

            def _stream(self, request: RecordedRequest, body: dict[str, Any], reply: Reply) -> None:
                delay = server.latency_s if reply.delay_s is None else reply.delay_s
                if reply.hang_s and reply.stall_after is None:
                    server._stopping.wait(reply.hang_s)
                if delay:
                    server._stopping.wait(delay)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    content = reply.content or ""
                    pieces = [content[i:i + 4] for i in range(0, len(content), 4)]
                    for index, piece in enumerate(pieces):
                        if reply.stall_after is not None and index == reply.stall_after:
                            server._stopping.wait(reply.hang_s)
                            return
                        if reply.piece_delay_s:
                            server._stopping.wait(reply.piece_delay_s)
                        self._event(_chunk(body, {"content": piece}, None))
                        request.pieces_sent += 1
                    self._event(_chunk(body, {}, reply.finish_reason))
                    if (body.get("stream_options") or {}).get("include_usage"):
                        self._event({**_chunk(body, {}, None), "choices": [], "usage": _usage(reply)})
                    self._write(b"data: [DONE]\n\n")
                    self._write(b"")
                except (BrokenPipeError, ConnectionResetError):
                    request.client_closed = True  # the client gave up part way

            def _event(self, data: dict[str, Any]) -> None:
                self._write(b"data: " + json.dumps(data).encode() + b"\n\n")

            def _write(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler


def _usage(reply: Reply) -> dict[str, int]:
    return {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens}


def _chunk(request_body: dict[str, Any], delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": request_body.get("model", "test-model"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}


def _completion(request_body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
        "model": request_body.get("model", "test-model"),
        "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                     "message": {"role": "assistant", "content": reply.content}}],
        "usage": _usage(reply),
    }


@pytest.fixture
def llm_server():
    """A fresh server per test; `llm_server.base_url` is its OpenAI base URL."""
    from agents.llm.client import forget_mode

    from agents.llm import pacing
    from agents.llm.openai_backend import forget_slots

    server = LLMServer().start()
    yield server
    server.stop()
    forget_mode(server.base_url)  # a later server on the same port is another endpoint
    pacing.forget(server.base_url)
    forget_slots(server.base_url)  # a later server on the same port is another endpoint
