"""The ports the agent core depends on. The Django shell implements them (benchmarks.adapters)."""
from __future__ import annotations

from typing import Any, Protocol

from agents.types import CardView, MediaCheck, RecordView, SampleDraft


class Pool(Protocol):
    def cards(self) -> list[CardView]:
        """All cards the caller may use."""

    def record_ids(self, dataset_id: int) -> list[int]:
        """Ids of the dataset's records, in source order."""

    def records(self, dataset_id: int, record_ids: list[int] | None = None) -> list[RecordView]:
        """The records with these ids (all records when None), in source order."""


class Tools(Protocol):
    def media_check(self, abs_path: str, kind: str) -> MediaCheck:
        """Is the file present and decodable as this kind of media?"""


class Ledger(Protocol):
    def tool_call(self, *, tool: str, version: str, ok: bool, latency_ms: int, item_key: str = "",
                  detail: dict[str, Any] | None = None) -> None:
        """Record one tool call."""

    def llm_call(self, *, role: str, model: str, prompt_tokens: int, completion_tokens: int,
                 latency_ms: int, cached: bool, item_key: str = "") -> None:
        """Record one LLM call."""


class Sink(Protocol):
    def existing(self, grounding_id: int) -> dict[str, str]:
        """Item keys already made for this grounding, with their status (for resume)."""

    def put(self, draft: SampleDraft) -> bool:
        """Persist one sample; False when its item key already existed (nothing written)."""

    def progress(self, done: int, total: int) -> None:
        """Report progress of the current cell."""

    def event(self, kind: str, message: str, *, level: str = "info", data: dict[str, Any] | None = None) -> None:
        """Append to the run's event log."""


class LLM(Protocol):
    def complete(self, messages: list[dict[str, Any]], schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
        """A validated object for the JSON schema, and the token usage."""
