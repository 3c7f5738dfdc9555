"""Media tools: is a file there and does it decode as what it claims to be; speech synthesis."""
from __future__ import annotations

import os
import wave
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from agents.tools import image as image_tools
from agents.tools.asr import asr_version, transcribe
from agents.tools.image import ImageToolError
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


def image_check(abs_path: str) -> MediaCheck:
    if not os.path.isfile(abs_path):
        return MediaCheck(ok=False, detail="file is missing")
    try:
        with Image.open(abs_path) as image:
            image.verify()
        with Image.open(abs_path) as image:  # verify() leaves the image unusable; reopen for facts
            width, height = image.size
            mime = Image.MIME.get(image.format or "", "")
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


def audio_check(abs_path: str) -> MediaCheck:
    """WAV is opened and must hold frames; MP3, FLAC and Ogg must start with their format's header."""
    if not os.path.isfile(abs_path):
        return MediaCheck(ok=False, detail="file is missing")
    if not abs_path.lower().endswith(".wav"):
        with open(abs_path, "rb") as handle:
            head = handle.read(4)
        for mime, magics in _AUDIO_MAGIC.items():
            if head.startswith(magics):
                return MediaCheck(ok=True, mime=mime)
        return MediaCheck(ok=False, detail="does not start with an MP3, FLAC, Ogg or WAV header")
    try:
        with wave.open(abs_path, "rb") as audio:
            frames = audio.getnframes()
    except (wave.Error, EOFError, OSError) as exc:
        return MediaCheck(ok=False, detail=f"does not decode as WAV audio: {exc}")
    if frames < 1:
        return MediaCheck(ok=False, detail="audio has no frames")
    return MediaCheck(ok=True, mime="audio/wav")


class LocalTools:
    """The Tools port over local libraries and programs; generated media go under media_root."""

    def __init__(self, *, media_root: str | Path | None = None) -> None:
        self.media_root = Path(media_root) if media_root is not None else None

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
        return mix_noise(abs_path, snr_db, seed=seed, store_dir=self.media_root / "generated" / "speech",
                         relative_to=self.media_root)

    def transcribe(self, abs_path: str) -> str:
        return transcribe(abs_path)

    def _images(self) -> dict[str, Path]:
        if self.media_root is None:
            raise ImageToolError("no media store to write images into")
        return {"store_dir": self.media_root / "generated" / "images", "relative_to": self.media_root}

    def render_text(self, text: str) -> MediaRef:
        return image_tools.render_text(text, **self._images())

    def degrade_image(self, abs_path: str, kind: str, severity: int, *, seed: str) -> MediaRef:
        return image_tools.degrade(abs_path, kind, severity, seed=seed, **self._images())

    def crop_image(self, abs_path: str, box: tuple[float, float, float, float]) -> MediaRef:
        return image_tools.crop(abs_path, box, **self._images())

    def image_version(self) -> str:
        return f"pillow {PILLOW_VERSION}"

    def ocr(self, abs_path: str) -> str:
        return image_tools.ocr(abs_path)

    def ocr_version(self) -> str:
        return image_tools.tesseract_version()

    def asr_version(self) -> str:
        return asr_version()

    def media_check(self, abs_path: str, kind: str) -> MediaCheck:
        if kind == "image":
            return image_check(abs_path)
        if kind == "audio":
            return audio_check(abs_path)
        return MediaCheck(ok=False, detail=f"unknown media kind {kind!r}")
