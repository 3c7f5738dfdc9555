"""Serve the UI and API with a django-q2 worker cluster beside it; stopping one stops both.

This is Django's development server: fine for one machine and a few people. With DEBUG off (the
default) runserver serves no static files, so it is asked to (`insecure_serving`) and the admin
and the API docs keep their styles. A production server (gunicorn with whitenoise for the static
files) is another step, not this command's job.

The cluster is supervised: when it dies it is started again (after 1 s, doubling up to 60 s while it
keeps dying young), and each death is logged. It runs `manage.py worker --parent-pid <this pid>`,
which kills the whole cluster when this process dies, even by SIGKILL, so a restarted `serve`
never finds an orphaned cluster still taking tasks beside its own.
"""
from __future__ import annotations

import logging
import os
import signal
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from common.supervisor import Supervisor

logger = logging.getLogger("benchmarks.serve")


class Command(BaseCommand):
    help = "Run the web server on ADDR:PORT (default 127.0.0.1:8000) and a supervised qcluster worker cluster."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, **options):
        # The shared cache's table (API and login throttles) when the cache is the database; idempotent.
        call_command("createcachetable")
        cluster = Supervisor([sys.executable, str(settings.BASE_DIR / "manage.py"), "worker",
                              "--parent-pid", str(os.getpid())], name="qcluster", log=logger).start()
        self.stdout.write(f"qcluster started (pid {cluster.process.pid})")

        def stop(signum, frame):  # SIGTERM stops the server the way Ctrl-C does, worker included
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            call_command("runserver", options["addrport"], use_reloader=False, insecure_serving=True)
        finally:
            cluster.stop()
