"""The one module that talks to an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM,
Ollama, llama.cpp server) through the `openai` package.

The package's own retries are off: this module retries 429, 5xx, timeouts, connection errors and
bodies that are not chat completions, with exponential backoff and jitter, waiting at least what
Retry-After asks (capped). A 4xx, or a 5xx whose message says the request itself is invalid
(llama-cpp-python answers an unsupported response format with HTTP 500 and a validation error), is
not retried: sent again it fails again. The server's own message is kept in the error's text (the
run's error and the ledger), never in its `summary`. A semaphore per endpoint bounds the requests in
flight; it is held only while a request is on the wire, never during a backoff.

Replies are streamed (LLMConfig.stream): a call is given the time its length needs at the endpoint's
measured pace (agents.llm.pacing), a stalled or overlong one is closed, so the server stops computing
it instead of working on beside its retry, and the tokens that had come are charged."""
from __future__ import annotations

import email.utils
import json
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion

from agents.llm import pacing
from agents.llm.types import LLMConfig, LLMUnavailableError, LLMUsage

_RETRY_STATUSES = {408, 409, 429}
# A 5xx that is the server refusing the request, not failing at it: retrying cannot help.
_INVALID_REQUEST = re.compile(r"validation errors?\b|\binput should be\b|\bextra inputs are not permitted\b|"
                              r"\bnot supported\b|\bunsupported\b|\bunrecognized\b|\bmust be one of\b|"
                              r"\binvalid (?:request|value|type|schema|grammar|json schema|response[_ ]format)\b|"
                              r"\bfailed to parse (?:grammar|schema|json schema)\b", re.IGNORECASE)
SERVER_MESSAGE_MAX = 400


def server_message(exc: openai.APIStatusError) -> str:
    """What the server said about an error, on one line: the OpenAI-style `error.message`, a
    FastAPI `detail`, or the SDK's own message."""
    body: Any = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        body = inner.get("message") or inner.get("detail") or body.get("detail") if isinstance(inner, dict) else inner
    text = body if isinstance(body, str) and body.strip() else (json.dumps(body) if body else exc.message)
    return " ".join(str(text).split())[:SERVER_MESSAGE_MAX]


def refuses_request(status: int, message: str) -> bool:
    """A status and message that say the request is wrong (not retried): any 4xx but 408/409/429,
    and a 500 or 501 whose message says the request is invalid or unsupported."""
    if status < 500:
        return status not in _RETRY_STATUSES
    return status in (500, 501) and bool(_INVALID_REQUEST.search(message))
_semaphores: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


def endpoint_semaphore(base_url: str, limit: int) -> threading.BoundedSemaphore:
    """The semaphore shared by every client of this endpoint (per limit)."""
    key = (base_url.rstrip("/"), max(1, limit))
    with _semaphores_lock:
        if key not in _semaphores:
            _semaphores[key] = threading.BoundedSemaphore(key[1])
        return _semaphores[key]


@dataclass(frozen=True)
class Completion:
    text: str
    usage: LLMUsage
    attempts: int  # HTTP requests sent for this completion, retries included
    truncated: bool = False  # the reply stopped at max_tokens (finish_reason "length")
    abandoned: LLMUsage = LLMUsage()  # estimated work of attempts given up on (timeouts): the server may go on


def abandoned_estimate(messages: list[dict[str, Any]], max_tokens: int) -> LLMUsage:
    """What an attempt given up on may have cost: its prompt (about four characters a token) and, at
    most, every token it was allowed; a server goes on computing a request its client left."""
    return LLMUsage(sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1, max_tokens)


