"""The LLM client the agent's roles use: `complete(messages, schema, role=...)` gives a validated
pydantic object, through the response cache, with one repair round, and reports every call
(cache hits too) to the ledger.

Threads: `complete_many` sends the uncached calls from a thread pool, but the cache and the
ledger are only touched on the caller's thread (the Django implementations use the database,
whose connections and transactions belong to a thread)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from agents.llm.cache import ResponseCache, cache_key
from agents.llm.fence import FENCE_INSTRUCTION, has_fenced_data
from agents.llm.openai_backend import OpenAIChatBackend
from agents.llm.structured import (
    NEXT_MODE,
    ReplyError,
    parse_reply,
    refuses_format,
    repair_message,
    response_format,
    schema_instruction,
    truncated_repair,
)
from agents.llm.types import (
    LLMConfig,
    LLMError,
    LLMOutputError,
    LLMRequest,
    LLMResult,
    LLMUnavailableError,
    LLMUsage,
    T,
    _Outcome,
)


# What each endpoint was found to take (structured output "auto"), for every client of this process.
_negotiated: dict[str, str] = {}
_negotiated_lock = threading.Lock()


def negotiated_mode(base_url: str) -> str:
    """The structured-output mode an endpoint was found to take; "json_schema" until it refuses it."""
    with _negotiated_lock:
        return _negotiated.get(base_url.rstrip("/"), "json_schema")


def remember_mode(base_url: str, mode: str) -> None:
    with _negotiated_lock:
        _negotiated[base_url.rstrip("/")] = mode


def forget_mode(base_url: str) -> None:
    """Negotiate again with this endpoint (its server was replaced)."""
    with _negotiated_lock:
        _negotiated.pop(base_url.rstrip("/"), None)


class LLMClient:
    def __init__(self, config: LLMConfig, *, cache: ResponseCache | None = None, ledger: Any = None,
                 backend: OpenAIChatBackend | None = None) -> None:
        self.config = config
        self.cache = cache
        self.ledger = ledger
        self.backend = backend or OpenAIChatBackend(config)
        self._pool: ThreadPoolExecutor | None = None  # for submit()

    # --- the interface -------------------------------------------------------------------------

    @property
    def concurrency(self) -> int:
        """Calls in flight at once against the endpoint: configured, or its slots (LLM_CONCURRENCY=auto)."""
        return self.backend.concurrency

    def complete(self, messages: list[dict[str, Any]], schema: type[T], *, role: str,
                 item_key: str = "") -> LLMResult[T]:
        """A validated `schema` object for the messages; raises LLMOutputError (with the raw text)
        or LLMUnavailableError."""
        return self._finish(self._prepare(LLMRequest(messages, schema, role, item_key)))

    def complete_many(self, requests: list[LLMRequest], *,
                      return_exceptions: bool = False) -> list[LLMResult | LLMError]:
        """Independent calls sent concurrently (bounded by the endpoint's semaphore); results in the
        order of the requests. With return_exceptions, a failed call gives its LLMError in place;
        otherwise the first failure is raised after every call has finished and been recorded."""
        prepared = [self._prepare(request) for request in requests]
        misses = [p for p in prepared if p["hit"] is None]
        if misses:
            workers = min(len(misses), self.backend.concurrency)
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm") as pool:
                for p, outcome in zip(misses, pool.map(self._call, misses), strict=True):
                    p["outcome"] = outcome
        results: list[LLMResult | LLMError] = []
        for p in prepared:
            try:
                results.append(self._finish(p))
            except LLMError as exc:
                results.append(exc)
        if not return_exceptions:
            for item in results:
                if isinstance(item, LLMError):
                    raise item
        return results

    def submit(self, request: LLMRequest) -> dict[str, Any]:
        """Start one call without waiting: the cache is read here, the call runs on the client's
        thread pool; `result(handle)` waits for it and records it (on the caller's thread)."""
        handle = self._prepare(request)
        if handle["hit"] is None:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.backend.concurrency, thread_name_prefix="llm")
            handle["future"] = self._pool.submit(self._call, handle)
        return handle

    def done(self, handle: dict[str, Any]) -> bool:
        """Has the submitted call come back (a cache hit has)? result() would not wait."""
        future = handle.get("future")
        return future is None or future.done()

    def result(self, handle: dict[str, Any]) -> LLMResult:
        """The submitted call's result (raises its LLMError), recorded in the cache and the ledger."""
        future = handle.pop("future", None)
        if future is not None:
            handle["outcome"] = future.result()
        return self._finish(handle)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    # --- steps ---------------------------------------------------------------------------------

    def _prepare(self, request: LLMRequest) -> dict[str, Any]:
        role_config = self.config.for_role(request.role)
        messages = self._with_system_notes(request.messages, request.schema)
        key = cache_key(model=role_config.model, messages=messages, schema=request.schema,
                        temperature=role_config.temperature)
        started = time.monotonic()
        hit = self.cache.get(key) if self.cache is not None else None
        return {"request": request, "role_config": role_config, "messages": messages, "key": key,
                "hit": hit, "lookup_ms": round((time.monotonic() - started) * 1000), "outcome": None}

    def _mode(self) -> str:
        """The structured-output mode of the next request: the configured one, or what this
        endpoint was found to take."""
        mode = self.config.structured_mode()
        return negotiated_mode(self.config.base_url) if mode == "auto" else mode

    def _with_system_notes(self, messages: list[dict[str, Any]], schema: type[BaseModel],
                           mode: str = "json_schema") -> list[dict[str, Any]]:
        """The caller's messages with the fence rule (when data is fenced) and, where the server does
        not hold the reply to the schema by itself (json_object, prompt), the schema instruction
        added to the first system message."""
        notes = []
        if any(has_fenced_data(str(m.get("content", ""))) for m in messages):
            notes.append(FENCE_INSTRUCTION)
        if mode != "json_schema":
            notes.append(schema_instruction(schema))
        if not notes:
            return [dict(m) for m in messages]
        out = [dict(m) for m in messages]
        if out and out[0].get("role") == "system":
            out[0]["content"] = "\n\n".join([str(out[0].get("content", "")), *notes])
        else:
            out.insert(0, {"role": "system", "content": "\n\n".join(notes)})
        return out

    def _call(self, p: dict[str, Any]) -> _Outcome:
        """The uncached call: a round, and a repair round if the first reply gives no valid object.
        Runs on a worker thread; touches neither the cache nor the ledger."""
        started = time.monotonic()
        outcome = self._rounds(p)
        outcome.latency_ms = round((time.monotonic() - started) * 1000)
        if outcome.result is not None:
            outcome.result = dataclasses.replace(outcome.result, latency_ms=outcome.latency_ms)
        return outcome

    def _rounds(self, p: dict[str, Any]) -> _Outcome:
        request: LLMRequest = p["request"]
        role_config = p["role_config"]
        mode = self._mode()
        # The prepared messages are json_schema's (they make the cache key); other modes add the schema.
        messages = p["messages"] if mode == "json_schema" else self._with_system_notes(request.messages,
                                                                                      request.schema, mode)
        usage, attempts, rounds, refusals = LLMUsage(), 0, [], []

        def logged() -> dict[str, Any]:
            return {"messages": loggable(messages), "schema": request.schema.__name__, "model": role_config.model,
                    "temperature": role_config.temperature, "max_tokens": role_config.max_tokens,
                    "structured_output": mode, "cache_key": p["key"]}
        logged_request = logged()
        round_index = 0
        while round_index < 2:
            try:
                completion = self.backend.chat(messages=messages, model=role_config.model,
                                               temperature=role_config.temperature, max_tokens=role_config.max_tokens,
                                               response_format=response_format(request.schema, mode))
            except LLMUnavailableError as exc:
                attempts += exc.attempts
                exc.attempts = attempts
                usage = usage + exc.abandoned  # timed-out attempts: the server may have done the work
                if (exc.refused and mode in NEXT_MODE and self.config.structured_mode() == "auto"
                        and refuses_format(str(exc))):
                    # The endpoint does not take this response format: the next one, remembered.
                    refusals.append(f"{mode}: {exc}")
                    mode = NEXT_MODE[mode]
                    remember_mode(self.config.base_url, mode)
                    messages = self._with_system_notes(request.messages, request.schema, mode)
                    if round_index:  # the repair round's exchange, in the new mode
                        messages += p["repair"]
                    logged_request = logged()
                    continue
                return _Outcome(error=exc, request=logged_request, usage=usage,
                                response={"error": str(exc), "rounds": rounds, "attempts": attempts,
                                          **({"format_refused": refusals} if refusals else {})})
            usage, attempts = usage + completion.usage + completion.abandoned, attempts + completion.attempts
            try:
                value = parse_reply(completion.text, request.schema)
            except ReplyError as exc:
                rounds.append({"raw_text": completion.text, "error": str(exc),
                               **({"truncated": True} if completion.truncated else {})})
                if round_index == 0:
                    p["repair"] = (truncated_repair(completion.text, role_config.max_tokens) if completion.truncated
                                   else [{"role": "assistant", "content": completion.text}, repair_message(exc)])
                    messages = [*messages, *p["repair"]]
                    logged_request = logged()
                    round_index += 1
                    continue
                error = LLMOutputError("the reply gave no valid object after one repair round",
                                       raw_text=completion.text, rounds=rounds, usage=usage, attempts=attempts)
                return _Outcome(error=error, request=logged_request, usage=usage,
                                response={"raw_text": completion.text, "error": str(exc), "rounds": rounds,
                                          "attempts": attempts})
            rounds.append({"raw_text": completion.text, "error": ""})
            if refusals:
                rounds[-1]["format_refused"] = refusals
            result = LLMResult(value=value, usage=usage, model=role_config.model, latency_ms=0, cached=False,
                               raw_text=completion.text, attempts=attempts, cache_key=p["key"],
                               cost=self.config.cost(role_config.model, usage.prompt_tokens, usage.completion_tokens))
            return _Outcome(result=result, request=logged_request, usage=usage,
                            response={"raw_text": completion.text, "value": value.model_dump(mode="json"),
                                      "rounds": rounds, "attempts": attempts})
        raise AssertionError("unreachable")

    def _finish(self, p: dict[str, Any]) -> LLMResult:
        """On the caller's thread: answer from the cache, or run (or take) the call's outcome; store
        it in the cache; report it to the ledger."""
        request: LLMRequest = p["request"]
        role_config = p["role_config"]
        if p["hit"] is not None:
            entry = p["hit"]
            result = LLMResult(value=request.schema.model_validate(entry["value"]),
                               usage=LLMUsage(), model=role_config.model,
                               latency_ms=p["lookup_ms"], cached=True,
                               raw_text=entry["raw_text"], attempts=0, cost=Decimal(0), cache_key=p["key"])
            self._report(request, result.model, LLMUsage(), result.latency_ms, cached=True, cost=Decimal(0),
                         logged_request={"messages": p["messages"], "schema": request.schema.__name__,
                                         "cache_key": p["key"]},
                         logged_response={"raw_text": entry["raw_text"], "value": entry["value"]})
            return result
        outcome: _Outcome = p["outcome"] or self._call(p)
        latency_ms = outcome.latency_ms
        cost = self.config.cost(role_config.model, outcome.usage.prompt_tokens, outcome.usage.completion_tokens)
        if outcome.result is not None and self.cache is not None:
            self.cache.put(p["key"], {"raw_text": outcome.result.raw_text,
                                      "value": outcome.response["value"],
                                      "usage": {"prompt_tokens": outcome.usage.prompt_tokens,
                                                "completion_tokens": outcome.usage.completion_tokens},
                                      "model": role_config.model})
        response = dict(outcome.response)
        if role_config.model not in self.config.prices:
            response["price"] = "no price for this model in LLM_PRICES; cost recorded as 0"
        self._report(request, role_config.model, outcome.usage, latency_ms, cached=False, cost=cost,
                     logged_request=outcome.request, logged_response=response)
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    def _report(self, request: LLMRequest, model: str, usage: LLMUsage, latency_ms: int, *, cached: bool,
                cost: Decimal, logged_request: dict[str, Any], logged_response: dict[str, Any]) -> None:
        if self.ledger is None:
            return
        self.ledger.llm_call(role=request.role, model=model, prompt_tokens=usage.prompt_tokens,
                             completion_tokens=usage.completion_tokens, latency_ms=latency_ms, cached=cached,
                             item_key=request.item_key, cost=cost,
                             request=json.loads(json.dumps(logged_request, default=str)),
                             response=json.loads(json.dumps(logged_response, default=str)))


_MEDIA_PARTS = {"image_url": lambda part: part.get("image_url", {}).get("url", ""),
                "input_audio": lambda part: part.get("input_audio", {}).get("data", "")}


def loggable(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages as the ledger keeps them: an image or a recording sent inline (base64) is
    replaced by its size and digest, so the ledger holds what was asked, not megabytes of media."""
    out = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            out.append(message)
            continue
        parts = []
        for part in content:
            payload = _MEDIA_PARTS.get(part.get("type", ""), lambda _: "")(part) if isinstance(part, dict) else ""
            if payload:
                digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
                parts.append({"type": part["type"], "omitted": f"{len(payload)} base64 characters, sha256 {digest}"})
            else:
                parts.append(part)
        out.append({**message, "content": parts})
    return out
