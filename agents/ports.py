"""The ports the agent core depends on. The Django shell implements them (benchmarks.adapters)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from agents.llm.cache import ResponseCache  # noqa: F401  (the LLM response cache port, defined beside its key)
from agents.llm.types import LLMRequest, LLMResult
from agents.types import CardView, MediaCheck, MediaRef, PoolHit, RecordView, SampleDraft

T = TypeVar("T", bound=BaseModel)


class Pool(Protocol):
    def cards(self) -> list[CardView]:
        """All cards the caller may use."""

    def record_ids(self, dataset_id: int) -> list[int]:
        """Ids of the dataset's records, in source order."""

    def records(self, dataset_id: int, record_ids: list[int] | None = None) -> list[RecordView]:
        """The records with these ids (all records when None), in source order."""

    def search(self, query: str, *, modalities: list[str], roles: list[str], limit: int) -> list[PoolHit]:
        """The cards that best fit the query, best first, among those whose non-text modalities are
        exactly those of `modalities`; `roles` are field roles that earn a bonus when present."""


class Tools(Protocol):
    def media_check(self, abs_path: str, kind: str) -> MediaCheck:
        """Is the file present and decodable as this kind of media?"""

    def speak(self, turns: list[tuple[str, str]]) -> MediaRef:
        """A dialogue's turns (speaker, words) spoken as one recording in the media store."""

    def speech_version(self) -> str:
        """The speech synthesiser's name and version, for the ledger."""

    def mix_noise(self, abs_path: str, snr_db: float, *, seed: str) -> MediaRef:
        """The recording with noise mixed in at the signal-to-noise ratio (dB), seeded."""

    def transcribe(self, abs_path: str) -> str:
        """What speech recognition hears in a recording."""

    def asr_version(self) -> str:
        """The recogniser's name, version and model, for the ledger."""

    def render_text(self, text: str) -> MediaRef:
        """The text rendered as an image in the media store."""

    def degrade_image(self, abs_path: str, kind: str, severity: int, *, seed: str) -> MediaRef:
        """The image degraded (downscale, blur, jpeg, occlusion, noise; severity 1-5), seeded."""

    def crop_image(self, abs_path: str, box: tuple[float, float, float, float]) -> MediaRef:
        """The region (left, top, right, bottom) of the image."""

    def image_version(self) -> str:
        """The image library's name and version, for the ledger."""

    def ocr(self, abs_path: str) -> str:
        """The text OCR reads in an image."""

    def ocr_words(self, abs_path: str) -> list[tuple[str, float, int]]:
        """The words OCR reads in an image, in reading order: (word, confidence 0-100, line)."""

    def ocr_version(self) -> str:
        """The OCR engine's name and version, for the ledger."""

    def clean_media(self, abs_path: str, kind: str) -> tuple[MediaRef | None, list[str]]:
        """A copy of the file without metadata (EXIF, comments, XMP, text chunks, INFO/ID3), and what
        was stripped; (None, []) when the file carries none."""


class Ledger(Protocol):
    def tool_call(self, *, tool: str, version: str, ok: bool, latency_ms: int, item_key: str = "",
                  detail: dict[str, Any] | None = None) -> None:
        """Record one tool call."""

    def llm_call(self, *, role: str, model: str, prompt_tokens: int, completion_tokens: int,
                 latency_ms: int, cached: bool, item_key: str = "", cost: Decimal = Decimal(0),
                 request: dict[str, Any] | None = None, response: dict[str, Any] | None = None) -> None:
        """Record one LLM call (a cache hit too, with cached=True and no tokens): its cost in USD
        from the price table, the messages sent and the raw reply (for audit and replay)."""


class Sink(Protocol):
    def existing(self, grounding_id: int) -> dict[str, tuple[str, int]]:
        """Item keys already made for this grounding, with their status and source record id (for resume)."""

    def put(self, draft: SampleDraft) -> bool:
        """Persist one sample; False when its item key already existed (nothing written)."""

    def fingerprints(self) -> list[tuple[str, list[float], str]]:
        """(item key, text embedding, exact key) of the version's accepted samples, for duplicate checks."""

    def progress(self, done: int, total: int) -> None:
        """Report progress of the current cell."""

    def event(self, kind: str, message: str, *, level: str = "info", data: dict[str, Any] | None = None) -> None:
        """Append to the run's event log."""


class LLM(Protocol):
    """Implemented by agents.llm.LLMClient."""

    def complete(self, messages: list[dict[str, Any]], schema: type[T], *, role: str,
                 item_key: str = "") -> LLMResult[T]:
        """A validated `schema` object, with usage, model, latency, cost and whether it came from the cache."""

    def complete_many(self, requests: list[LLMRequest], *, return_exceptions: bool = False) -> list[Any]:
        """Independent calls, sent concurrently; results (or, with return_exceptions, LLMErrors) in order."""

    def submit(self, request: LLMRequest) -> Any:
        """Start a call without waiting; a handle for result()."""

    def result(self, handle: Any) -> LLMResult:
        """Wait for a submitted call; raises its LLMError."""

    def done(self, handle: Any) -> bool:
        """Has a submitted call come back (result() would not wait)?"""

