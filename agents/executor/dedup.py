"""Near-duplicate detection within a benchmark version: a text item whose question (with its spoken
words) and whose passage both embed within a cosine threshold of an accepted sample's, or an item
that asks the same question about the same media files, is a duplicate and is rejected (then
replaced). The question and the passage are compared apart: two questions about one passage are
two items, and so are two short posts under one template question ("Thank you :)" and "thank you
for the mention."), which one embedding of question, answer and passage together took for one.

The index starts from what the version already holds (the sink's fingerprints) and grows as the
cell accepts samples; cells running at the same moment on other workers see each other's samples
only from the database, so two near-duplicates made in the same instant by two cells can both pass."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from agents.operators import normalise
from agents.tools.embedding import Embedder
from agents.tools.image import ImageToolError, image_open
from agents.types import Check, SampleDraft

NEAR_DUPLICATE_COSINE = 0.97
DIMENSIONS = 384  # one embedding; a fingerprint is the question's, then the passage's (zeros without one)


def question_text(draft: SampleDraft) -> str:
    """The item's words: its question, and what its recording says or its rendered page shows."""
    return "\n".join(part for part in (draft.question, draft.speech_text, draft.rendered_text) if part)


PERCEPTUAL_MIN_SIDE = 64  # below, two different scans of one digit may look alike at 16x16: bytes decide


LOOK_MAX_BITS = 26  # of 256: two average hashes this close are one picture (a tint, a re-encoding)


def _average_hash(ref) -> np.ndarray | None:
    """An image's average hash (16x16 grey levels against their mean), which a recolouring or a
    re-encoding nearly keeps; None for a recording or an image too small to tell scans apart."""
    return _image_hash(ref.abs_path, ref.sha256) if ref.kind == "image" else None


@lru_cache(maxsize=4096)
def _image_hash(abs_path: str, sha256: str) -> np.ndarray | None:
    # Read once per file and content, for the exact key and for the look alike (the content is in
    # the key: a path whose file was written again is read again). Callers never change the array.
    try:
        with image_open(abs_path) as image:
            if min(image.size) < PERCEPTUAL_MIN_SIDE:
                return None
            grey = np.asarray(image.convert("L").resize((16, 16), Image.BILINEAR), dtype=np.float32)
    except (ImageToolError, OSError, ValueError):
        return None
    bits = (grey > grey.mean()).ravel()
    bits.setflags(write=False)
    return bits


def _media_identity(ref) -> str:
    """What makes two files the same picture: the average hash where there is one, else the bytes."""
    bits = _average_hash(ref)
    return "ahash:" + np.packbits(bits).tobytes().hex() if bits is not None else ref.sha256


# The question and key (normalised), the average hash of the item's picture, and its key with the
# picture's bytes (one file asked about twice, in two wordings, for one answer).
Look = tuple[str, np.ndarray, str]


def look(draft: SampleDraft) -> Look | None:
    """What the item asks about which picture, for telling one picture in two tints apart from two pictures.
    A page the platform rendered is its text, not a picture: two pages of print hash alike."""
    if draft.rendered_text:
        return None
    for ref in draft.media:
        bits = _average_hash(ref)
        if bits is not None:
            # Same question, same key: two round badges of two brands may hash alike; they are two items.
            return (f"{normalise(draft.question)}|{normalise(draft.answer)}", bits,
                    f"{normalise(draft.answer)}|{ref.sha256}" if ref.sha256 else "")
    return None


def exact_key(draft: SampleDraft) -> str:
    """The same question about the same media: a hash, empty for items without media. A rendered
    page is told by the text it shows (two pages of print look alike to an average hash); the
    record's own image beside it (a flag under a rendered question) by its picture."""
    identities = []
    for m in draft.media:
        if draft.rendered_text and m.kind == "image":
            if m.path != "generated":  # not the page nor its degradation: the record's own picture
                identities.append(_media_identity(m) if m.sha256 else f"file:{m.file}")
        elif m.sha256:
            identities.append(_media_identity(m))
    if draft.rendered_text:
        identities.append("text:" + hashlib.sha256(normalise(draft.rendered_text).encode()).hexdigest())
    media = ",".join(sorted(identities))
    return hashlib.sha256(f"{normalise(draft.question)}|{media}".encode()).hexdigest() if media else ""


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


