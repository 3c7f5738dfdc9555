"""Image tools (Pillow, numpy, tesseract): render text into an image, crop to a box, degrade an image
(downscale, blur, JPEG, occlusion, noise; severity 1-5), read text back with OCR.

Every image is opened through `image_open`, which refuses one whose header declares more pixels
than the limit before a byte of it is decoded: a 140 KB PNG can declare 12000x12000 pixels and
cost gigabytes once decoded. Made files are content-addressed (the same input and parameters give
the same file) under the media store's generated/images/ folder, written through a staged file and
an atomic rename."""
from __future__ import annotations

import hashlib
import io
import random
import re
import shutil
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from agents.tools.files import store_bytes
from agents.types import MediaRef

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEGRADATIONS = ("downscale", "blur", "jpeg", "occlusion", "noise")
SMALL_IMAGE = 100  # pixels on the short side below which downscaling is gentler
MAX_RENDER_CHARS = 4000
OCR_TIMEOUT_S = 60


# Far above any real pool image (the seed pool's largest is 2.1 megapixels, the starter pool's
# 1.2), far below what a worker can decode and degrade (an RGB copy costs 3 bytes a pixel).
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")


class ImageToolError(RuntimeError):
    pass


class ImageTooLarge(ImageToolError):
    """The image declares more pixels than the limit; it was not decoded."""


def megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f} megapixels"


def pillow_pixel_limit_set(max_pixels: int) -> None:
    """Pillow's own decompression-bomb guard, for code that opens images without image_open: it
    warns above max_pixels and refuses above twice that (its default is about 89 megapixels)."""
    Image.MAX_IMAGE_PIXELS = max_pixels


