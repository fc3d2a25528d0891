"""Bytes to text: BOMs, declared charsets, UTF-8, then detection; binary refused."""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from pathlib import Path
from typing import BinaryIO

import charset_normalizer

from storyline.errors import DecodeError, EmptyInputError, InputError

# Decompressed size cap for .gz inputs: a small bomb must not fill memory.
MAX_INPUT_BYTES = 200 * 1024 * 1024
# One record (a JSONL line, a page or text file): the ``max_record_bytes`` setting's default.
MAX_RECORD_BYTES = 10 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)
# As browsers do (WHATWG Encoding Standard): pages that say latin-1 or ASCII are
# windows-1252 (its curly quotes and dashes are what such pages really hold), and a
# UTF-16/32 label in an ASCII-readable page is a mistake.
_DECLARED_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}
_IGNORED_DECLARATIONS = ("utf-16", "utf-32")
# Windows-1252 is the commonest legacy encoding; the detector rates short French or
# Spanish text as cp1250/cp1257 just as readily, and then garbles every accent. Prefer
# cp1252 when the detector finds it about as clean and at least as coherent.
_WESTERN = "cp1252"
_WESTERN_CHAOS_MARGIN = 0.1


def open_input(path: Path) -> BinaryIO:
    """The file opened for reading bytes, through gunzip when it ends in .gz."""
    try:
        if path.suffix.lower() == ".gz":
            return gzip.open(path, "rb")
        return path.open("rb")
    except OSError as exc:
        raise InputError(str(path), f"cannot read the file ({exc.strerror or exc})",
                         hint="Check that it exists and is readable.") from exc


def read_bytes(path: Path, *, limit: int = MAX_INPUT_BYTES, setting: str | None = None) -> bytes:
    """The file's bytes, gunzipped when it ends in .gz; at most ``limit`` bytes (``setting`` raises it)."""
    try:
        with open_input(path) as handle:
            data = handle.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise InputError(str(path), f"cannot read the file ({reason})",
                         hint="Check that it exists, is readable and, for .gz, is not truncated.") from exc
    if len(data) > limit:
        hint = f"Raise the {setting} setting to import it." if setting else "Split it into smaller files."
        raise InputError(str(path), f"larger than {_size(limit)}", hint=hint)
    return data


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count} bytes"


def _declared_charset(data: bytes) -> str | None:
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace").lower()
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    if canonical.startswith(_IGNORED_DECLARATIONS):
        return None
    return _DECLARED_ALIASES.get(canonical, canonical)


def decode_text(data: bytes, origin: str, *, html: bool = False) -> str:
    """Decode ``data`` naming ``origin`` in errors; raises EmptyInputError or DecodeError.

    The text returned is never blank: a file of only a byte-order mark or of Unicode
    white space (no-break spaces) is as empty as a file of no bytes.
    """
    if not data.strip():
        raise EmptyInputError(origin, "the file is empty")
    text = _decode(data, origin, html=html)
    if not text.strip():
        raise EmptyInputError(origin, "the file holds only white space")
    return text


def _decode(data: bytes, origin: str, *, html: bool) -> str:
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
    return data.decode(_detected_encoding(data, origin), errors="replace")


def _detected_encoding(data: bytes, origin: str) -> str:
    matches = charset_normalizer.from_bytes(data[:1_000_000])
    best = matches.best()
    if best is None or best.encoding is None:
        raise DecodeError(origin, "the bytes are not text in any encoding Storyline can tell")
    for match in matches:
        if (
            match.encoding == _WESTERN
            and match.chaos <= best.chaos + _WESTERN_CHAOS_MARGIN
            and match.coherence >= best.coherence
        ):
            return _WESTERN
    return best.encoding
