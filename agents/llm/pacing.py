"""How fast an endpoint answers, and what that means for how long to wait.

Each completed call teaches the endpoint's pace: the wait before its first token, per prompt token,
and its tokens a second after that. A call's patience follows what it asks for: a reply of up to
`max_tokens` on a server that writes 20 tokens a second is given time for them, so a CPU server is
not cut off mid-answer (and the work it did thrown away) only because LLM_TIMEOUT_S was written for a
fast one. Until a pace is known, LLM_TIMEOUT_S alone applies; after a call timed out, the next attempt
waits twice as long (the endpoint is slower than was thought).

Shared by every client of the process, per base URL, like the endpoint's semaphore."""
from __future__ import annotations

import threading
from dataclasses import dataclass

# A new observation's weight in the running average: recent calls count most (a server's load changes).
_WEIGHT = 0.3
# Patience over the expected time: a reply is not cut at its expected length, only well past it.
_SLACK = 2.0


@dataclass
class Pace:
    first_token_s_per_prompt_token: float = 0.0
    tokens_per_s: float = 0.0
    calls: int = 0

    def expected_s(self, prompt_tokens: int, max_tokens: int) -> float | None:
        """Seconds a call of this size should take at this pace; None while nothing is known."""
        if not self.calls or self.tokens_per_s <= 0:
            return None
        return prompt_tokens * self.first_token_s_per_prompt_token + max_tokens / self.tokens_per_s


_paces: dict[str, Pace] = {}
_lock = threading.Lock()


def _key(base_url: str) -> str:
    return base_url.rstrip("/")


def pace(base_url: str) -> Pace:
    with _lock:
        known = _paces.get(_key(base_url))
        return Pace(known.first_token_s_per_prompt_token, known.tokens_per_s, known.calls) if known else Pace()


def observe(base_url: str, *, prompt_tokens: int, completion_tokens: int, first_token_s: float,
            total_s: float) -> None:
    """One completed call: its prompt and reply sizes, when its first token came and when it ended.
    A reply of a handful of tokens says little about the writing speed and is not counted for it."""
    writing_s = max(total_s - first_token_s, 1e-3)
    with _lock:
        current = _paces.setdefault(_key(base_url), Pace())
        per_prompt_token = first_token_s / max(prompt_tokens, 1)
        current.first_token_s_per_prompt_token = (
            per_prompt_token if not current.calls
            else (1 - _WEIGHT) * current.first_token_s_per_prompt_token + _WEIGHT * per_prompt_token)
        if completion_tokens >= 8:
            rate = completion_tokens / writing_s
            current.tokens_per_s = rate if current.tokens_per_s <= 0 else (
                (1 - _WEIGHT) * current.tokens_per_s + _WEIGHT * rate)
        current.calls += 1


def forget(base_url: str) -> None:
    with _lock:
        _paces.pop(_key(base_url), None)


def patience_s(base_url: str, *, timeout_s: float, prompt_tokens: int, max_tokens: int,
               timeouts_so_far: int = 0) -> float:
    """How long one attempt may take before it is given up: LLM_TIMEOUT_S, or more when the
    endpoint's pace says a reply this long needs more; doubled for every attempt that timed out."""
    expected = pace(base_url).expected_s(prompt_tokens, max_tokens)
    base = timeout_s if expected is None else max(timeout_s, _SLACK * expected)
    return base * (2 ** min(timeouts_so_far, 4))


def first_token_patience_s(base_url: str, *, timeout_s: float, prompt_tokens: int) -> float:
    """How long a streamed call may wait for its first token, or between two tokens: LLM_TIMEOUT_S,
    or more when reading a prompt this long takes the endpoint longer."""
    known = pace(base_url)
    if not known.calls:
        return timeout_s
    return max(timeout_s, _SLACK * prompt_tokens * known.first_token_s_per_prompt_token)
