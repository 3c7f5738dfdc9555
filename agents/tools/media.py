"""Media tools: is a file there and does it decode as what it claims to be; speech synthesis.

Limits are checked from a file's header before anything decodes it: an image's pixels (a small
PNG can declare a 144-megapixel canvas) and a recording's duration (a WAV header can declare
hours). The shell passes its configured limits in through MediaLimits; the defaults fit the pool.
"""
from __future__ import annotations

import os
import wave
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from agents.tools import hygiene
from agents.tools import image as image_tools
from agents.tools.asr import asr_version, transcribe
from agents.tools.image import DEFAULT_MAX_IMAGE_PIXELS, ImageToolError, ImageTooLarge, image_open
from agents.tools.speech import (
    SpeechUnavailable,
    espeak_version,
    mix_noise,
    piper_version,
    synthesize_dialogue,
    tts_engine,
)
from agents.types import MediaCheck, MediaRef

PILLOW_VERSION = Image.__version__ if hasattr(Image, "__version__") else ""
# Ten minutes: the pool's recordings last seconds; a minute of 48 kHz stereo 16-bit audio is 11 MB
# of samples, and noise mixing holds them as 64-bit floats.
DEFAULT_MAX_AUDIO_SECONDS = 600.0


@dataclass(frozen=True)
class MediaLimits:
    """What a media file may declare before it is decoded."""

    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    max_audio_seconds: float = DEFAULT_MAX_AUDIO_SECONDS


class AudioTooLong(SpeechUnavailable):
    """The recording declares more than the limit; it was not decoded."""


def image_check(abs_path: str, *, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> MediaCheck:
    if not os.path.isfile(abs_path):
        return MediaCheck(ok=False, detail="file is missing")
    try:
        with image_open(abs_path, max_pixels=max_pixels) as image:
            width, height = image.size
            mime = Image.MIME.get(image.format or "", "")
            image.verify()  # reads the chunks, not the pixels
    except ImageTooLarge as exc:
        return MediaCheck(ok=False, detail=str(exc))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Pillow names the file by its full path; a report shows only its name.
        reason = str(exc).replace(abs_path, os.path.basename(abs_path))
        return MediaCheck(ok=False, detail=f"does not decode as an image: {reason}")
    if width < 1 or height < 1:
        return MediaCheck(ok=False, detail="image has no pixels")
    return MediaCheck(ok=True, mime=mime, width=width, height=height)


# Magic bytes of compressed audio formats (their full decoding needs a codec library).
_AUDIO_MAGIC = {"audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"), "audio/flac": (b"fLaC",),
                "audio/ogg": (b"OggS",)}


def _compressed_duration(abs_path: str) -> float | None:
    """Seconds a compressed recording's container declares (read by PyAV from its headers, nothing
    decoded); None when it declares none."""
    import av

    try:
        with av.open(abs_path) as container:
            return container.duration / av.time_base if container.duration else None
    except (av.FFmpegError, OSError, ValueError):
        return None


def _duration_problem(seconds: float, max_seconds: float) -> str:
    return f"is a recording of {seconds:,.0f} s; the limit is {max_seconds:,.0f} s" if seconds > max_seconds else ""


def audio_duration_check(abs_path: str, *, max_seconds: float = DEFAULT_MAX_AUDIO_SECONDS) -> None:
    """Raise AudioTooLong when the recording's header declares more than max_seconds; for a tool
    about to decode it whole."""
    if abs_path.lower().endswith(".wav"):
        try:
            with wave.open(abs_path, "rb") as audio:
                seconds = audio.getnframes() / max(1, audio.getframerate())
        except (wave.Error, EOFError, OSError):
            return  # the decoder names what is wrong
    else:
        seconds = _compressed_duration(abs_path) or 0.0
    problem = _duration_problem(seconds, max_seconds)
    if problem:
        raise AudioTooLong(problem)


