"""Hostile files, made cheaply in memory: an image whose header declares a huge canvas, zips and
tarballs of zeros with huge compression ratios, a WAV whose header declares hours."""
from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(width: int, height: int) -> bytes:
    """A valid 8-bit grayscale PNG of width x height black pixels: 12000x12000 is a 140 KB file
    (rows of zeros compress about 1000 times) that decodes to 144 MB of pixels."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels)
            + _png_chunk(b"IEND", b""))


def _zeros(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    block = b"\x00" * chunk
    while total > 0:
        yield block[:min(chunk, total)]
        total -= chunk


def zip_of_zeros(members: dict[str, int], extra: dict[str, bytes] | None = None) -> bytes:
    """A deflated zip whose members are `size` zero bytes each, streamed from a generator (never
    held whole), plus small `extra` members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
        for name, size in members.items():
            with zf.open(name, "w", force_zip64=size > 2**31) as sink:
                for block in _zeros(size):
                    sink.write(block)
    return buffer.getvalue()


def tar_gz_of_zeros(name: str, size: int) -> bytes:
    """A gzipped tarball holding one member of `size` zero bytes."""
    buffer = io.BytesIO()

    class Zeros(io.RawIOBase):
        def __init__(self) -> None:
            self.left = size

        def readable(self) -> bool:
            return True

        def readinto(self, target) -> int:
            n = min(len(target), self.left)
            target[:n] = b"\x00" * n
            self.left -= n
            return n

    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        info = tarfile.TarInfo(name)
        info.size = size
        tf.addfile(info, io.BufferedReader(Zeros()))
    return buffer.getvalue()


def zip_with_lying_sizes(name: str, size: int, declared: int) -> bytes:
    """A zip whose member holds `size` zero bytes (deflated) while both of its headers say it
    unpacks to `declared` bytes: the headers pass every limit, the stream does not."""
    data = zip_of_zeros({name: size})
    real = struct.pack("<I", size)
    assert data.count(real) == 2, "the size appears once in the local and once in the central header"
    return data.replace(real, struct.pack("<I", declared))


def wav_declaring(seconds: int, rate: int = 16000) -> bytes:
    """A 16-bit mono WAV whose header declares `seconds` of audio and holds 100 frames."""
    frames = b"\x00\x01" * 100
    declared = seconds * rate * 2
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", declared) + frames
    return b"RIFF" + struct.pack("<I", min(2**32 - 1, len(body) - len(frames) + declared)) + body
