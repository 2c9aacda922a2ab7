"""transcode_video: the database unreachable while a job runs; the job is retried, not lost."""

import os
import re
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.faults.conftest import (
    RUN_SWEEP,
    TcpProxy,
    assert_one_live_output,
    encoder_of,
    sweep_until_requeued,
    upload,
    wait_for_status,
)
from tests.support import is_running, wait_for

pytestmark = pytest.mark.slow  # real processes and tens of seconds of encoding

# Huey's last word on a task run: done, or raised.
JOB_ENDED = re.compile(r"transcode_video: \S+ .*executed in|Unhandled exception in task")


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL (DATABASE_URL): an embedded SQLite file cannot become unreachable",
)
def test_database_unreachable_until_the_encode_ends_is_retried_not_lost(make_stack, source):
    stack = make_stack("dboutage")
    address = urlsplit(stack.database.url)
    proxy = TcpProxy((address.hostname, address.port or 5432)).restore()
    user = f"{address.netloc.rsplit('@', 1)[0]}@" if "@" in address.netloc else ""
    through_proxy = urlunsplit(address._replace(netloc=f"{user}127.0.0.1:{proxy.port}"))
    worker = stack.start_worker(env={"DATABASE_URL": through_proxy})
    video_id = upload(stack, source, "Film of the outage")
    encoder = wait_for(lambda: encoder_of(worker.pid), timeout=60, what="the encode", every=0.05)

    proxy.cut()
    wait_for(lambda: not is_running(encoder), timeout=60, what="the encode to end")
    wait_for(lambda: JOB_ENDED.search(stack.log("worker")), timeout=60, what="the job to end")
    proxy.restore()

    sweep_until_requeued(stack, video_id)
    row = wait_for_status(stack, video_id, "ready", "failed")
    assert row["status"] == "ready", row
    assert row["attempts"] == 2
    stack.shell(RUN_SWEEP)
    assert_one_live_output(stack, video_id)
    proxy.cut()