def audio_check(abs_path: str, *, max_seconds: float = DEFAULT_MAX_AUDIO_SECONDS) -> MediaCheck:
    """WAV is opened and must hold frames; MP3, FLAC and Ogg must start with their format's header.
    A recording whose header declares more than max_seconds is refused."""
    if not os.path.isfile(abs_path):
        return MediaCheck(ok=False, detail="file is missing")
    if not abs_path.lower().endswith(".wav"):
        with open(abs_path, "rb") as handle:
            head = handle.read(4)
        for mime, magics in _AUDIO_MAGIC.items():
            if head.startswith(magics):
                problem = _duration_problem(_compressed_duration(abs_path) or 0.0, max_seconds)
                return MediaCheck(ok=False, detail=problem) if problem else MediaCheck(ok=True, mime=mime)
        return MediaCheck(ok=False, detail="does not start with an MP3, FLAC, Ogg or WAV header")
    try:
        with wave.open(abs_path, "rb") as audio:
            frames, rate = audio.getnframes(), audio.getframerate()
    except (wave.Error, EOFError, OSError) as exc:
        reason = str(exc).replace(abs_path, os.path.basename(abs_path))
        return MediaCheck(ok=False, detail=f"does not decode as WAV audio: {reason}")
    if frames < 1:
        return MediaCheck(ok=False, detail="audio has no frames")
    problem = _duration_problem(frames / max(1, rate), max_seconds)
    if problem:
        return MediaCheck(ok=False, detail=problem)
    return MediaCheck(ok=True, mime="audio/wav")


class LocalTools:
    """The Tools port over local libraries and programs; generated media go under media_root."""

    def __init__(self, *, media_root: str | Path | None = None, limits: MediaLimits | None = None) -> None:
        self.media_root = Path(media_root) if media_root is not None else None
        self.limits = limits or MediaLimits()

    def speak(self, turns: list[tuple[str, str]]) -> MediaRef:
        if self.media_root is None:
            raise SpeechUnavailable("no media store to write synthesised speech into")
        return synthesize_dialogue(turns, store_dir=self.media_root / "generated" / "speech",
                                   relative_to=self.media_root)

    def speech_version(self) -> str:
        return piper_version() if tts_engine() == "piper" else espeak_version()

    def mix_noise(self, abs_path: str, snr_db: float, *, seed: str) -> MediaRef:
        if self.media_root is None:
            raise SpeechUnavailable("no media store to write audio into")
        audio_duration_check(abs_path, max_seconds=self.limits.max_audio_seconds)  # it is read whole
        return mix_noise(abs_path, snr_db, seed=seed, store_dir=self.media_root / "generated" / "speech",
                         relative_to=self.media_root)

    def transcribe(self, abs_path: str) -> str:
        audio_duration_check(abs_path, max_seconds=self.limits.max_audio_seconds)  # it is decoded whole
        return transcribe(abs_path)

    def _images(self) -> dict[str, Path]:
        if self.media_root is None:
            raise ImageToolError("no media store to write images into")
        return {"store_dir": self.media_root / "generated" / "images", "relative_to": self.media_root}

    def render_text(self, text: str) -> MediaRef:
        return image_tools.render_text(text, **self._images())

    def degrade_image(self, abs_path: str, kind: str, severity: int, *, seed: str) -> MediaRef:
        return image_tools.degrade(abs_path, kind, severity, seed=seed, max_pixels=self.limits.max_image_pixels,
                                   **self._images())

    def crop_image(self, abs_path: str, box: tuple[float, float, float, float]) -> MediaRef:
        return image_tools.crop(abs_path, box, max_pixels=self.limits.max_image_pixels, **self._images())

    def image_version(self) -> str:
        return f"pillow {PILLOW_VERSION}"

    def ocr(self, abs_path: str) -> str:
        return image_tools.ocr(abs_path, max_pixels=self.limits.max_image_pixels)

    def ocr_words(self, abs_path: str) -> list[tuple[str, float, int]]:
        return image_tools.ocr_words(abs_path, max_pixels=self.limits.max_image_pixels)

    def ocr_version(self) -> str:
        return image_tools.tesseract_version()

    def asr_version(self) -> str:
        return asr_version()

    def clean_media(self, abs_path: str, kind: str) -> tuple[MediaRef | None, list[str]]:
        if self.media_root is None:
            raise ImageToolError("no media store to write clean copies into")
        store = {"store_dir": self.media_root / "generated" / "clean", "relative_to": self.media_root}
        if kind == "image":
            found = hygiene.image_metadata(abs_path, max_pixels=self.limits.max_image_pixels)
            return (hygiene.clean_image(abs_path, max_pixels=self.limits.max_image_pixels, **store), found) \
                if found else (None, [])
        audio_duration_check(abs_path, max_seconds=self.limits.max_audio_seconds)  # a compressed one is decoded
        found = hygiene.audio_metadata(abs_path)
        return (hygiene.clean_audio(abs_path, **store), found) if found else (None, [])

    def media_check(self, abs_path: str, kind: str) -> MediaCheck:
        if kind == "image":
            return image_check(abs_path, max_pixels=self.limits.max_image_pixels)
        if kind == "audio":
            return audio_check(abs_path, max_seconds=self.limits.max_audio_seconds)
        return MediaCheck(ok=False, detail=f"unknown media kind {kind!r}")