class _BadBody(Exception):
    """A 2xx whose body is not a chat completion (an HTML error page from a proxy, broken JSON)."""


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds asked by `retry-after-ms` or `retry-after` (seconds or an HTTP date), else None."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def _connection_summary(exc: BaseException) -> str:
    """A connection failure in a few fixed words, never the exception's own text: some of those (an
    HTTP parser quoting the bytes it could not read) carry what the far end sent."""
    cause = exc.__cause__ or exc
    text = str(cause).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text or "name resolution" in text:
        return "the host name does not resolve"
    if isinstance(cause, httpx2.ConnectError):
        return "could not connect"
    if isinstance(cause, httpx2.RemoteProtocolError):
        return "the reply is not valid HTTP"
    if isinstance(cause, (httpx2.ReadError, httpx2.WriteError)):
        return "the connection broke"
    return f"connection error ({type(cause).__name__})"


class _Cut(Exception):
    """A streamed reply given up on part way (it ran past its patience, or its connection broke):
    what had come is counted, and the stream is closed, so the server stops computing it."""

    def __init__(self, summary: str, failure: str, received: LLMUsage, *, timed_out: bool = True) -> None:
        super().__init__(failure)
        self.summary, self.failure, self.received, self.timed_out = summary, failure, received, timed_out


_slots: dict[str, int | None] = {}
_slots_lock = threading.Lock()


def server_slots(base_url: str, http_client: httpx2.Client | None) -> int | None:
    """How many requests the server says it serves at once (llama.cpp's `/props` `total_slots`),
    asked once per endpoint; None when it does not say (OpenAI, vLLM, Ollama)."""
    key = base_url.rstrip("/")
    with _slots_lock:
        if key in _slots:
            return _slots[key]
    root = re.sub(r"/v1$", "", key)
    try:
        client = http_client or httpx2.Client(timeout=5.0)
        try:
            reply = client.get(f"{root}/props", timeout=5.0)
        finally:
            if http_client is None:
                client.close()
        total = reply.json().get("total_slots") if reply.status_code == 200 else None
        slots = int(total) if isinstance(total, int) and 1 <= total <= 256 else None
    except (httpx2.HTTPError, ValueError, AttributeError):
        slots = None
    with _slots_lock:
        _slots[key] = slots
    return slots


def forget_slots(base_url: str) -> None:
    """Ask this endpoint again what it serves: its slots, and whether it streams."""
    with _slots_lock:
        _slots.pop(base_url.rstrip("/"), None)
        _unstreamed.discard(base_url.rstrip("/"))


# Endpoints that refused a streamed request ("stream_options" unknown to an older server): asked
# without streaming from then on, by every client of the process (under _slots_lock).
_unstreamed: set[str] = set()
_STREAM_REFUSAL = re.compile(r"\bstream", re.IGNORECASE)


