"""Serve the UI and API with a django-q2 worker cluster beside it; stopping one stops both."""
from __future__ import annotations

import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server on ADDR:PORT (default 127.0.0.1:8000) and a qcluster worker process."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, **options):
        cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"])
        self.stdout.write(f"qcluster started (pid {cluster.pid})")

        def stop(signum, frame):  # SIGTERM stops the server the way Ctrl-C does, worker included
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            cluster.terminate()
            try:
                cluster.wait(timeout=15)
            except subprocess.TimeoutExpired:
                cluster.kill()
