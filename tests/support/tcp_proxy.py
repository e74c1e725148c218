"""A TCP listener on 127.0.0.1 that forwards to the engine's unix socket: DOCKER_HOST=tcp://127.0.0.1:PORT
then names "another" engine, as a build farm would, and the proxy counts what went through it."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _pump(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


def _serve(client: socket.socket, upstream: socket.socket) -> None:
    back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    back.start()
    _pump(client, upstream)
    back.join(timeout=600)
    client.close()
    upstream.close()


@contextmanager
def engine_over_tcp(unix_socket: str = "/var/run/docker.sock") -> Iterator[tuple[str, list[int]]]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(32)
    port = server.getsockname()[1]
    connections: list[int] = []
    workers: list[threading.Thread] = []

    def accept() -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(unix_socket)
            connections.append(1)
            worker = threading.Thread(target=_serve, args=(client, upstream), daemon=True)
            workers.append(worker)
            worker.start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{port}", connections
    finally:
        server.close()
        thread.join(timeout=5)
        for worker in workers:
            worker.join(timeout=10)
