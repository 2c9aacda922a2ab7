"""Helpers for the process tests in MEDIA_STORAGE=s3: the environment that points a stack at a
bucket, a proxy that can freeze a worker mid-upload, and reading what a viewer gets."""

import contextlib
import hashlib
import socket
import threading
import urllib.error
import urllib.request

from tests.s3server import S3Server


def s3_environment(server: S3Server, bucket: str, endpoint_url: str = "") -> dict[str, str]:
    return {
        "MEDIA_STORAGE": "s3",
        "S3_ENDPOINT_URL": endpoint_url or server.endpoint_url,
        "S3_BUCKET": bucket,
        "S3_REGION": server.region,
        "S3_ACCESS_KEY_ID": server.access_key,
        "S3_SECRET_ACCESS_KEY": server.secret_key,
    }


def fetch(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uris(playlist: bytes) -> list[str]:
    lines = playlist.decode().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class FreezingProxy:
    """A TCP proxy in front of the S3 server that, once armed, lets `uploads` more uploads of
    HLS files through and then freezes each connection that starts another: a worker caught
    mid-upload. The uploads let through finish, bodies included (the worker's threads start
    their uploads at once, so a later upload's request line can arrive before an earlier
    one's body).

    The signature covers the Host header, which passes unchanged, so the store still checks
    every request it forwards. Never armed, it simply forwards (a store that starts late).
    """

    def __init__(self, target: str, bucket: str, port: int = 0):
        host, target_port = target.removeprefix("http://").split(":")
        self._target = (host, int(target_port))
        self._marker = f"PUT /{bucket}/hls/".encode()
        self._left: int | None = None
        self._lock = threading.Lock()
        self.frozen = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", port))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze_after(self, uploads: int) -> None:
        with self._lock:
            self._left = uploads

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, watch: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if watch and self._hold(data):
                    self.frozen.set()
                    threading.Event().wait()  # forever: the worker is killed meanwhile
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _hold(self, data: bytes) -> bool:
        with self._lock:
            if self._left is None or self._marker not in data:
                return False
            self._left -= data.count(self._marker)
            return self._left < 0