@contextmanager
def image_open(abs_path: str, *, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> Iterator[Image.Image]:
    """The image, opened lazily (only its header is read) and refused with ImageTooLarge when its
    declared size is over max_pixels, before anything decodes it."""
    try:
        image = Image.open(abs_path)
    except Image.DecompressionBombError as exc:
        # Pillow's guard fired first (its limit is below ours): the size is only in its message.
        found = _PILLOW_PIXELS.search(str(exc))
        size = megapixels(int(found.group(1))) if found else "too many pixels"
        raise ImageTooLarge(f"is {size}; the limit is {megapixels(max_pixels)}") from exc
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise ImageTooLarge(f"is {width}x{height} pixels ({megapixels(width * height)}); "
                                f"the limit is {megapixels(max_pixels)}")
        yield image


def _store(data: bytes, *, suffix: str, store_dir: Path, relative_to: Path) -> MediaRef:
    target, digest = store_bytes(data, suffix=suffix, store_dir=store_dir, relative_to=relative_to)
    return MediaRef(path="generated", file=str(target.relative_to(relative_to)), abs_path=str(target), kind="image",
                    sha256=digest)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def render_text(text: str, *, store_dir: Path, relative_to: Path, width: int = 1000, font_size: int = 26) -> MediaRef:
    """Black text on white, wrapped to the width, DejaVu Sans: a page a model must read."""
    text = " ".join(text.split()) if "\n" not in text else "\n".join(" ".join(line.split()) for line in text.splitlines())
    if not text.strip():
        raise ImageToolError("nothing to render")
    if len(text) > MAX_RENDER_CHARS:
        raise ImageToolError(f"the text is {len(text)} characters long; at most {MAX_RENDER_CHARS} are rendered")
    font = ImageFont.truetype(FONT, font_size)
    margin = font_size
    chars_per_line = max(20, int((width - 2 * margin) / (font_size * 0.55)))
    lines = [wrapped for paragraph in text.splitlines() for wrapped in (textwrap.wrap(paragraph, chars_per_line) or [""])]
    line_height = int(font_size * 1.4)
    image = Image.new("L", (width, 2 * margin + line_height * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * line_height), line, font=font, fill=0)
    return _store(_png(image), suffix=".png", store_dir=store_dir, relative_to=relative_to)


def crop(abs_path: str, box: tuple[float, float, float, float], *, store_dir: Path, relative_to: Path,
         max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> MediaRef:
    """The region (left, top, right, bottom) in pixels, clamped to the image; refused when empty."""
    with image_open(abs_path, max_pixels=max_pixels) as source:
        source.load()
        w, h = source.size
        left, top, right, bottom = (max(0, min(w, int(round(box[0])))), max(0, min(h, int(round(box[1])))),
                                    max(0, min(w, int(round(box[2])))), max(0, min(h, int(round(box[3])))))
        if right - left < 8 or bottom - top < 8:
            raise ImageToolError(f"the box {box} leaves less than 8x8 pixels of a {w}x{h} image")
        region = source.crop((left, top, right, bottom))
        return _store(_png(region.convert("RGB")), suffix=".png", store_dir=store_dir, relative_to=relative_to)


def degrade(abs_path: str, kind: str, severity: int, *, seed: str, store_dir: Path, relative_to: Path,
            max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> MediaRef:
    """The image made harder to see: severity 1 (mild) to 5 (severe). Seeded: the same seed gives
    the same occlusion boxes and noise."""
    if kind not in DEGRADATIONS:
        raise ImageToolError(f"unknown degradation {kind!r}; use one of {list(DEGRADATIONS)}")
    if not 1 <= severity <= 5:
        raise ImageToolError(f"severity must be 1 to 5; got {severity}")
    rng = random.Random(f"{seed}:{kind}:{severity}")
    with image_open(abs_path, max_pixels=max_pixels) as source:
        image = source.convert("RGB")
    w, h = image.size
    if kind == "downscale":
        factor = (0.6, 0.4, 0.25, 0.15, 0.1)[severity - 1]
        if min(w, h) < SMALL_IMAGE:
            factor = factor ** 0.5  # a 28-pixel image at a tenth is 2 pixels: nothing left to see
        small = image.resize((max(1, int(w * factor)), max(1, int(h * factor))), Image.BILINEAR)
        image = small.resize((w, h), Image.NEAREST)
    elif kind == "blur":
        # A radius relative to the image, but never below what blurs a small image at all.
        radius = max(min(w, h) / 300 * (0.8, 1.5, 2.5, 4, 6)[severity - 1], (0.5, 0.7, 1.0, 1.4, 1.9)[severity - 1])
        image = image.filter(ImageFilter.GaussianBlur(radius=radius))
    elif kind == "jpeg":
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=(50, 30, 18, 10, 5)[severity - 1])
        return _store(out.getvalue(), suffix=".jpg", store_dir=store_dir, relative_to=relative_to)
    elif kind == "occlusion":
        # Mid-grey patches hide part of the picture without drawing strokes of their own (a near-black
        # patch on a digit reads as ink, a white one on a page erases without covering).
        background = (128, 128, 128)
        draw = ImageDraw.Draw(image)
        share = (0.05, 0.1, 0.18, 0.28, 0.4)[severity - 1]
        if min(w, h) < SMALL_IMAGE:
            share *= 0.6  # on an 8-pixel digit a third covered is the digit gone, or another digit
        covered, target = 0, share * w * h
        while covered < target:
            bw, bh = rng.randint(max(2, w // 12), max(3, w // 5)), rng.randint(max(2, h // 12), max(3, h // 5))
            x, y = rng.randint(0, max(0, w - bw)), rng.randint(0, max(0, h - bh))
            draw.rectangle((x, y, x + bw, y + bh), fill=background)
            covered += bw * bh
    else:  # noise
        pixels = np.asarray(image, dtype=np.float32)
        noise = np.random.default_rng(int(hashlib.sha256(f"{seed}:{severity}".encode()).hexdigest()[:8], 16)).normal(
            0, (8, 16, 28, 42, 60)[severity - 1], pixels.shape)
        image = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    return _store(_png(image), suffix=".png", store_dir=store_dir, relative_to=relative_to)


def _tesseract():
    """pytesseract, pointed at the tesseract binary; ImageToolError when there is none."""
    import pytesseract

    binary = shutil.which("tesseract")
    if not binary:
        raise ImageToolError("tesseract is not installed (bash scripts/install-tools.sh)")
    pytesseract.pytesseract.tesseract_cmd = binary
    return pytesseract


def tesseract_version() -> str:
    try:
        return f"tesseract {_tesseract().get_tesseract_version()} (pytesseract)"
    except ImageToolError:
        return "tesseract (not installed)"


OCR_CONFIG = "--psm 6"  # one uniform block of text: a rendered page, a sign, a badge


def ocr_words(abs_path: str, *, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> list[tuple[str, float, int]]:
    """The words tesseract reads in an image, in reading order: (word, confidence 0-100, line
    number); image_to_data's word rows with their confidences."""
    tesseract = _tesseract()
    with image_open(abs_path, max_pixels=max_pixels):
        pass  # tesseract decodes the whole image: refuse an oversized one from its header first
    try:
        data = tesseract.image_to_data(abs_path, lang="eng", config=OCR_CONFIG, timeout=OCR_TIMEOUT_S,
                                       output_type=tesseract.Output.DICT)
    except (RuntimeError, tesseract.TesseractError) as exc:
        raise ImageToolError(f"tesseract failed: {str(exc).strip()[:300]}") from exc
    words = []
    for text, confidence, block, paragraph, line in zip(data["text"], data["conf"], data["block_num"],
                                                         data["par_num"], data["line_num"], strict=True):
        if str(text).strip():
            words.append((str(text).strip(), float(confidence), block * 1_000_000 + paragraph * 1_000 + line))
    return words


def ocr(abs_path: str, *, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> str:
    """The text tesseract reads in an image, a line of words per line it found."""
    lines: dict[int, list[str]] = {}
    for word, _, line in ocr_words(abs_path, max_pixels=max_pixels):
        lines.setdefault(line, []).append(word)
    return "\n".join(" ".join(words) for words in lines.values())
