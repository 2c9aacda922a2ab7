"""MEDIA_STORAGE=s3: web and worker share no disk. Two processes with different, unrelated
media/scratch folders, joined only by the database, the queue and the S3 server: a film
uploaded through the web's admin is transcoded by the worker and played through the web,
playlist -> signed URL -> bytes from the S3 server, compared by hash."""

import re

import pytest
import requests

from tests.catalog.test_admin import NO_SUBTITLES
from tests.faults.conftest import FAST_JOBS
from tests.faults.conftest import wait_for_status as wait_for_row
from tests.live_server import LiveStack
from tests.media import generate_video
from tests.storage.stacks import fetch, s3_environment, sha256, uris

pytestmark = pytest.mark.slow  # real processes and a real encode

_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def admin_upload(stack: LiveStack, source, *, email: str, password: str) -> None:
    """Staff log in to the admin and upload the film through its add form, over HTTP."""
    session = requests.Session()
    login = stack.url("/admin/login/")
    token = _CSRF_FIELD.search(session.get(login, timeout=60).text)[1]
    answer = session.post(
        login,
        data={"username": email, "password": password, "csrfmiddlewaretoken": token},
        timeout=60,
    )
    assert "/admin/login/" not in answer.url, answer.text[-2000:]
    add = stack.url("/admin/catalog/video/add/")
    token = _CSRF_FIELD.search(session.get(add, timeout=60).text)[1]
    with source.open("rb") as film:
        answer = session.post(
            add,
            data={
                "csrfmiddlewaretoken": token,
                "title": "Across machines",
                "description": "",
                "category": "drama",
                "is_published": "on",
                **NO_SUBTITLES,
            },
            files={"original": (source.name, film, "video/mp4")},
            timeout=300,
        )
    assert answer.status_code == 200, answer.text[-2000:]
    assert answer.url.endswith("/admin/catalog/video/"), answer.url


def files_below(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_web_and_worker_share_only_database_queue_and_bucket(s3_server, tmp_path):
    bucket = s3_server.fresh_bucket()
    client = s3_server.client()
    env = {
        **FAST_JOBS,
        **s3_environment(s3_server, bucket),
        "VIDEO_TRANSCODE_RENDITIONS": "240p,360p",
    }
    source = generate_video(tmp_path / "film.mp4", seconds=6, width=640, height=360)
    worker_scratch = tmp_path / "worker-machine" / "scratch"
    worker_scratch.mkdir(parents=True)
    with LiveStack(tmp_path / "web-machine", name="nosharing", env=env) as stack:
        stack.install()
        stack.manage("collectstatic", "--noinput", "-v", "0")  # the admin's pages need it
        stack.start_worker(env={"MEDIA_ROOT": str(worker_scratch)})
        stack.start_web()
        stack.shell(
            "from accounts.models import User; User.objects.create_superuser("
            "email='staff@example.com', password='correct-horse-battery')"
        )
        token = stack.create_user("viewer@example.com")

        admin_upload(stack, source, email="staff@example.com", password="correct-horse-battery")

        [video_id] = [row["id"] for row in stack.database.query("SELECT id FROM catalog_video")]
        row = wait_for_row(stack, video_id, "ready", "failed", timeout=240)
        assert row["status"] == "ready", row
        # The original went from the web process to the bucket, byte for byte.
        original = client.get_object(Bucket=bucket, Key=row["original"])["Body"].read()
        assert sha256(original) == sha256(source.read_bytes())

        # A viewer plays through the web: every segment from the S3 server by signed URL.
        bearer = {"Authorization": f"Bearer {token}"}
        status, master = fetch(stack.url(f"/api/video/{video_id}/master.m3u8"), bearer)
        assert status == 200
        played = 0
        for playlist_uri in uris(master):
            url = stack.url(f"/api/video/{video_id}/{playlist_uri}")
            status, playlist = fetch(url, bearer)
            assert status == 200
            for segment_url in uris(playlist):
                assert segment_url.startswith(f"{s3_server.endpoint_url}/{bucket}/hls/")
                status, data = fetch(segment_url)  # no credentials of ours: the URL is signed
                assert status == 200
                key = segment_url.split("?")[0].removeprefix(f"{s3_server.endpoint_url}/{bucket}/")
                stored = client.get_object(Bucket=bucket, Key=key)["Body"].read()
                assert sha256(data) == sha256(stored)
                played += 1
        assert played >= 2  # two rungs, a segment or more each

        # Neither machine kept media on its own disk: the web holds none, the worker only
        # its (emptied) scratch folder.
        assert files_below(stack.media_root) == []
        assert files_below(worker_scratch) == []
