"""Media hygiene: what a file carries besides its pixels or samples, and a copy without it.

A painting's JPEG comment may name its painter; an EXIF description, a PNG text chunk, XMP, a WAV's
LIST/INFO or ID3 chunk may hold a title or a transcript. A sample is shown to target models and to
reviewers, so every image and recording it carries is checked, and re-encoded without any of that
when there is some: images by Pillow from their pixels alone (a colour profile is kept: it says how
to show the pixels, not what they are), WAV recordings by rewriting only their format and samples,
compressed recordings (MP3, FLAC, Ogg) decoded by PyAV and written as WAV.

The clean copy is content-addressed in the media store, like every generated file."""
from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

from agents.tools.files import store_bytes
from agents.tools.image import DEFAULT_MAX_IMAGE_PIXELS, image_open
from agents.types import MediaRef

# Pillow's info keys that describe how to decode or show the pixels, not what they are.
_IMAGE_FORMAT_KEYS = frozenset({"dpi", "gamma", "transparency", "icc_profile", "jfif", "jfif_version", "jfif_unit",
                                "jfif_density", "progressive", "progression", "adobe", "adobe_transform", "interlace",
                                "aspect", "duration", "loop", "background", "version", "extension", "srgb", "chromaticity",
                                "compression", "mp", "mpoffset", "dqt", "bbox"})
_WAV_FORMAT_CHUNKS = frozenset({b"fmt ", b"data", b"fact"})


def image_metadata(abs_path: str, *, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> list[str]:
    """The kinds of metadata the image carries (["comment", "exif"...]); [] for none."""
    with image_open(abs_path, max_pixels=max_pixels) as image:
        found = {key for key, value in image.info.items()
                 if str(key).lower() not in _IMAGE_FORMAT_KEYS and value not in (None, b"", "", 0)}
        if image.getexif():
            found.add("exif")
        text = getattr(image, "text", None)  # PNG tEXt/iTXt/zTXt chunks (read after load for some files)
        if text:
            found.update(f"text:{key}" for key in text)
    return sorted(str(key) for key in found)


def _riff_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(id, start of payload, size) of each chunk of a RIFF/WAVE file."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return []
    chunks, at = [], 12
    while at + 8 <= len(data):
        chunk, size = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])[0]
        chunks.append((chunk, at + 8, size))
        at += 8 + size + (size & 1)
    return chunks


def audio_metadata(abs_path: str) -> list[str]:
    """The kinds of metadata the recording carries (["LIST", "id3 "...]); [] for none. A compressed
    recording's container tags are read by PyAV."""
    if abs_path.lower().endswith(".wav"):
        data = Path(abs_path).read_bytes()
        return sorted({chunk.decode("latin-1").strip() for chunk, _, _ in _riff_chunks(data)
                       if chunk not in _WAV_FORMAT_CHUNKS})
    import av

    found: set[str] = set()
    with av.open(abs_path) as container:
        found.update(f"tag:{key}" for key, value in (container.metadata or {}).items() if value)
        for stream in container.streams:
            found.update(f"tag:{key}" for key, value in (stream.metadata or {}).items()
                         if value and key.lower() not in {"encoder", "vendor_id", "handler_name", "language"})
    with open(abs_path, "rb") as handle:
        head = handle.read(3)
        if head == b"ID3":
            found.add("id3")
    return sorted(found)


def _store(data: bytes, *, suffix: str, kind: str, store_dir: Path, relative_to: Path) -> MediaRef:
    target, digest = store_bytes(data, suffix=suffix, store_dir=store_dir, relative_to=relative_to)
    return MediaRef(path="clean", file=str(target.relative_to(relative_to)), abs_path=str(target), kind=kind,
                    sha256=digest)


def clean_image(abs_path: str, *, store_dir: Path, relative_to: Path,
                max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> MediaRef:
    """The image re-encoded from its pixels alone, in its own format (a JPEG with its own quantisation
    tables and subsampling, so it loses nothing twice); its colour profile is kept."""
    from PIL import JpegImagePlugin

    with image_open(abs_path, max_pixels=max_pixels) as source:
        source.load()
        fmt = (source.format or "PNG").upper()
        profile = source.info.get("icc_profile")
        options: dict = {"icc_profile": profile} if profile else {}
        if fmt == "JPEG":
            options.update(qtables=getattr(source, "quantization", None) or None,
                           subsampling=JpegImagePlugin.get_sampling(source))
        pixels = source.copy()
    pixels.info = {}  # Pillow writes a JPEG comment from info when it is there
    out = io.BytesIO()
    if fmt == "JPEG":
        if options.get("subsampling", -1) == -1:
            options.pop("subsampling")
        pixels.save(out, format="JPEG", **{k: v for k, v in options.items() if v is not None})
        suffix = ".jpg"
    else:
        fmt = fmt if fmt in _IMAGE_SUFFIX else "PNG"
        pixels.save(out, format=fmt, **options)
        suffix = _IMAGE_SUFFIX[fmt]
    return _store(out.getvalue(), suffix=suffix, kind="image", store_dir=store_dir, relative_to=relative_to)


_IMAGE_SUFFIX = {"PNG": ".png", "GIF": ".gif", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tif"}


def clean_audio(abs_path: str, *, store_dir: Path, relative_to: Path) -> MediaRef:
    """The recording as a WAV of its format and samples only (a compressed one decoded first)."""
    out = io.BytesIO()
    if abs_path.lower().endswith(".wav"):
        with wave.open(abs_path, "rb") as source, wave.open(out, "wb") as target:
            target.setparams(source.getparams())
            target.writeframes(source.readframes(source.getnframes()))
    else:
        import av
        import numpy as np

        with av.open(abs_path) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono" if stream.channels == 1 else "stereo",
                                          rate=stream.rate)
            channels = 1 if stream.channels == 1 else 2
            chunks = [frame.to_ndarray() for decoded in container.decode(stream) for frame in resampler.resample(decoded)]
            chunks += [frame.to_ndarray() for frame in resampler.resample(None)]
            rate = stream.rate
        samples = np.concatenate([c.reshape(-1) for c in chunks]).astype("<i2") if chunks else np.zeros(0, "<i2")
        with wave.open(out, "wb") as target:
            target.setnchannels(channels)
            target.setsampwidth(2)
            target.setframerate(rate)
            target.writeframes(samples.tobytes())
    return _store(out.getvalue(), suffix=".wav", kind="audio", store_dir=store_dir, relative_to=relative_to)
