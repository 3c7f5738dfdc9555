"""A django-q2 cluster (what `qcluster` starts) that ends with the process that started it.

`serve` runs its workers through this command. With --parent-pid, the cluster watches that process:
when it dies, however it dies (SIGKILL included), the whole cluster (main process, sentinel, workers,
pusher, monitor: one process group) is killed at once, so a restarted `serve` never runs beside an
orphaned cluster. The tasks the cluster held are handed out again by the reaper (benchmarks.recovery),
which every new worker runs when it starts. Without --parent-pid it is plain `qcluster`.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_group(*_args: object) -> None:
    os.killpg(os.getpgrp(), signal.SIGKILL)


def _ask_for_parent_death_signal() -> None:
    """Linux: the kernel sends SIGUSR1 the moment the parent dies (elsewhere the poll below notices)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGUSR1, 0, 0, 0)
    except (OSError, AttributeError):
        return
    signal.signal(signal.SIGUSR1, _die_with_group)


class Command(BaseCommand):
    help = "Run a qcluster; with --parent-pid, kill it (all its processes) as soon as that process is gone."

    def add_arguments(self, parser):
        parser.add_argument("--parent-pid", type=int, default=None,
                            help="Process to watch (serve passes its own); the cluster ends when it dies.")

    def handle(self, *args, **options):
        from django_q.cluster import Cluster

        settings.SECRET_KEY  # noqa: B018 - the cluster signs its tasks with it; fail here if it is missing
        parent = options["parent_pid"]
        if parent is not None:
            if parent <= 1:
                raise CommandError(f"--parent-pid must be the pid of a live process, not {parent}")
            if os.getpgrp() != os.getpid():
                os.setpgid(0, 0)  # a group of our own: everything the cluster forks can be killed at once
            _ask_for_parent_death_signal()
            if os.getppid() != parent:  # gone already, before we could watch it
                raise CommandError(f"the parent process {parent} is not our parent (it has exited)")
        cluster = Cluster()
        cluster.start()
        # The cluster stops on SIGTERM/SIGINT (its own handlers); meanwhile watch the parent.
        while cluster.sentinel is not None and cluster.sentinel.is_alive():
            if parent is not None and os.getppid() != parent:
                _die_with_group()
            time.sleep(0.5)
