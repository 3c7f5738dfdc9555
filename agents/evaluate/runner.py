"""A concurrent evaluation run of one target model: each item asked once (the backend retries
transient failures and keeps to the endpoint's concurrency), each reply scored, each answer handed
back on the caller's thread as it comes. A run may be asked in slices (a number of items or a time
budget per call) and stops early when the endpoint keeps failing (a circuit breaker)."""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from agents.evaluate import EvalAnswer, EvalItem
from agents.evaluate.scoring import eval_messages, score_reply
from agents.llm import LLMError, LLMUnavailableError
from agents.llm.openai_backend import OpenAIChatBackend


def _ask(backend: OpenAIChatBackend, model: str, max_tokens: int, item: EvalItem) -> EvalAnswer:
    started = time.perf_counter()
    try:
        completion = backend.chat(messages=eval_messages(item), model=model, temperature=0.0, max_tokens=max_tokens,
                                  response_format=None)
    except LLMError as exc:
        # The summary, never the message: a target model's error replies are not the team's to read back
        # (the endpoint may be a service inside the operator's network).
        summary = exc.summary if isinstance(exc, LLMUnavailableError) else type(exc).__name__
        return EvalAnswer(item_key=item.item_key, method="error", error=summary[:200],
                          latency_ms=int(1000 * (time.perf_counter() - started)))
    parsed, correct, method = score_reply(item, completion.text)
    return EvalAnswer(item_key=item.item_key, raw=completion.text[:4000], parsed=parsed, correct=correct, method=method,
                      prompt_tokens=completion.usage.prompt_tokens, completion_tokens=completion.usage.completion_tokens,
                      latency_ms=int(1000 * (time.perf_counter() - started)))


@dataclass(frozen=True)
class EvalProgress:
    """What one call of run_eval did."""

    asked: int  # items sent whose answer went to on_answer (failed ones included)
    failed: int  # of those, items the backend gave up on after its retries
    left: int  # items not sent: the slice ended, or the circuit opened
    circuit_open: bool  # stopped because max_consecutive_failures items in a row failed
    consecutive_failures: int  # failures in a row at the end (carried into the next slice)
    last_error: str = ""


def run_eval(items: list[EvalItem], *, backend: OpenAIChatBackend, model: str, concurrency: int,
             on_answer: Callable[[EvalAnswer], None], max_tokens: int = 64, max_items: int | None = None,
             deadline: float | None = None, max_consecutive_failures: int | None = None,
             consecutive_failures: int = 0) -> EvalProgress:
    """Ask the items, `concurrency` in flight; on_answer runs on this thread for each answer.

    It stops sending (the items in flight still finish and are handed back) after `max_items` items,
    at `deadline` (a time.monotonic() value), or once `max_consecutive_failures` answers in a row
    have failed: an endpoint that is down would otherwise hold a worker through every item's retries.
    `consecutive_failures` carries the count in from an earlier slice of the same run."""
    pending = iter(items)
    limit = max(1, concurrency)
    sent = asked = failed = 0
    consecutive, circuit_open, last_error = consecutive_failures, False, ""

    def stopping() -> bool:
        if circuit_open:
            return True
        # A slice sends at least one item, so a run cut into slices always moves on.
        return sent > 0 and ((max_items is not None and sent >= max_items)
                             or (deadline is not None and time.monotonic() >= deadline))

    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="eval") as pool:
        in_flight: set[Future] = set()
        while True:
            while len(in_flight) < limit and not stopping():
                item = next(pending, None)
                if item is None:
                    break
                in_flight.add(pool.submit(_ask, backend, model, max_tokens, item))
                sent += 1
            if not in_flight:
                break
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                answer = future.result()
                asked += 1
                if answer.error:
                    failed, consecutive, last_error = failed + 1, consecutive + 1, answer.error
                    if max_consecutive_failures and consecutive >= max_consecutive_failures:
                        circuit_open = True
                else:
                    consecutive = 0
                on_answer(answer)
    return EvalProgress(asked=asked, failed=failed, left=len(items) - sent, circuit_open=circuit_open,
                        consecutive_failures=consecutive, last_error=last_error)
