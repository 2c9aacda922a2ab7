"""transcode_video: Redis restarts while jobs wait in its queue; the jobs still run.

With an append-only file (compose runs Redis so) the queue survives the restart. Without
persistence (how this machine's Redis runs) the queued entry is gone, and the periodic sweep
queues again the videos left pending.
"""

import pytest

from tests.faults.conftest import (
    RUN_SWEEP,
    assert_one_live_output,
    upload,
    wait_for_status,
)
from tests.support import wait_for

pytestmark = pytest.mark.slow  # real processes and tens of seconds of encoding


@pytest.mark.parametrize("persistent", [True, False], ids=["append-only-file", "no-persistence"])
def test_jobs_queued_across_a_redis_restart_still_run(
    persistent, private_redis, make_stack, source
):
    redis = private_redis(persistent=persistent)
    # With persistence nothing may need the sweep: its pending-requeue stays out of reach.
    requeue_after = "3600" if persistent else "2"
    stack = make_stack(
        f"redis{persistent}",
        env={
            "REDIS_URL": redis.url,
            "VIDEO_PENDING_REQUEUE_SECONDS": requeue_after,
            "HUEY_WORKERS": "1",  # one job runs, the other must wait in the queue
        },
    )
    videos = [upload(stack, source, f"Queued film {n}") for n in (1, 2)]
    stack.start_worker()

    def statuses():
        return sorted(stack.video(video_id)["status"] for video_id in videos)

    wait_for(lambda: statuses() == ["pending", "processing"], timeout=60, what="one job running")
    redis.restart()

    if not persistent:
        wait_for(lambda: "ready" in statuses(), timeout=90, what="the running job to finish")

        def requeued():
            stack.shell(RUN_SWEEP)  # what the periodic task does once a minute
            return "pending" not in statuses()

        wait_for(requeued, timeout=60, what="the sweep to queue the lost job again", every=1)
    for video_id in videos:
        row = wait_for_status(stack, video_id, "ready", "failed")
        assert row["status"] == "ready", row
        assert row["attempts"] == 1
        assert_one_live_output(stack, video_id)
