"""Media checks: is a file there, and does it decode as what it claims to be?"""
from __future__ import annotations

import os
import wave

from PIL import Image, UnidentifiedImageError

from agents.types import MediaCheck

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
        return MediaCheck(ok=False, detail=f"does not decode as an image: {exc}")
    if width < 1 or height < 1:
        return MediaCheck(ok=False, detail="image has no pixels")
    return MediaCheck(ok=True, mime=mime, width=width, height=height)


def audio_check(abs_path: str) -> MediaCheck:
    if not os.path.isfile(abs_path):
        return MediaCheck(ok=False, detail="file is missing")
    try:
        with wave.open(abs_path, "rb") as audio:
            frames = audio.getnframes()
    except (wave.Error, EOFError, OSError) as exc:
        return MediaCheck(ok=False, detail=f"does not decode as WAV audio: {exc}")
    if frames < 1:
        return MediaCheck(ok=False, detail="audio has no frames")
    return MediaCheck(ok=True, mime="audio/wav")


class LocalTools:
    """The Tools port over local libraries."""

    def media_check(self, abs_path: str, kind: str) -> MediaCheck:
        if kind == "image":
            return image_check(abs_path)
        if kind == "audio":
            return audio_check(abs_path)
        return MediaCheck(ok=False, detail=f"unknown media kind {kind!r}")
