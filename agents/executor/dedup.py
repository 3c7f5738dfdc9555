"""Near-duplicate detection within a benchmark version: a text item (question, answer, spoken words,
context) that embeds within a cosine threshold of an accepted sample's, or an item that asks the
same question about the same media files, is a duplicate and is rejected (then replaced).

The index starts from what the version already holds (the sink's fingerprints) and grows as the
cell accepts samples; cells running at the same moment on other workers see each other's samples
only from the database, so two near-duplicates made in the same instant by two cells can both pass."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from agents.operators import normalise
from agents.tools.embedding import Embedder
from agents.types import Check, SampleDraft

NEAR_DUPLICATE_COSINE = 0.97


def fingerprint_text(draft: SampleDraft) -> str:
    parts = [draft.question, f"Answer: {draft.answer}"]
    if draft.speech_text:
        parts.append(draft.speech_text)
    if draft.context:
        parts.append(draft.context[:1500])
    return "\n".join(parts)


def exact_key(draft: SampleDraft) -> str:
    """The same question about the same media files: a hash, empty for items without media."""
    media = ",".join(sorted(m.sha256 for m in draft.media if m.sha256))
    return hashlib.sha256(f"{normalise(draft.question)}|{media}".encode()).hexdigest() if media else ""


@dataclass
class DuplicateIndex:
    embedder: Embedder | None
    threshold: float = NEAR_DUPLICATE_COSINE
    keys: list[str] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    exact: dict[str, str] = field(default_factory=dict)

    def add(self, item_key: str, vector: list[float] | None, exact: str = "") -> None:
        if vector:
            v = np.asarray(vector, dtype=np.float32)
            self.vectors.append(v / (np.linalg.norm(v) or 1.0))
            self.keys.append(item_key)
        if exact:
            self.exact.setdefault(exact, item_key)

    def fingerprint(self, draft: SampleDraft) -> list[float]:
        """The text embedding of items whose content is text (spoken text included); an item about a
        source image or recording is its media: two logos of one brand share their text, not their image."""
        if self.embedder is None or (draft.media and not draft.speech_text):
            return []
        return self.embedder.embed([fingerprint_text(draft)])[0]

    def check(self, draft: SampleDraft, vector: list[float]) -> Check:
        exact = exact_key(draft)
        if exact and exact in self.exact:
            return Check(name="near_duplicate", ok=False,
                         detail=f"asks the same question about the same media as {self.exact[exact]}")
        if vector and self.vectors:
            v = np.asarray(vector, dtype=np.float32)
            sims = np.stack(self.vectors) @ (v / (np.linalg.norm(v) or 1.0))
            best = int(np.argmax(sims))
            if sims[best] >= self.threshold:
                return Check(name="near_duplicate", ok=False,
                             detail=f"near-duplicate of {self.keys[best]} (cosine {sims[best]:.3f} >= {self.threshold})")
        return Check(name="near_duplicate", ok=True)
