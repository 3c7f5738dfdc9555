"""A concurrent evaluation run of one target model: each item asked once (the backend retries
transient failures and keeps to the endpoint's concurrency), each reply scored, each answer handed
back on the caller's thread as it comes."""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

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


def run_eval(items: list[EvalItem], *, backend: OpenAIChatBackend, model: str, concurrency: int,
             on_answer: Callable[[EvalAnswer], None], max_tokens: int = 64) -> None:
    """Ask every item, `concurrency` in flight; on_answer runs on this thread for each answer."""
    pending = iter(items)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="eval") as pool:
        in_flight: set[Future] = set()
        while True:
            while len(in_flight) < max(1, concurrency):
                item = next(pending, None)
                if item is None:
                    break
                in_flight.add(pool.submit(_ask, backend, model, max_tokens, item))
            if not in_flight:
                return
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                on_answer(future.result())
