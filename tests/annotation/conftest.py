"""A real Label Studio for the review tests: the one `make test` starts (scripts/labelstudio.sh), or
the one LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY name. Its tests fail, never skip, when it is down."""
from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

from annotation.labelstudio import LabelStudio

ROOT = Path(__file__).resolve().parents[2]
LS_HOME = Path(os.environ.get("BENCH_VAR_DIR", ROOT / "var")) / "labelstudio"
SCRIPT = ROOT / "scripts" / "labelstudio.sh"


def label_studio_address() -> tuple[str, str]:
    port_file, token_file = LS_HOME / "port", LS_HOME / "token"
    port = os.environ.get("LABEL_STUDIO_PORT") or (port_file.read_text().strip() if port_file.is_file() else "8081")
    url = os.environ.get("LABEL_STUDIO_URL") or f"http://127.0.0.1:{port}"
    key = os.environ.get("LABEL_STUDIO_API_KEY") or (token_file.read_text().strip() if token_file.is_file() else "")
    return url, key


@pytest.fixture(scope="session")
def label_studio() -> LabelStudio:
    url, key = label_studio_address()
    client = LabelStudio(url, key)
    if not client.health():  # never skipped: `make test` starts it (bash scripts/labelstudio.sh start)
        pytest.fail(f"no Label Studio answers at {url}; run `bash scripts/labelstudio.sh start` or set "
                    "LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")
    return client


@lru_cache(maxsize=None)
def annotator_token(email: str) -> str:
    """An annotator account of the test Label Studio (made inside it by scripts/labelstudio.sh)."""
    done = subprocess.run(["bash", str(SCRIPT), "user", email], capture_output=True, text=True, timeout=120)
    if done.returncode or not done.stdout.strip():
        pytest.fail(f"could not make the Label Studio user {email}: {done.stderr[-500:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def annotators(label_studio) -> dict[str, LabelStudio]:
    """Two annotators, each with their own token."""
    return {email: LabelStudio(label_studio.base_url, annotator_token(email))
            for email in ("ann1@bench.local", "ann2@bench.local")}


@pytest.fixture
def review_settings(settings, label_studio):
    settings.LABEL_STUDIO_URL = label_studio.base_url
    settings.LABEL_STUDIO_API_KEY = label_studio.api_key
    return settings
