"""Bytes to text: BOMs, declared charsets, UTF-8, then detection; binary refused."""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from pathlib import Path

import charset_normalizer

from storyline.errors import DecodeError, EmptyInputError, InputError

# Decompressed size cap for .gz inputs: a small bomb must not fill memory.
MAX_INPUT_BYTES = 200 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)


def read_bytes(path: Path, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The file's bytes, gunzipped when it ends in .gz; at most ``limit`` bytes."""
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read(limit + 1)
        else:
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(str(path), f"cannot read the file ({reason})",
                         hint="Check that it exists, is readable and, for .gz, is not truncated.") from exc
    if len(data) > limit:
        raise InputError(str(path), f"larger than {limit // (1024 * 1024)} MB",
                         hint="Split it into smaller files.")
    return data


def _declared_charset(data: bytes) -> str | None:
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_text(data: bytes, origin: str, *, html: bool = False) -> str:
    """Decode ``data`` naming ``origin`` in errors; raises EmptyInputError or DecodeError."""
    if not data.strip():
        raise EmptyInputError(origin, "the file is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                message = f"starts with a {encoding} byte-order mark but is not {encoding}"
                raise DecodeError(origin, message) from exc
    if b"\x00" in data[:8192]:
        raise DecodeError(origin, "binary data, not text", hint="Import HTML, text or JSONL files.")
    candidates = ["utf-8"]
    declared = _declared_charset(data) if html else None
    if declared and declared not in candidates:
        # A declared charset is a claim, not a fact: UTF-8 that decodes cleanly wins.
        candidates.append(declared)
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    best = charset_normalizer.from_bytes(data[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise DecodeError(origin, "the bytes are not text in any encoding Storyline can tell")
    return data.decode(best.encoding, errors="replace")
