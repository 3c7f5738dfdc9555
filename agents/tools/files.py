"""Small file helpers the tools, the pool and the benchmarks share (plain Python, no Django)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_sha256(path: Path) -> str:
    """The file's sha256 as hex, read in 1 MiB chunks (media files can be large)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def store_bytes(data: bytes, *, suffix: str, store_dir: Path, relative_to: Path) -> tuple[Path, str]:
    """The content-addressed file for these bytes under store_dir (written once, through a staged file
    and an atomic rename), and their sha256."""
    digest = hashlib.sha256(data).hexdigest()
    target = store_dir / digest[:2] / f"{digest}{suffix}"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        staged.write_bytes(data)
        os.replace(staged, target)
    return target, digest
