"""Keep a child command running beside this process (`serve` keeps its qcluster): restart it when
it exits, with a growing pause, and end it together with its whole process group.

The child runs in a process group of its own, so stopping it reaches every process it forked (a
qcluster is a main process, a sentinel, workers, a pusher and a monitor); the child watches this
process in turn (benchmarks/management/commands/worker.py) so that it goes too when this process is
killed outright.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time

logger = logging.getLogger(__name__)


def kill_process_group(pgid: int) -> None:
    """SIGKILL every process left in the group (none left is fine)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Supervisor:
    """Runs `argv` in its own process group from a thread; restarts it when it exits. The pause before
    a restart doubles from `backoff_min_s` to `backoff_max_s` while the child keeps dying young, and
    falls back to `backoff_min_s` once a child has lived `healthy_after_s`."""

    def __init__(self, argv: list[str], *, name: str, cwd: str | None = None, env: dict[str, str] | None = None,
                 backoff_min_s: float = 1.0, backoff_max_s: float = 60.0, healthy_after_s: float = 60.0,
                 log: logging.Logger = logger) -> None:
        self.argv, self.name, self.cwd, self.env = argv, name, cwd, env
        self.backoff_min_s, self.backoff_max_s, self.healthy_after_s = backoff_min_s, backoff_max_s, healthy_after_s
        self.log = log
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._stopping = threading.Event()
        self._started = threading.Event()
        # The child's parent-death signal fires when the thread that started it ends, so one thread
        # starts every child and lives as long as the supervisor.
        self._thread = threading.Thread(target=self._run, name=f"supervise-{name}", daemon=True)

    def start(self) -> Supervisor:
        self._thread.start()
        self._started.wait(timeout=30)
        return self

    def _run(self) -> None:
        delay = self.backoff_min_s
        while not self._stopping.is_set():
            began = time.monotonic()
            self.process = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, start_new_session=True)
            self.starts += 1
            self.log.info("%s started (pid %s)", self.name, self.process.pid)
            self._started.set()
            code = self.process.wait()
            kill_process_group(self.process.pid)  # whatever a crashed child left behind in its group
            if self._stopping.is_set():
                return
            if time.monotonic() - began >= self.healthy_after_s:
                delay = self.backoff_min_s
            self.log.warning("%s (pid %s) exited with code %s; restarting it in %.0f s",
                             self.name, self.process.pid, code, delay)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self.backoff_max_s)

    def stop(self, *, grace_s: float = 15.0) -> None:
        """Ask the child to stop (SIGTERM: a qcluster finishes the tasks in hand), then end its group."""
        self._stopping.set()
        process = self.process
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=grace_s)
                except subprocess.TimeoutExpired:
                    self.log.warning("%s did not stop within %.0f s; killing it", self.name, grace_s)
            kill_process_group(process.pid)
            process.wait()
        self._thread.join(timeout=5)
