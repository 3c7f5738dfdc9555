"""The one module that talks to an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM,
Ollama, llama.cpp server) through the `openai` package.

The package's own retries are off: this module retries 429, 5xx, timeouts, connection errors and
bodies that are not chat completions, with exponential backoff and jitter, waiting at least what
Retry-After asks (capped). A 4xx, or a 5xx whose message says the request itself is invalid
(llama-cpp-python answers an unsupported response format with HTTP 500 and a validation error), is
not retried: sent again it fails again. The server's own message is kept in the error's text (the
run's error and the ledger), never in its `summary`. A semaphore per endpoint bounds the requests in flight; it is held only
while a request is on the wire, never during a backoff."""
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


class OpenAIChatBackend:
    """`http_client`: the httpx2 client to send through (the shell passes a guarded one for a
    team's endpoint: checked addresses, no redirects, its own key only); None: the SDK's own."""

    def __init__(self, config: LLMConfig, *, http_client: httpx2.Client | None = None) -> None:
        self.config = config
        self.client = openai.OpenAI(base_url=config.base_url, api_key=config.api_key or "not-needed",
                                    timeout=config.timeout_s, max_retries=0, http_client=http_client)
        self.semaphore = endpoint_semaphore(config.base_url, config.concurrency)

    def close(self) -> None:
        self.client.close()

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
        attempts = 0
        abandoned = LLMUsage()
        while True:
            attempts += 1
            retry_after: float | None = None
            try:
                with self.semaphore:
                    reply = self.client.chat.completions.create(**kwargs)
                if not isinstance(reply, ChatCompletion) or not reply.choices:
                    raise _BadBody(str(reply)[:200])
                usage = LLMUsage(reply.usage.prompt_tokens, reply.usage.completion_tokens) if reply.usage else LLMUsage()
                return Completion(text=reply.choices[0].message.content or "", usage=usage, attempts=attempts,
                                  truncated=reply.choices[0].finish_reason == "length", abandoned=abandoned)
            except openai.APIStatusError as exc:
                status, said = exc.status_code, server_message(exc)
                if refuses_request(status, said):
                    # A redirect is not followed either: the client was built not to (see common.outbound).
                    summary = f"HTTP {status} from the endpoint" + (" (a redirect, not followed)"
                                                                    if 300 <= status < 400 else
                                                                    " (the request was refused)" if status >= 500 else "")
                    raise LLMUnavailableError(f"the LLM endpoint refused the request: HTTP {status}: {said}",
                                              status=status, attempts=attempts, summary=summary,
                                              refused=True) from exc
                retry_after = retry_after_seconds(exc.response.headers)
                failure, failure_status = f"HTTP {status}: {said}", status
                summary = f"HTTP {status} from the endpoint"
            except openai.APITimeoutError:
                failure, failure_status = f"timed out after {self.config.timeout_s} s", None
                summary = f"no reply within {self.config.timeout_s:g} s"
                abandoned = abandoned + abandoned_estimate(messages, max_tokens)
            except openai.APIConnectionError as exc:
                failure, failure_status, summary = f"connection error: {exc}", None, _connection_summary(exc)
            except (_BadBody, json.JSONDecodeError, openai.APIResponseValidationError) as exc:
                failure, failure_status = f"the body is not a chat completion: {exc}", None
                summary = "the reply is not a chat completion"
            if attempts > self.config.max_retries:
                error = LLMUnavailableError(f"the LLM endpoint failed {attempts} times; last: {failure}",
                                            status=failure_status, attempts=attempts,
                                            summary=f"{summary} ({attempts} attempts)")
                error.abandoned = abandoned
                raise error
            time.sleep(self.backoff_delay(attempts - 1, retry_after))
