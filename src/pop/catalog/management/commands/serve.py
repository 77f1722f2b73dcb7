"""`pop serve`: the production server (gunicorn) plus its companion processes.

Companions, each a `pop` subcommand restarted if it dies:
- `db_worker --queue-name *`  background tasks (image derivatives, large exports), django-tasks-db;
- `index follow`             keeps this node's search index in sync with the change sequence
                               (only when the search app provides it).
Static files are collected once at start and served by WhiteNoise (compressed, cached).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

COMPANIONS = (
    ("db_worker", ["db_worker", "--queue-name", "*", "--interval", "1"]),
    ("follow", ["index", "follow"]),
)


class Command(BaseCommand):
    help = "Serveur de production (gunicorn) avec le suivi de l'index et les tâches de fond."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-companions", action="store_true", help="ne lance ni le suivi de l'index ni les tâches de fond")

    def handle(self, *args, host, port, workers, threads, no_companions, **opts):
        call_command("collectstatic", interactive=False, verbosity=0)
        pop = [sys.executable, "-m", "pop.cli"]
        procs: dict[str, subprocess.Popen] = {}
        wanted = [] if no_companions else [(n, a) for n, a in COMPANIONS if self._available(a)]
        for name, argv in wanted:
            procs[name] = subprocess.Popen(pop + argv)
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "pop.wsgi:application",
                                     "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
                                     "--worker-class", "gthread", "--timeout", "120", "--no-control-socket", "--access-logfile", "-"])
        self.stdout.write(f"POP sert http://{host}:{port} ({workers} processus)")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping and gunicorn.poll() is None:
                for name, argv in wanted:
                    if procs[name].poll() is not None:
                        procs[name] = subprocess.Popen(pop + argv)
                time.sleep(1)
        finally:
            for p in [gunicorn, *procs.values()]:
                if p.poll() is None:
                    p.terminate()
            for p in [gunicorn, *procs.values()]:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()

    @staticmethod
    def _available(argv: list[str]) -> bool:
        return argv[0] in get_commands()
