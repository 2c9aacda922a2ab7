"""Put the admin preview player's hls.js where Django's staticfiles find it (static/vendor/).

Two ways, one result, both pinned by package-lock.json (version and integrity hash):

- `python player/vendor.py` (`make setup`): `npm ci` in this folder, then copy the files over.
  When npm is missing or the registry unreachable it says so in one sentence and exits 1;
  `make setup` goes on, and the admin says the player is unavailable.
- `python player/vendor.py --registry` (the image build, which has no npm): download the
  package's tarball from the registry (NPM_REGISTRY, default the npm registry), refuse it
  unless its SHA-512 matches the lock's integrity hash, and unpack the files.

Only the minified script, its source map (the script names it, and collectstatic's manifest
must find it) and the licence are served: the package's dist folder holds 30 MB more.
"""

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "hls.js"
FILES = ("dist/hls.min.js", "dist/hls.min.js.map", "LICENSE")
TARGET = HERE / "static" / "vendor" / PACKAGE
DEFAULT_REGISTRY = "https://registry.npmjs.org"


class VendorError(Exception):
    """Why hls.js could not be put in place, in one sentence."""


def locked_package(folder: Path = HERE) -> tuple[str, str]:
    """(version, integrity) of the package as package-lock.json pins it."""
    lock = json.loads((folder / "package-lock.json").read_text())
    entry = lock["packages"][f"node_modules/{PACKAGE}"]
    return entry["version"], entry["integrity"]


def check_integrity(data: bytes, integrity: str) -> None:
    """Raise unless `data` matches the lock's Subresource-Integrity string (sha512-<base64>)."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise VendorError(f"package-lock.json pins {PACKAGE} with {algorithm}, not sha512.")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if actual != expected:
        raise VendorError(
            f"the {PACKAGE} tarball does not match the integrity hash in package-lock.json."
        )


def install_with_npm(folder: Path = HERE, target: Path = TARGET) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm is not installed (apt-get install npm).")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise VendorError(
            f"npm ci could not install it from the npm registry ({_npm_reason(result.stderr)})."
        )
    installed = folder / "node_modules" / PACKAGE
    _replace_target(target, {name: (installed / name).read_bytes() for name in FILES})


def _npm_reason(stderr: str) -> str:
    """npm's own words for the failure, without its stack trace and log-file hint."""
    errors = [line.removeprefix("npm error").strip() for line in stderr.splitlines()]
    errors = [line for line in errors if line]
    found = next((line for line in errors if "reason:" in line), None)
    found = found or next((line for line in errors if line.startswith("code ")), None)
    return found or (errors[0] if errors else "npm ci failed")


def install_from_registry(
    folder: Path = HERE, target: Path = TARGET, registry: str = DEFAULT_REGISTRY
) -> None:
    version, integrity = locked_package(folder)
    url = f"{registry.rstrip('/')}/{PACKAGE}/-/{PACKAGE}-{version}.tgz"
    if not url.startswith(("https://", "http://")):
        raise VendorError(f"NPM_REGISTRY must be an http(s) URL, not {registry!r}.")
    try:
        with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - checked above
            data = response.read()
    except OSError as error:
        raise VendorError(f"{url} could not be downloaded ({error}).") from None
    check_integrity(data, integrity)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        files = {}
        for name in FILES:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise VendorError(f"the {PACKAGE} tarball holds no {name}.")
            files[name] = member.read()
    _replace_target(target, files)


def _replace_target(target: Path, files: dict[str, bytes]) -> None:
    """Write all files into a fresh folder, then swap it in: never half a player."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=".hls-", dir=target.parent))
    for name, data in files.items():
        (fresh / Path(name).name).write_bytes(data)
        (fresh / Path(name).name).chmod(0o644)
    fresh.chmod(0o755)
    if target.exists():
        shutil.rmtree(target)
    fresh.rename(target)


def main(argv: list[str]) -> int:
    try:
        if argv == ["--registry"]:
            install_from_registry(registry=os.environ.get("NPM_REGISTRY") or DEFAULT_REGISTRY)
        elif not argv:
            install_with_npm()
        else:
            raise VendorError("usage: vendor.py [--registry]")
    except VendorError as error:
        print(
            f"hls.js is not installed, so the admin's preview player is unavailable: {error}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
