"""A compressed answer decoded a little at a time, so its size limit holds for what it
unpacks to.

httpx's own decoders unpack each network chunk whole: a 64 KB chunk of a gzip
bomb becomes some 64 MB in one call, before any limit could look at it. Here
zlib may give at most :data:`PIECE` bytes per call, and the caller counts the
unpacked bytes against the answer's limit as they come.

belegsync asks for ``gzip`` and ``deflate`` only (:data:`ACCEPTED`); any other
``Content-Encoding`` is an answer it cannot read.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

#: What the client's ``Accept-Encoding`` offers, and all it can decode.
ACCEPTED = "gzip, deflate"
#: The most one decompression step may unpack.
PIECE = 64 * 1024


class BrokenEncoding(ValueError):
    """The answer is not in the encoding it names (or names one belegsync did not ask for)."""


def decoded(raw: Iterable[bytes], content_encoding: str) -> Iterator[bytes]:
    """The bytes of ``raw`` as the ``Content-Encoding`` header says they are packed."""
    encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    encodings = [e for e in encodings if e != "identity"]
    if not encodings:
        yield from raw
        return
    if len(encodings) > 1 or encodings[0] not in ("gzip", "x-gzip", "deflate"):
        raise BrokenEncoding(f"the encoding {content_encoding!r} was not asked for")
    yield from _inflated(raw, gzip=encodings[0] != "deflate")


def _inflated(raw: Iterable[bytes], *, gzip: bool) -> Iterator[bytes]:
    # gzip has its header; "deflate" is meant to be zlib-wrapped, but some servers send
    # the bare stream, so its first chunk decides (as browsers and httpx do)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
    first = True
    try:
        for chunk in raw:
            if first and not gzip and chunk:
                inflater = _deflate_for(chunk)
            first = first and not chunk
            yield from _pieces(inflater, chunk)
        yield inflater.flush()
    except zlib.error as exc:
        raise BrokenEncoding(str(exc)) from exc


def _deflate_for(first_chunk: bytes) -> zlib._Decompress:
    try:
        zlib.decompressobj().decompress(first_chunk[:PIECE], 1)
    except zlib.error:
        return zlib.decompressobj(-zlib.MAX_WBITS)
    return zlib.decompressobj()


def _pieces(inflater: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """All ``data`` unpacks to, at most PIECE bytes at a time (what zlib keeps back for
    lack of room stays in ``unconsumed_tail`` or its window until the next step)."""
    while True:
        piece = inflater.decompress(data, PIECE)
        if piece:
            yield piece
        data = inflater.unconsumed_tail
        if not data and len(piece) < PIECE:
            return
