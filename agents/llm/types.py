"""The LLM layer's data: per-role configuration, one call's result and usage, and its errors.

Plain pydantic and dataclasses, no Django: the Django shell builds an `LLMConfig` from settings
(benchmarks.adapters.llm_config_from_settings)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T", bound=BaseModel)

MILLION = Decimal(1_000_000)
COST_QUANTUM = Decimal("0.000001")


class RoleConfig(BaseModel):
    """What one role (scope, design, judge...) asks of the model."""

    model_config = ConfigDict(frozen=True)

    model: str
    temperature: float = 0.0
    max_tokens: int = 2048


class LLMConfig(BaseModel):
    """One OpenAI-compatible endpoint and how the roles use it."""

    model_config = ConfigDict(frozen=True)

    base_url: str
    api_key: str = ""
    default: RoleConfig
    roles: dict[str, RoleConfig] = Field(default_factory=dict)
    # How replies are held to their schema: "json_schema" (OpenAI, vLLM, llama.cpp's llama-server,
    # Ollama), "json_object" with the schema beside it (llama-cpp-python's server), or "prompt" (the
    # schema in the system prompt, the JSON extracted from the text). "auto" starts with json_schema
    # and steps down when the endpoint refuses the format, remembering per endpoint what it takes.
    structured_output: Literal["auto", "json_schema", "json_object", "prompt"] = "auto"
    json_schema: bool = True  # False: "prompt", whatever structured_output says (LLM_JSON_SCHEMA=false)
    timeout_s: float = 60.0
    max_retries: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    retry_after_max_s: float = 30.0
    # Requests in flight at once against this endpoint (shared by every client of the same base URL).
    concurrency: int = 4
    # True: ask the server how many requests it serves at once (llama.cpp's /props `total_slots`) and
    # use that, or `concurrency` when it does not say (LLM_CONCURRENCY=auto).
    concurrency_from_server: bool = False
    # Streamed replies: progress is seen as it comes, a slow server is given the time its pace needs,
    # tokens are counted even when a call is cut, and a call given up on is closed, so the server stops
    # computing it. False for a server that does not stream (LLM_STREAM=false).
    stream: bool = True
    # USD per 1M tokens: {model: (input, output)}. A model missing here costs 0 (and says so in the ledger).
    prices: dict[str, tuple[float, float]] = Field(default_factory=dict)

    def structured_mode(self) -> str:
        """The configured structured-output mode ("auto" until negotiated)."""
        return self.structured_output if self.json_schema else "prompt"

    def for_role(self, role: str) -> RoleConfig:
        return self.roles.get(role, self.default)

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> Decimal:
        price = self.prices.get(model)
        if price is None:
            return Decimal(0).quantize(COST_QUANTUM)
        input_price, output_price = (Decimal(str(p)) for p in price)
        return ((prompt_tokens * input_price + completion_tokens * output_price) / MILLION).quantize(COST_QUANTUM)


@dataclass(frozen=True)
class LLMUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: LLMUsage) -> LLMUsage:
        return LLMUsage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True)
class LLMResult(Generic[T]):
    """One validated answer. `attempts` counts the HTTP requests sent (retries and the repair round
    included; 0 for a cache hit); `usage` and `cost` add up every round that was billed (none for a
    cache hit); `latency_ms` is this call's own time, not the batch's."""

    value: T
    usage: LLMUsage
    model: str
    latency_ms: int
    cached: bool
    raw_text: str
    attempts: int
    cost: Decimal = Decimal(0)
    cache_key: str = ""


@dataclass(frozen=True)
class LLMRequest:
    """One call for `LLMClient.complete_many`."""

    messages: list[dict[str, Any]]
    schema: type[BaseModel]
    role: str
    item_key: str = ""


class LLMError(Exception):
    """Base of the LLM layer's errors."""


class LLMUnavailableError(LLMError):
    """The endpoint kept failing (429, 5xx, timeouts, connection errors, bodies that are not JSON)
    until the retries ran out, or refused the request (4xx). `summary` says what happened in a
    few words and never quotes the reply: it is what may be shown to whoever named the endpoint."""

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 0, summary: str = "",
                 refused: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts
        self.refused = refused  # the endpoint said the request itself is wrong (not retried)
        self.abandoned = LLMUsage()  # estimated work of the attempts that timed out (charged to budgets)
        self.summary = summary or (f"HTTP {status} from the endpoint" if status else "the endpoint failed")


class LLMOutputError(LLMError):
    """The model's reply did not give a valid object, even after the repair round. Keeps the raw
    text of every round for audit."""

    def __init__(self, message: str, *, raw_text: str, rounds: list[dict[str, str]], usage: LLMUsage,
                 attempts: int) -> None:
        super().__init__(f"{message}; raw reply: {raw_text[:500]!r}")
        self.raw_text = raw_text
        self.rounds = rounds
        self.usage = usage
        self.attempts = attempts


@dataclass
class _Outcome:
    """What one uncached call produced (internal: passed from a worker thread back to the caller)."""

    result: LLMResult | None = None
    error: LLMError | None = None
    request: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)
    usage: LLMUsage = field(default_factory=LLMUsage)
    latency_ms: int = 0
