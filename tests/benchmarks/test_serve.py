"""`manage.py serve` supervises its qcluster: a cluster that dies is started again (and the death
logged), and a serve killed outright (SIGKILL) takes its cluster with it, so a restarted serve
never runs beside an orphaned cluster."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks.test_qcluster import ROOT, _database_url, _wait


def _live_members(pgid: int) -> list[int]:
    """Processes of the group that are still running (zombies waiting for their reaper do not count)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cluster_pids(log: Path) -> list[int]:
    found = re.findall(r"qcluster started \(pid (\d+)\)", log.read_text(errors="replace"))
    return [int(pid) for pid in dict.fromkeys(found)]  # serve prints the first start and logs every start


@pytest.mark.qcluster
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from /proc (Linux)")
@pytest.mark.django_db(transaction=True)
def test_serve_restarts_a_dead_cluster_and_takes_it_along_when_killed(settings, tmp_path):
    log = tmp_path / "serve.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "BENCH_TASKS_INLINE": "false", "Q_WORKERS": "1",
           "LOG_LEVEL": "INFO", "BENCH_Q_NAME": f"test-serve-{os.getpid()}", "REDIS_URL": "",
           "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        serve = subprocess.Popen([sys.executable, "manage.py", "serve", f"127.0.0.1:{_free_port()}"], cwd=ROOT,
                                 env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    clusters: list[int] = []
    try:
        assert _wait(lambda: len(_cluster_pids(log)) == 1 and len(_live_members(_cluster_pids(log)[0])) >= 4, 90), \
            log.read_text(errors="replace")[-3000:]
        first = _cluster_pids(log)[0]
        clusters.append(first)

        # The cluster's main process dies: serve logs it, removes what it left and starts another one.
        os.kill(first, signal.SIGKILL)
        assert _wait(lambda: len(_cluster_pids(log)) == 2, 30), log.read_text(errors="replace")[-3000:]
        second = _cluster_pids(log)[1]
        clusters.append(second)
        assert f"qcluster (pid {first}) exited with code -9; restarting it in 1 s" in log.read_text()
        assert _wait(lambda: _live_members(first) == [], 10)  # its sentinel and workers went too
        assert _wait(lambda: len(_live_members(second)) >= 4, 60)
        assert serve.poll() is None

        # serve itself is killed outright: its cluster goes with it, at once.
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait(timeout=10)
        assert _wait(lambda: _live_members(second) == [], 10), f"orphaned cluster processes {_live_members(second)}"
    finally:
        for pgid in [serve.pid, *clusters]:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        serve.wait(timeout=10)
