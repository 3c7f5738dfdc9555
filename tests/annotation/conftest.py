"""A real Label Studio for the review tests: the one `make test` starts (scripts/labelstudio.sh), or
the one LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY name. Its tests fail, never skip, when it is down."""
from __future__ import annotations

import os
import selectors
import socket
import subprocess
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

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


class LabelStudioOutage:
    """A TCP forwarder in front of the test Label Studio, on a port of its own: the platform is pointed
    at it, and `down()` makes Label Studio unreachable there (connections refused) and then brings it
    back at the same address. The shared Label Studio server itself is never stopped."""

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        self.target = (parts.hostname, parts.port or 80)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, args=(listener,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for conn in list(self._open):
            conn.close()
        self._open.clear()

    @contextmanager
    def down(self):
        self.stop()
        try:
            yield
        finally:
            self.start()

    def _serve(self, listener: socket.socket) -> None:
        with listener:
            while not self._stop.is_set():
                try:
                    client, _ = listener.accept()
                except (TimeoutError, socket.timeout):
                    continue
                threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=30)
        except OSError:
            client.close()
            return
        self._open |= {client, upstream}
        chooser = selectors.DefaultSelector()
        chooser.register(client, selectors.EVENT_READ, upstream)
        chooser.register(upstream, selectors.EVENT_READ, client)
        try:
            while not self._stop.is_set():
                for key, _ in chooser.select(timeout=0.1):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            chooser.close()
            for conn in (client, upstream):
                conn.close()
                self._open.discard(conn)


@pytest.fixture
def label_studio_outage(review_settings, label_studio):
    """The platform reaches Label Studio through a forwarder the test can take down (`with outage.down():`)."""
    outage = LabelStudioOutage(label_studio.base_url)
    outage.start()
    review_settings.LABEL_STUDIO_URL = outage.url
    yield outage
    outage.stop()
