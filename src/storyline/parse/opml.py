"""OPML subscription lists: read one into entries, write entries out as OPML 2.0.

Folders are outlines without an ``xmlUrl`` that hold other outlines; an entry's folder is
the path of their titles joined with ``/`` (``"News/Europe"``). Writing splits the path
again, so a folder title that itself contains ``/`` comes back as two nested folders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from storyline.errors import FeedParseError

__all__ = ["OpmlEntry", "OpmlList", "parse_opml", "read_opml", "write_opml"]

_FOLDER_SEPARATOR = "/"
# What XML 1.0 cannot hold (control characters, lone surrogates); lxml refuses such text.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class OpmlEntry:
    """One subscription: the feed's URL, its title and site, and the folder it is filed in."""

    url: str
    title: str | None = None
    site_url: str | None = None
    folder: str | None = None  # nested folders joined with "/"; None at the top level
    line: int | None = field(default=None, compare=False)  # where in the file, for messages


@dataclass(frozen=True, slots=True)
class OpmlList:
    """What an OPML file holds: its subscriptions, and each outline that could not be taken, by line."""

    entries: list[OpmlEntry]
    problems: list[tuple[int | None, str]]  # (line, what is wrong); the line is None for the whole file


# Read tag by tag when the file is not well-formed XML: one outline's damage (an unescaped &,
# an entity defined in the file, a missing quote) stays that outline's.
_OUTLINE_TAG = re.compile(r"<outline\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>|</outline\s*>", re.I)
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")
_ENTITY_REFERENCE = re.compile(r"&([A-Za-z_][\w.-]*);")
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_MARK = "\ue000"  # stands for an entity reference that is not expanded (a private-use character)


def parse_opml(content: bytes, *, origin: str) -> list[OpmlEntry]:
    """The subscriptions in an OPML file, in document order (see ``read_opml``; problems dropped)."""
    return read_opml(content, origin=origin).entries


def read_opml(content: bytes, *, origin: str) -> OpmlList:
    """The subscriptions in an OPML file, in document order (duplicates kept: the caller decides),
    and every outline not taken, by line.

    Outlines without an ``xmlUrl`` are folders; those holding no subscription are ignored.
    A title that only repeats the URL counts as no title. A file that is not well-formed XML
    is read outline by outline: what one broken outline cannot give is reported, its siblings
    are kept, and nothing is silently changed (an unescaped ``&`` is read as the ``&`` it meant,
    and said so). Raises FeedParseError when ``content`` is not OPML.
    """
    try:
        root = etree.fromstring(content, _strict_parser())
    except etree.XMLSyntaxError as exc:
        return _read_tag_by_tag(content, origin, f"not well-formed XML at line {exc.lineno} ({exc.msg})")
    except ValueError as exc:  # lxml refuses some inputs outright (e.g. only a BOM)
        raise FeedParseError(origin, f"not XML ({exc})") from exc
    if root is None or _local(root) != "opml":
        name = _local(root) if root is not None else "nothing"
        raise FeedParseError(origin, f"not an OPML file (the document is <{name}>, not <opml>)",
                             hint="Export your subscriptions from your feed reader as OPML.")
    body = next((child for child in _children_named(root, "body")), None)
    if body is None:
        raise FeedParseError(origin, "an OPML file without a <body>",
                             hint="The file may be cut short; export it again.")
    problems: list[tuple[int | None, str]] = []
    entries = list(_entries(body, (), problems))
    return OpmlList(entries, problems)


def _strict_parser() -> etree.XMLParser:
    # No entity expanded, no DTD loaded, nothing fetched: billion laughs and XXE stay inert.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True)


def _read_tag_by_tag(content: bytes, origin: str, damage: str) -> OpmlList:
    text = content.decode("utf-8", errors="replace")
    if "<" not in text:
        raise FeedParseError(origin, f"not XML ({damage})")
    if not re.search(r"<opml\b", text, re.I):
        raise FeedParseError(origin, f"not an OPML file ({damage})",
                             hint="Export your subscriptions from your feed reader as OPML.")
    problems: list[tuple[int | None, str]] = [(None, f"{damage}; read outline by outline")]
    entries: list[OpmlEntry] = []
    folders: list[str | None] = []  # the open outlines: a folder's title, None for a feed with children
    for match in _OUTLINE_TAG.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        tag = match.group()
        if tag.startswith("</"):
            if folders:
                folders.pop()
            continue
        closed = tag.rstrip("> \t\r\n").endswith("/")
        attributes = _tag_attributes(tag if closed else tag[:-1] + "/>", line, problems)
        if attributes is None:
            if not closed:
                folders.append(None)
            continue
        title = attributes.get("title") or attributes.get("text")
        url = attributes.get("xmlurl")
        if url:
            folder = _FOLDER_SEPARATOR.join(f for f in folders if f) or None
            entries.append(OpmlEntry(url=url, title=title if title != url else None,
                                     site_url=attributes.get("htmlurl"), folder=folder, line=line))
        if not closed:
            folders.append(None if url else title)
    return OpmlList(entries, problems)


