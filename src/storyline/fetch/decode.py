"""Content-Encoding decoders that never produce more than a small piece at a time.

httpx decodes gzip with one ``decompress(chunk)`` call per network read, so a 64 KB
read of a gzip bomb inflates to ~64 MB before anyone can count it. These decoders
give output in pieces of about :data:`PIECE` bytes (``max_length`` for zlib,
``output_buffer_limit`` for brotli), so the caller's size cap stops a bomb after at
most one piece past the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

__all__ = ["ACCEPT_ENCODING", "BROTLI_AVAILABLE", "BodyDecoder", "UnsupportedEncodingError"]

PIECE = 64 * 1024

try:
    import brotli

    # Only brotli >= 1.2 can bound its output; an older one would reopen the bomb hole,
    # so then Storyline simply does not ask for br.
    brotli.Decompressor().process(b"", output_buffer_limit=1)
    BROTLI_AVAILABLE = True
except (ImportError, TypeError):  # pragma: no cover - depends on the installed brotli
    BROTLI_AVAILABLE = False

ACCEPT_ENCODING = "gzip, deflate, br" if BROTLI_AVAILABLE else "gzip, deflate"


class UnsupportedEncodingError(ValueError):
    """The server used a Content-Encoding Storyline did not ask for and cannot decode."""


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        return iter(())


def _has_zlib_header(data: bytes) -> bool:
    """RFC 1950: method 8 (deflate) in the low nibble, and the 16-bit header divisible by 31."""
    return len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0


class _Zlib:
    """gzip (incl. several members back to back) or deflate (zlib-wrapped or raw)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and not self._gzip and data:
            # Some servers send raw deflate without the zlib header (httpx allows it too).
            self._started = True
            if not _has_zlib_header(data):
                self._wbits = -zlib.MAX_WBITS
                self._inflater = zlib.decompressobj(self._wbits)
        while data:
            out = self._inflater.decompress(data, PIECE)
            if out:
                yield out
            data = self._inflater.unconsumed_tail
            # A full piece may leave output pending with no input left: ask again.
            while not data and len(out) == PIECE and not self._inflater.eof:
                out = self._inflater.decompress(b"", PIECE)
                if out:
                    yield out
            if self._inflater.eof and self._gzip:
                data = self._inflater.unused_data
                self._inflater = zlib.decompressobj(self._wbits)
            elif self._inflater.eof:
                return

    def flush(self) -> Iterator[bytes]:
        # Lenient at the end, like httpx: a truncated stream gives what it had.
        return iter(())


class _Brotli:
    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._decompressor.process(data, output_buffer_limit=PIECE)
        while out:
            yield out
            # After a full buffer, brotli must be drained with empty input.
            out = self._decompressor.process(b"", output_buffer_limit=PIECE)
        if not self._decompressor.can_accept_more_data():  # drained yet not ready: never loop on it
            raise brotli.error("the brotli decoder stopped making progress")

    def flush(self) -> Iterator[bytes]:
        return iter(())


class BodyDecoder:
    """Decode a body by its Content-Encoding header, piece by bounded piece.

    Raises :class:`UnsupportedEncodingError` for an unknown encoding, and
    ``zlib.error`` / ``brotli.error`` on corrupt data (the fetcher wraps both).
    """

    def __init__(self, content_encoding: str | None) -> None:
        names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
        self._stages: list[_Identity | _Zlib | _Brotli] = []
        # Encodings are listed in the order they were applied; undo them in reverse.
        for name in reversed(names):
            if name in ("identity", ""):
                continue
            if name in ("gzip", "x-gzip"):
                self._stages.append(_Zlib(gzip=True))
            elif name == "deflate":
                self._stages.append(_Zlib(gzip=False))
            elif name == "br" and BROTLI_AVAILABLE:
                self._stages.append(_Brotli())
            else:
                raise UnsupportedEncodingError(name)
        if not self._stages:
            self._stages.append(_Identity())

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next raw chunk."""
        return self._through(0, data)

    def flush(self) -> Iterator[bytes]:
        """Whatever the decoders still hold at the end of the body."""
        for index, stage in enumerate(self._stages):
            for piece in stage.flush():
                yield from self._through(index + 1, piece)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._stages):
            yield data
            return
        for piece in self._stages[index].feed(data):
            yield from self._through(index + 1, piece)
