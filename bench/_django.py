"""Shared set-up of the bench scripts: Django on a fresh database in a temporary folder.

The database is SQLite there, or BENCH_DATABASE_URL when set; the var folder (media store,
uploads) is the temporary folder, so a bench never touches the project's own data.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def django_on_fresh_database(prefix: str) -> Path:
    """Set Django up on a new, migrated database; the temporary folder it lives in."""
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["BENCH_VAR_DIR"] = str(workdir)
    # The starter pool's downloaded sources stay where the install script put them.
    os.environ.setdefault("STARTER_SRC_DIR", str(ROOT / "var" / "starter-src"))
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchplatform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable")  # the default cache (API throttles) is a database table
    return workdir


def database_label(workdir: Path) -> str:
    from django.conf import settings

    return f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} ({workdir})"


def local_llm(*, latency_s: float, concurrency: int, default):
    """The local OpenAI-protocol server (tests/llm_server.py) with scripted replies and injected
    latency, started, and the platform's LLM settings pointed at it (gpt-4o-mini prices)."""
    from django.conf import settings

    from tests.llm_server import LLMServer

    server = LLMServer(latency_s=latency_s, default=default).start()
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, "sk-bench"
    settings.LLM_MODEL, settings.LLM_ROLE_SETTINGS, settings.LLM_CONCURRENCY = "gpt-4o-mini", {}, concurrency
    return server