def _tag_attributes(tag: str, line: int, problems: list[tuple[int | None, str]]) -> dict[str, str] | None:
    """One outline tag's attributes (names lower-cased, values stripped), or None with the problem noted.

    An entity the file defines itself is never expanded (billion laughs, external files): an
    attribute that uses one is dropped, and an outline whose feed URL uses one is not taken.
    """
    marked = _ENTITY_REFERENCE.sub(lambda m: m.group() if m.group(1) in _PREDEFINED else _MARK, tag)
    repaired = _BARE_AMPERSAND.sub("&amp;", marked)
    try:
        element = etree.fromstring(repaired.encode("utf-8"), _strict_parser())
    except etree.XMLSyntaxError as exc:
        problems.append((line, f"an outline that cannot be read ({exc.msg}), not taken"))
        return None
    attributes = {name.lower(): value.strip() for name, value in element.attrib.items() if value.strip()}
    entity_named = sorted(name for name, value in attributes.items() if _MARK in value)
    if "xmlurl" in entity_named:
        problems.append((line, "an outline whose feed URL uses an entity defined in the file, not taken"))
        return None
    if entity_named:
        for name in entity_named:
            del attributes[name]
        problems.append((line, f"the {', '.join(entity_named)} of {attributes.get('xmlurl') or 'a folder'} used an "
                               "entity defined in the file, dropped"))
    if _BARE_AMPERSAND.search(marked):
        problems.append((line, f"an unescaped & in the outline of {attributes.get('xmlurl') or 'a folder'}, "
                               "read as a plain &"))
    return attributes


def write_opml(entries: Iterable[OpmlEntry], *, title: str = "Storyline subscriptions") -> str:
    """``entries`` as an OPML 2.0 document, folders as nested outlines, in the order given."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml_safe(title)
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], etree._Element] = {(): body}
    for entry in entries:
        parent = _folder_outline(folders, _folder_path(entry.folder))
        attributes = {"type": "rss", "text": _xml_safe(entry.title or entry.url)}
        if entry.title:
            attributes["title"] = _xml_safe(entry.title)
        attributes["xmlUrl"] = _xml_safe(entry.url)
        if entry.site_url:
            attributes["htmlUrl"] = _xml_safe(entry.site_url)
        etree.SubElement(parent, "outline", attributes)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode", pretty_print=True)


def _entries(parent: etree._Element, folder: tuple[str, ...],
             problems: list[tuple[int | None, str]]) -> Iterator[OpmlEntry]:
    for outline in _children_named(parent, "outline"):
        attributes = {name.lower(): value.strip() for name, value in outline.attrib.items() if value.strip()}
        title = attributes.get("title") or attributes.get("text")
        url = attributes.get("xmlurl")
        if url:
            yield OpmlEntry(
                url=url,
                title=title if title != url else None,
                site_url=attributes.get("htmlurl"),
                folder=_FOLDER_SEPARATOR.join(folder) or None,
                line=outline.sourceline,
            )
            yield from _entries(outline, folder, problems)  # rare, but some readers nest items under a feed
        else:
            if _has_entity_reference(outline):
                problems.append((outline.sourceline, "an outline using entities defined in the file, not taken"))
            yield from _entries(outline, (*folder, title) if title else folder, problems)


def _has_entity_reference(outline: etree._Element) -> bool:
    return any(isinstance(child, etree._Entity) for child in outline.iter())


def _children_named(parent: etree._Element, name: str) -> Iterator[etree._Element]:
    """Child elements called ``name``, whatever their namespace or case."""
    return (child for child in parent if isinstance(child.tag, str) and _local(child).lower() == name)


def _folder_path(folder: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (folder or "").split(_FOLDER_SEPARATOR) if part.strip())


def _folder_outline(folders: dict[tuple[str, ...], etree._Element], path: tuple[str, ...]) -> etree._Element:
    """The outline for folder ``path``, created (with its parents) the first time it is needed."""
    if path not in folders:
        parent = _folder_outline(folders, path[:-1])
        name = _xml_safe(path[-1])
        folders[path] = etree.SubElement(parent, "outline", text=name, title=name)
    return folders[path]


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)
