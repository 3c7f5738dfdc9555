"""The tools operators may call while making an item (speech, rendering, image edits), each call
timed and recorded in the ledger next to the LLM calls; a failure fails the item, never the cell."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from agents.operators import OperatorError
from agents.ports import Ledger, Tools
from agents.tools.embedding import Embedder
from agents.types import MediaRef


class ToolBox:
    def __init__(self, tools: Tools, ledger: Ledger, embedder: Embedder | None = None) -> None:
        self.tools = tools
        self.ledger = ledger
        self.embedder = embedder
        self._versions: dict[str, str] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def closeness(self, anchor: str, texts: list[str]) -> dict[str, float]:
        """Cosine of each text to the anchor with the packaged embedding model (vectors cached for
        the cell: a bank's answers are embedded once); empty without a model."""
        if self.embedder is None or not texts:
            return {}
        missing = [t for t in dict.fromkeys([anchor, *texts]) if t not in self._vectors]
        if missing:
            vectors = np.asarray(self.embedder.embed(missing), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
            self._vectors.update(zip(missing, vectors, strict=True))
        key = self._vectors[anchor]
        return {t: float(self._vectors[t] @ key) for t in texts}

    def _version(self, name: str, read: Callable[[], str]) -> str:
        if name not in self._versions:
            self._versions[name] = read()
        return self._versions[name]

    def _call(self, tool: str, version: str, key: str, run: Callable[[], MediaRef], detail: dict[str, Any]) -> MediaRef:
        started = time.monotonic()
        try:
            ref = run()
        except Exception as exc:  # noqa: BLE001 - any tool failure fails this item, never the cell
            self.ledger.tool_call(tool=tool, version=version, ok=False, item_key=key,
                                  latency_ms=round((time.monotonic() - started) * 1000),
                                  detail={**detail, "error": str(exc)[:500]})
            raise OperatorError(f"{tool} failed: {exc}") from exc
        self.ledger.tool_call(tool=tool, version=version, ok=True, item_key=key,
                              latency_ms=round((time.monotonic() - started) * 1000), detail={**detail, "file": ref.file})
        return ref

    def speak(self, turns: list[tuple[str, str]], key: str) -> MediaRef:
        return self._call("tts", self._version("tts", self.tools.speech_version), key,
                          lambda: self.tools.speak(turns), {"turns": len(turns)})

    def render(self, text: str, key: str) -> MediaRef:
        return self._call("render_text", self._version("image", self.tools.image_version), key,
                          lambda: self.tools.render_text(text), {"chars": len(text)})

    def degrade(self, ref: MediaRef, kind: str, severity: int, key: str) -> MediaRef:
        return self._call("degrade_image", self._version("image", self.tools.image_version), key,
                          lambda: self.tools.degrade_image(ref.abs_path, kind, severity, seed=key),
                          {"source": ref.file, "kind": kind, "severity": severity})

    def crop(self, ref: MediaRef, box: tuple[float, float, float, float], key: str) -> MediaRef:
        return self._call("crop_image", self._version("image", self.tools.image_version), key,
                          lambda: self.tools.crop_image(ref.abs_path, box), {"source": ref.file, "box": list(box)})

    def noise(self, ref: MediaRef, snr_db: float, key: str) -> MediaRef:
        return self._call("mix_noise", "numpy white noise", key,
                          lambda: self.tools.mix_noise(ref.abs_path, snr_db, seed=key),
                          {"source": ref.file, "snr_db": snr_db})

    def clean(self, ref: MediaRef, key: str) -> MediaRef:
        """The file the sample carries: the same one, or a copy without its metadata (a JPEG comment
        naming the painter never reaches a model or a reviewer). Only a re-encoding is recorded."""
        started = time.monotonic()
        try:
            clean, stripped = self.tools.clean_media(ref.abs_path, ref.kind)
        except Exception as exc:  # noqa: BLE001 - a file that cannot be cleaned fails this item, never the cell
            self.ledger.tool_call(tool="strip_metadata", version=self._version("image", self.tools.image_version),
                                  ok=False, item_key=key, latency_ms=round((time.monotonic() - started) * 1000),
                                  detail={"source": ref.file, "error": str(exc)[:500]})
            raise OperatorError(f"strip_metadata failed: {exc}") from exc
        if clean is None:
            return ref
        self.ledger.tool_call(tool="strip_metadata", version=self._version("image", self.tools.image_version), ok=True,
                              item_key=key, latency_ms=round((time.monotonic() - started) * 1000),
                              detail={"source": ref.file, "file": clean.file, "stripped": stripped})
        return clean.model_copy(update={"path": ref.path})