@dataclass
class DuplicateIndex:
    embedder: Embedder | None
    threshold: float = NEAR_DUPLICATE_COSINE
    keys: list[str] = field(default_factory=list)
    questions: list[np.ndarray] = field(default_factory=list)
    passages: list[np.ndarray] = field(default_factory=list)
    exact: dict[str, str] = field(default_factory=dict)
    looks: list[tuple[str, str, np.ndarray, str]] = field(default_factory=list)  # this cell's pictures: key, *Look

    @staticmethod
    def _split(vector: list[float]) -> tuple[np.ndarray, np.ndarray] | None:
        v = np.asarray(vector, dtype=np.float32)
        if v.size != 2 * DIMENSIONS:
            return None  # a fingerprint of another form (an earlier release's): not compared
        return _unit(v[:DIMENSIONS]), _unit(v[DIMENSIONS:])

    def add(self, item_key: str, vector: list[float] | None, exact: str = "", seen: Look | None = None) -> None:
        if seen is not None:
            self.looks.append((item_key, *seen))
        parts = self._split(vector) if vector else None
        if parts is not None:
            self.questions.append(parts[0])
            self.passages.append(parts[1])
            self.keys.append(item_key)
        if exact:
            self.exact.setdefault(exact, item_key)

    def fingerprint(self, draft: SampleDraft) -> list[float]:
        """The embeddings of the question (and spoken words) and of the passage, end to end, for items
        whose content is text (spoken text included); an item about a source image or recording is its
        media: two logos of one brand share their text, not their image."""
        if self.embedder is None or (draft.media and not draft.speech_text and not draft.rendered_text):
            return []
        texts = [question_text(draft)] + ([draft.context[:1500]] if draft.context else [])
        vectors = self.embedder.embed(texts)
        passage = vectors[1] if draft.context else [0.0] * DIMENSIONS
        return [*vectors[0], *passage]

    def check(self, draft: SampleDraft, vector: list[float], seen: Look | None = None) -> Check:
        exact = exact_key(draft)
        if exact and exact in self.exact:
            return Check(name="near_duplicate", ok=False,
                         detail=f"asks the same question about the same media as {self.exact[exact]}")
        if seen is not None:
            for key, question, bits, answered in self.looks:
                if seen[2] and answered == seen[2]:
                    return Check(name="near_duplicate", ok=False,
                                 detail=f"asks about the same picture as {key}, for the same answer, in other words")
                differ = int(np.count_nonzero(bits != seen[1]))
                if question == seen[0] and differ <= LOOK_MAX_BITS:
                    return Check(name="near_duplicate", ok=False,
                                 detail=f"asks the same question as {key} about the same picture in another tint or "
                                        f"encoding ({differ} of 256 hash bits differ)")
        parts = self._split(vector) if vector else None
        if parts is not None and self.keys:
            question, passage = parts
            by_question = np.stack(self.questions) @ question
            # Two items without a passage agree on it; one with and one without do not.
            passages = np.stack(self.passages)
            by_passage = ((~passages.any(axis=1)).astype(np.float32) if not passage.any() else passages @ passage)
            both = np.minimum(by_question, by_passage)
            best = int(np.argmax(both))
            if both[best] >= self.threshold:
                return Check(name="near_duplicate", ok=False,
                             detail=f"near-duplicate of {self.keys[best]} (question cosine {by_question[best]:.3f}, "
                                    f"passage cosine {by_passage[best]:.3f}; threshold {self.threshold})")
        return Check(name="near_duplicate", ok=True)
