"""Serve the UI and API with a django-q2 worker cluster beside it; stopping one stops both.

This is Django's development server: fine for one machine and a few people. With DEBUG off (the
default) runserver serves no static files, so it is asked to (`insecure_serving`) and the admin
and the API docs keep their styles. A production server (gunicorn with whitenoise for the static
files) is another step, not this command's job."""
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
        # The shared cache's table (API and login throttles) when the cache is the database; idempotent.
        call_command("createcachetable")
        cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"])
        self.stdout.write(f"qcluster started (pid {cluster.pid})")

        def stop(signum, frame):  # SIGTERM stops the server the way Ctrl-C does, worker included
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            call_command("runserver", options["addrport"], use_reloader=False, insecure_serving=True)
        finally:
            cluster.terminate()
            try:
                cluster.wait(timeout=15)
            except subprocess.TimeoutExpired:
                cluster.kill()
