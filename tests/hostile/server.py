"""A hostile local server: answers belegsync's requests the way a broken or malicious
remote would, on a raw socket so that nothing tidies the answer up.

Behaviours: ``stall`` (read the request, never answer), ``drip`` (headers, then one
byte every ``interval`` seconds), ``huge`` (``size`` bytes of a JSON string, with or
without Content-Length), ``raw`` (exactly the bytes given, then close).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

CHUNK = 64 * 1024


@dataclass
class Hostile:
    behaviour: str = "raw"
    answer: bytes = b""
    interval: float = 1.0
    size: int = 200 * 1024 * 1024
    declare_length: bool = False
    requests: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def stop(self) -> None:
        self._stopped.set()
        self._socket.close()

    # -- serving -------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.requests.append(_read_request(conn))
                getattr(self, f"_{self.behaviour}")(conn)
            except OSError:
                pass  # the client gave up: that is what the tests want

    def _raw(self, conn: socket.socket) -> None:
        conn.sendall(self.answer)

    def _stall(self, conn: socket.socket) -> None:
        self._stopped.wait(120)

    def _drip(self, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        while not self._stopped.wait(self.interval):
            conn.sendall(b" ")

    def _huge(self, conn: socket.socket) -> None:
        length = f"Content-Length: {self.size + 2}\r\n" if self.declare_length else ""
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + length.encode()
            + (b"" if self.declare_length else b"Transfer-Encoding: chunked\r\n")
            + b"\r\n"
        )
        for piece in _json_string(self.size):
            if self.declare_length:
                conn.sendall(piece)
            else:
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        if not self.declare_length:
            conn.sendall(b"0\r\n\r\n")


def _json_string(size: int) -> Iterator[bytes]:
    """``"xxx…"``: valid JSON of ``size`` + 2 bytes, made a chunk at a time."""
    yield b'"'
    block = b"x" * CHUNK
    left = size
    while left > 0:
        yield block[: min(CHUNK, left)]
        left -= CHUNK
    yield b'"'


def _read_request(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(4096)
        if not piece:
            break
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            wanted = int(line.split(b":", 1)[1])
            deadline = time.monotonic() + 5
            while len(body) < wanted and time.monotonic() < deadline:
                body += conn.recv(4096)
    conn.settimeout(None)
    return head
