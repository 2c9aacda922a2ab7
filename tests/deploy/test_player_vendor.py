"""player/vendor.py, which puts the admin player's hls.js in place: from a registry tarball only
when it matches the lock's integrity hash, and with one clear sentence when it cannot."""

import base64
import functools
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support import ROOT, free_port, prerequisite_missing

PLAYER = ROOT / "player"
FILES = {
    "package/dist/hls.min.js": b"/* hls.min.js */\n//# sourceMappingURL=hls.min.js.map\n",
    "package/dist/hls.min.js.map": b'{"version":3}',
    "package/LICENSE": b"Apache License 2.0\n",
    "package/dist/hls.js": b"/* not served: only the three files above are */\n",
}
UNAVAILABLE = "hls.js is not installed, so the admin's preview player is unavailable: "


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def player_copy(folder: Path, *, locked_integrity: str | None = None) -> Path:
    """The player folder's committed files, the lock's hash optionally replaced."""
    folder.mkdir()
    for name in ("package.json", "package-lock.json", "vendor.py"):
        shutil.copy(PLAYER / name, folder / name)
    if locked_integrity:
        lock = json.loads((folder / "package-lock.json").read_text())
        lock["packages"]["node_modules/hls.js"]["integrity"] = locked_integrity
        (folder / "package-lock.json").write_text(json.dumps(lock))
    return folder


def version() -> str:
    return json.loads((PLAYER / "package-lock.json").read_text())["packages"][
        "node_modules/hls.js"
    ]["version"]


@pytest.fixture
def registry(tmp_path):
    """A local registry folder served over HTTP: returns (its URL, where the tarball goes)."""
    root = tmp_path / "registry"
    tarball_path = root / "hls.js" / "-" / f"hls.js-{version()}.tgz"
    tarball_path.parent.mkdir(parents=True)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", tarball_path
    server.shutdown()
    server.server_close()


def run_vendor(folder: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, str(folder / "vendor.py"), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **(env or {})},
    )


def test_the_lock_pins_the_version_package_json_asks_for():
    asked = json.loads((PLAYER / "package.json").read_text())["dependencies"]["hls.js"]
    locked = json.loads((PLAYER / "package-lock.json").read_text())["packages"]
    assert locked["node_modules/hls.js"]["version"] == asked
    assert locked["node_modules/hls.js"]["integrity"].startswith("sha512-")


def test_a_tarball_matching_the_lock_is_unpacked_to_the_static_folder(tmp_path, registry):
    url, tarball_path = registry
    data = tarball(FILES)
    tarball_path.write_bytes(data)
    folder = player_copy(tmp_path / "player", locked_integrity=integrity(data))

    result = run_vendor(folder, "--registry", env={"NPM_REGISTRY": url})

    assert result.returncode == 0, result.stderr
    target = folder / "static" / "vendor" / "hls.js"
    assert {path.name: path.read_bytes() for path in target.iterdir()} == {
        "hls.min.js": FILES["package/dist/hls.min.js"],
        "hls.min.js.map": FILES["package/dist/hls.min.js.map"],
        "LICENSE": FILES["package/LICENSE"],
    }


def test_a_tarball_not_matching_the_lock_is_refused_and_the_old_install_stays(tmp_path, registry):
    url, tarball_path = registry
    genuine = tarball(FILES)
    tarball_path.write_bytes(tarball({**FILES, "package/dist/hls.min.js": b"alert('pwned')"}))
    folder = player_copy(tmp_path / "player", locked_integrity=integrity(genuine))
    previous = folder / "static" / "vendor" / "hls.js" / "hls.min.js"
    previous.parent.mkdir(parents=True)
    previous.write_bytes(b"/* the version installed before */")

    result = run_vendor(folder, "--registry", env={"NPM_REGISTRY": url})

    assert result.returncode == 1
    assert result.stderr.strip() == (
        UNAVAILABLE + "the hls.js tarball does not match the integrity hash in package-lock.json."
    )
    assert previous.read_bytes() == b"/* the version installed before */"


def test_an_unreachable_registry_fails_the_image_build_with_one_sentence(tmp_path):
    folder = player_copy(tmp_path / "player")
    closed = f"http://127.0.0.1:{free_port()}"

    result = run_vendor(folder, "--registry", env={"NPM_REGISTRY": closed})

    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(UNAVAILABLE + f"{closed}/hls.js/-/hls.js-{version()}.tgz")
    assert not (folder / "static").exists()


def test_offline_setup_says_so_in_one_sentence_and_installs_nothing(tmp_path):
    """What `make setup` prints (and then goes on) when npm cannot reach the registry."""
    if shutil.which("npm") is None:
        prerequisite_missing("npm is not installed")
    folder = player_copy(tmp_path / "player")
    offline = {
        "npm_config_registry": f"http://127.0.0.1:{free_port()}/",
        "npm_config_cache": str(tmp_path / "empty-npm-cache"),  # nothing to fall back on
        "npm_config_fetch_retries": "0",
    }

    result = run_vendor(folder, env=offline)

    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(
        UNAVAILABLE + "npm ci could not install it from the npm registry (FetchError: request to "
    )
    assert "ECONNREFUSED" in result.stderr
    assert not (folder / "static").exists()
