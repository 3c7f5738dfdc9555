"""The content-addressed response cache: a re-run of the same call costs nothing and gives the same
answer. The key is the sha256 of what decides the answer (model, messages, schema, temperature)."""
from __future__ import annotations

import hashlib
import json
import threading
from typing import Any, Protocol

from pydantic import BaseModel


class ResponseCache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry (raw_text, value, usage) or None."""

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store the entry; a key that is already there keeps its first entry."""


def cache_key(*, model: str, messages: list[dict[str, Any]], schema: type[BaseModel], temperature: float) -> str:
    payload = {"model": model, "messages": messages, "schema": schema.model_json_schema(),
               "temperature": temperature}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class MemoryCache:
    """A process-local cache (tests, scripts)."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.setdefault(key, entry)

    def __len__(self) -> int:
        return len(self._entries)
