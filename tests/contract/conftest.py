"""Contract fuzzing runs against Videoflix as real processes (tests/live_server.py)."""

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.live_server import LiveStack
from tests.media import generate_video
from tests.storage.stacks import s3_environment

# Fuzzing sends far more requests than any throttle allows; raise the limits so each request
# reaches the code behind the throttle (tests/accounts pins the throttling itself).
UNTHROTTLED = dict.fromkeys(
    (
        "THROTTLE_LOGIN_IP",
        "THROTTLE_LOGIN_IP_EMAIL",
        "THROTTLE_LOGIN_EMAIL",
        "THROTTLE_REGISTER_IP",
        "THROTTLE_PASSWORD_RESET_IP",
        "THROTTLE_PASSWORD_RESET_IP_EMAIL",
        "THROTTLE_PASSWORD_RESET_EMAIL",
    ),
    "1000000/min",
)
# A browser's CSRF pair (the csrftoken cookie and the X-CSRFToken header), so cookie-authenticated
# writes get past the CSRF check to the code behind it: 32 alphanumeric characters, a valid secret.
CSRF_TOKEN = secrets.token_hex(16)


@dataclass
class FuzzTarget:
    stack: LiveStack
    access_tokens: dict[str, str]  # role ("viewer", "staff") -> access token
    film: dict  # a ready, published film with English subtitles, as `upload_video --json` prints it

    def headers(self, role: str) -> list[str]:
        return [
            f"Cookie: access_token={self.access_tokens[role]}; csrftoken={CSRF_TOKEN}",
            f"X-CSRFToken: {CSRF_TOKEN}",
        ]


def _storage_environment(mode: str, request) -> dict[str, str]:
    """MEDIA_STORAGE=s3: a bucket of its own on the session's real S3 server; the routes then
    answer from the bucket (signed URLs, redirects, the segment route's 404) and must still
    answer only as documented."""
    if mode == "local":
        return {}
    s3_server = request.getfixturevalue("s3_server")
    return s3_environment(s3_server, s3_server.fresh_bucket("vf-fuzz"))


@pytest.fixture(scope="session", params=["local", "s3"])
def fuzz_target(tmp_path_factory, request) -> Iterator[FuzzTarget]:
    env = {**UNTHROTTLED, **_storage_environment(request.param, request)}
    stack = LiveStack(
        tmp_path_factory.mktemp(f"contract-{request.param}"),
        name=f"contract{request.param}",
        env=env,
    )
    try:
        stack.install()
        stack.start_worker()
        source = generate_video(stack.workdir / "film.mp4", seconds=3, width=320, height=240)
        subtitles = stack.workdir / "film.en.srt"
        subtitles.write_text("1\n00:00:00,500 --> 00:00:02,000\nFuzzed words.\n")
        upload = stack.manage(
            "upload_video", str(source), "--title", "Fuzzed film", "--publish", "--wait", "--json",
            "--subtitles", f"en:{subtitles}",
        )  # fmt: skip
        film = json.loads(upload.stdout[upload.stdout.index("{") :])
        stack.stop("worker")  # nothing to transcode any more; the fuzzing gets both cores
        tokens = {
            role: stack.create_user(f"fuzz-{role}@example.com", staff=role == "staff")
            for role in ("viewer", "staff")
        }
        stack.start_web()
        yield FuzzTarget(stack=stack, access_tokens=tokens, film=film)
    finally:
        stack.close()
