"""The one way to queue background work: after the transaction commits, by dotted path, ids only.

With BENCH_TASKS_INLINE the job runs in this process right after commit instead of going through
django-q2 (tests and one-off scripts); its arguments still go through JSON, so a payload that
would not survive the queue fails here too.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def enqueue(func_path: str, *args: int | str, name: str = "") -> None:
    payload = json.loads(json.dumps(list(args)))
    if any(not isinstance(arg, (int, str)) for arg in payload):
        raise TypeError(f"queue only ids and strings, not {args!r}")

    def send() -> None:
        if settings.BENCH_TASKS_INLINE:
            import_string(func_path)(*payload)
            return
        from django_q.tasks import async_task

        async_task(func_path, *payload, task_name=(name or func_path)[:100])
        logger.info("queued %s%s", func_path, tuple(payload))

    transaction.on_commit(send)


def json_safe(value: Any) -> Any:
    """A JSON-clean copy (drops types JSONField cannot store)."""
    return json.loads(json.dumps(value, default=str))
