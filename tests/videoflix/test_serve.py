"""`manage.py serve` (what `make run` ends with) runs Granian and the Huey consumer together."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from tests.support import ROOT, free_port, http_status, wait_for

pytestmark = pytest.mark.slow


def test_serve_answers_docs_runs_the_worker_and_stops_on_ctrl_c(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DEBUG": "true",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            docs = f"http://127.0.0.1:{port}/api/docs"
            assert wait_for(lambda: http_status(docs), what=f"{docs} to answer") == 200
            wait_for(lambda: "consumer started" in log.read_text().lower(), what="the consumer")
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
