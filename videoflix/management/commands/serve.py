"""Run the web server (Granian) and the Huey worker together; Ctrl-C stops both."""

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run Granian (WSGI) and the Huey consumer side by side until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="Granian worker processes.")
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args, host, port, workers, no_worker, **options):
        commands = {
            "web": [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                host,
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--blocking-threads",
                "8",
                "videoflix.wsgi:application",
            ],
        }
        if not no_worker:
            commands["worker"] = [sys.executable, "manage.py", "run_huey", "--flush-locks"]

        processes = {name: subprocess.Popen(argv) for name, argv in commands.items()}
        self.stdout.write(
            f"Videoflix on http://{host}:{port}/api/docs ({', '.join(processes)}); Ctrl-C stops."
        )
        stopping = False

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        try:
            while not stopping:
                exited = [name for name, proc in processes.items() if proc.poll() is not None]
                if exited:
                    self.stderr.write(f"{', '.join(exited)} exited; stopping the rest.")
                    break
                time.sleep(0.3)
        finally:
            self._stop_all(processes)
        failed = [name for name, proc in processes.items() if proc.returncode not in (0, -2, -15)]
        if failed and not stopping:
            sys.exit(1)

    def _stop_all(self, processes: dict[str, subprocess.Popen]) -> None:
        for proc in processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 15
        for proc in processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
