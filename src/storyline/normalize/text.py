"""Text clean-up and the content hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Other ways of breaking a line or a paragraph (vertical tab, next line, Unicode line and
# paragraph separators, form feed as a page break): dropping them would glue words together.
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x85\u2028]")
_PARAGRAPH_BREAKS = re.compile(r"[\x0c\u2029]")
_WORD = re.compile(r"\w+")


def clean_text(text: str) -> str:
    """NFC text with paragraphs separated by one blank line and spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    text = _PARAGRAPH_BREAKS.sub("\n\n", _LINE_BREAKS.sub("\n", text))
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_SPACES.sub(" ", line).strip() for line in block.split("\n")]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def clean_line(text: str) -> str:
    """One line of text (a title): whitespace collapsed, no line breaks."""
    return _SPACES.sub(" ", clean_text(text).replace("\n", " ")).strip()


def words(text: str) -> list[str]:
    """The word tokens of ``text``, lower-cased."""
    return _WORD.findall(text.lower())


def content_hash(text: str) -> str:
    """SHA-256 of the words of ``text``: the same article with other spacing or case hashes equal."""
    return hashlib.sha256(" ".join(words(text)).encode("utf-8")).hexdigest()
