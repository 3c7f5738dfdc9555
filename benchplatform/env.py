"""The one place that reads the process environment (and an optional .env file).

Every variable the platform reads is listed, with its default, in .env.example.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_dotenv(path: Path) -> None:
    """Fill os.environ from a KEY=VALUE file without overriding what is already set."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


_load_dotenv(BASE_DIR / ".env")


def env_str(name: str, default: str = "") -> str:
    """The variable's value; the default when it is unset or empty."""
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


def env_path(name: str, default: Path) -> Path:
    """A path; a relative one is taken from the project root."""
    path = Path(env_str(name, str(default))).expanduser()
    return path if path.is_absolute() else BASE_DIR / path


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_parsed(name: str, default: Any, parse, kind: str) -> Any:
    """The variable parsed; the default when unset or empty; a clear error when it does not parse."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return parse(value)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be {kind}, got {value!r}") from exc


def env_int(name: str, default: int) -> int:
    return _env_parsed(name, default, int, "an integer")


def env_float(name: str, default: float) -> float:
    return _env_parsed(name, default, float, "a number")


def env_json(name: str, default: Any) -> Any:
    """A JSON value (e.g. a price table); the default when unset or empty."""
    return _env_parsed(name, default, json.loads, "JSON")


_RATE = re.compile(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)")


def _parse_rate(value: str) -> str:
    if not _RATE.fullmatch(value.strip()):
        raise ValueError(value)
    return value.strip()


def env_rate(name: str, default: str) -> str:
    """A request rate as DRF writes it ("600/minute", "10/s"); "off" for no limit (""); the default
    when unset or empty."""
    value = os.environ.get(name, "")
    if value.strip().lower() == "off":
        return ""
    return _env_parsed(name, default, _parse_rate, 'a rate such as "600/minute", or "off"')


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]