class OpenAIChatBackend:
    """`http_client`: the httpx2 client to send through (the shell passes a guarded one for a
    team's endpoint: checked addresses, no redirects, its own key only); None: the SDK's own."""

    def __init__(self, config: LLMConfig, *, http_client: httpx2.Client | None = None) -> None:
        self.config = config
        self.client = openai.OpenAI(base_url=config.base_url, api_key=config.api_key or "not-needed",
                                    timeout=config.timeout_s, max_retries=0, http_client=http_client)
        self.http_client = http_client
        self._semaphore: threading.BoundedSemaphore | None = None
        if not config.concurrency_from_server:
            self._semaphore = endpoint_semaphore(config.base_url, config.concurrency)

    @property
    def concurrency(self) -> int:
        """Requests in flight at once: configured, or what the server said it serves."""
        if not self.config.concurrency_from_server:
            return max(1, self.config.concurrency)
        return server_slots(self.config.base_url, self.http_client) or max(1, self.config.concurrency)

    @property
    def semaphore(self) -> threading.BoundedSemaphore:
        if self._semaphore is None:
            self._semaphore = endpoint_semaphore(self.config.base_url, self.concurrency)
        return self._semaphore

    def close(self) -> None:
        self.client.close()

    def _streams(self) -> bool:
        """Whether the next request is streamed: configured so, and the endpoint has not refused it."""
        return self.config.stream and self.config.base_url.rstrip("/") not in _unstreamed

    def backoff_delay(self, retry_index: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `retry_index` (0-based)."""
        if retry_after is not None:
            return min(retry_after, self.config.retry_after_max_s)
        ceiling = min(self.config.backoff_max_s, self.config.backoff_base_s * (2 ** retry_index))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter": never less than half the step

    def chat(self, *, messages: list[dict[str, Any]], model: str, temperature: float, max_tokens: int,
             response_format: dict[str, Any] | None) -> Completion:
        kwargs: dict[str, Any] = {"model": model, "messages": messages, "temperature": temperature,
                                  "max_tokens": max_tokens}
        if response_format is not None:
            kwargs["response_format"] = response_format
        prompt_estimate = abandoned_estimate(messages, 0).prompt_tokens
        attempts, timeouts = 0, 0
        abandoned = LLMUsage()
        while True:
            attempts += 1
            retry_after: float | None = None
            patience = pacing.patience_s(self.config.base_url, timeout_s=self.config.timeout_s,
                                         prompt_tokens=prompt_estimate, max_tokens=max_tokens,
                                         timeouts_so_far=timeouts)
            try:
                with self.semaphore:
                    if self._streams():
                        return self._streamed(kwargs, patience, prompt_estimate, attempts, abandoned, timeouts)
                    started = time.monotonic()
                    reply = self.client.chat.completions.create(**kwargs, timeout=patience)
                if not isinstance(reply, ChatCompletion) or not reply.choices:
                    raise _BadBody(str(reply)[:200])
                usage = LLMUsage(reply.usage.prompt_tokens, reply.usage.completion_tokens) if reply.usage else LLMUsage()
                pacing.observe(self.config.base_url, prompt_tokens=usage.prompt_tokens or prompt_estimate,
                               completion_tokens=usage.completion_tokens, first_token_s=0.0,
                               total_s=time.monotonic() - started)
                return Completion(text=reply.choices[0].message.content or "", usage=usage, attempts=attempts,
                                  truncated=reply.choices[0].finish_reason == "length", abandoned=abandoned)
            except openai.APIStatusError as exc:
                status, said = exc.status_code, server_message(exc)
                if self._streams() and refuses_request(status, said) and _STREAM_REFUSAL.search(said):
                    with _slots_lock:
                        _unstreamed.add(self.config.base_url.rstrip("/"))
                    continue  # the same request, not streamed: the endpoint refused the stream, not the call
                if refuses_request(status, said):
                    # A redirect is not followed either: the client was built not to (see common.outbound).
                    summary = f"HTTP {status} from the endpoint" + (" (a redirect, not followed)"
                                                                    if 300 <= status < 400 else
                                                                    " (the request was refused)" if status >= 500 else "")
                    error = LLMUnavailableError(f"the LLM endpoint refused the request: HTTP {status}: {said}",
                                                status=status, attempts=attempts, summary=summary, refused=True)
                    error.abandoned = abandoned
                    raise error from exc
                retry_after = retry_after_seconds(exc.response.headers)
                failure, failure_status = f"HTTP {status}: {said}", status
                summary = f"HTTP {status} from the endpoint"
            except _Cut as exc:
                # The stream is closed: the server stops, and what it did is counted.
                failure, failure_status, summary = exc.failure, None, exc.summary
                abandoned = abandoned + exc.received
                timeouts += exc.timed_out
            except openai.APITimeoutError:
                failure, failure_status = f"timed out after {patience:g} s", None
                summary = f"no reply within {patience:g} s"
                # The server goes on computing the request its client left: all of it counts.
                abandoned = abandoned + abandoned_estimate(messages, max_tokens)
                timeouts += 1
            except openai.APIConnectionError as exc:
                failure, failure_status, summary = f"connection error: {exc}", None, _connection_summary(exc)
            except (_BadBody, json.JSONDecodeError, openai.APIResponseValidationError) as exc:
                failure, failure_status = f"the body is not a chat completion: {exc}", None
                summary = "the reply is not a chat completion"
            except openai.APIError as exc:  # an error event inside a stream
                said = " ".join(str(exc.message).split())[:SERVER_MESSAGE_MAX]
                if _INVALID_REQUEST.search(said):
                    error = LLMUnavailableError(f"the LLM endpoint refused the request: {said}", attempts=attempts,
                                                summary="the endpoint refused the request", refused=True)
                    error.abandoned = abandoned
                    raise error from exc
                failure, failure_status, summary = f"the stream reported an error: {said}", None, "an error in the stream"
            if attempts > self.config.max_retries:
                error = LLMUnavailableError(f"the LLM endpoint failed {attempts} times; last: {failure}",
                                            status=failure_status, attempts=attempts,
                                            summary=f"{summary} ({attempts} attempts)")
                error.abandoned = abandoned
                raise error
            time.sleep(self.backoff_delay(attempts - 1, retry_after))

    def _streamed(self, kwargs: dict[str, Any], patience: float, prompt_estimate: int, attempts: int,
                  abandoned: LLMUsage, timeouts: int) -> Completion:
        """One streamed attempt: the reply's pieces as they come, within `patience` in all and the
        endpoint's first-token patience between two pieces. Raises _Cut with what had come when it
        is given up part way."""
        between = pacing.first_token_patience_s(self.config.base_url, timeout_s=self.config.timeout_s,
                                                prompt_tokens=prompt_estimate) * 2 ** min(timeouts, 4)
        started = time.monotonic()
        # A reply still coming is cut only past what the endpoint's known pace allows; at an unknown
        # pace, only a stall cuts it (max_tokens bounds its length).
        deadline = started + patience if pacing.pace(self.config.base_url).calls else None
        pieces: list[str] = []
        received, chunks, usage, finish, first_at, stream = 0, 0, None, None, None, None
        try:
            stream = self.client.chat.completions.create(
                **kwargs, stream=True, stream_options={"include_usage": True},
                timeout=httpx2.Timeout(between, connect=min(between, 30.0)))
            for chunk in stream:
                now = time.monotonic()
                chunks += 1
                if chunk.usage is not None:
                    usage = LLMUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices or ():
                    if choice.delta is not None and choice.delta.content:
                        pieces.append(choice.delta.content)
                        received += 1
                        first_at = first_at if first_at is not None else now
                    finish = choice.finish_reason or finish
                if deadline is not None and now > deadline and finish is None:
                    raise _Cut(f"no full reply within {patience:g} s",
                               f"ran past its patience ({patience:g} s) after {received} tokens",
                               LLMUsage(prompt_estimate, received))
        except openai.APITimeoutError as exc:
            if not received:
                raise _Cut(f"no reply within {between:g} s", f"no first token within {between:g} s",
                           LLMUsage(prompt_estimate, 0)) from exc
            raise _Cut(f"the reply stalled for {between:g} s", f"the reply stalled for {between:g} s "
                       f"after {received} tokens", LLMUsage(prompt_estimate, received)) from exc
        except openai.APIConnectionError as exc:
            if not received:
                raise
            raise _Cut(_connection_summary(exc), f"the connection broke after {received} tokens: {exc}",
                       LLMUsage(prompt_estimate, received), timed_out=False) from exc
        finally:
            if stream is not None:
                stream.close()
        if not chunks:
            raise _BadBody("the stream carried no chat-completion chunks")
        ended = time.monotonic()
        if usage is None:  # a server that does not report usage in streams: about one token a piece
            usage = LLMUsage(prompt_estimate, received)
        pacing.observe(self.config.base_url, prompt_tokens=usage.prompt_tokens or prompt_estimate,
                       completion_tokens=usage.completion_tokens,
                       first_token_s=(first_at or ended) - started, total_s=ended - started)
        return Completion(text="".join(pieces), usage=usage, attempts=attempts, truncated=finish == "length",
                          abandoned=abandoned)
