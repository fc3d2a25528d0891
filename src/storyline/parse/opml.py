"""OPML subscription lists: read one into entries, write entries out as OPML 2.0.

Folders are outlines without an ``xmlUrl`` that hold other outlines; an entry's folder is
the path of their titles joined with ``/`` (``"News/Europe"``). Writing splits the path
again, so a folder title that itself contains ``/`` comes back as two nested folders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from storyline.errors import FeedParseError
from storyline.parse.sitemaps import read_xml

__all__ = ["OpmlEntry", "parse_opml", "write_opml"]

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


def parse_opml(content: bytes, *, origin: str) -> list[OpmlEntry]:
    """The subscriptions in an OPML file, in document order (duplicates kept: the caller decides).

    Outlines without an ``xmlUrl`` are folders; those holding no subscription are ignored.
    A title that only repeats the URL counts as no title. Raises FeedParseError when
    ``content`` is not OPML.
    """
    root, _ = read_xml(content, origin=origin)
    if _local(root) != "opml":
        raise FeedParseError(origin, f"not an OPML file (the document is <{_local(root)}>, not <opml>)",
                             hint="Export your subscriptions from your feed reader as OPML.")
    body = next((child for child in _children_named(root, "body")), None)
    if body is None:
        raise FeedParseError(origin, "an OPML file without a <body>",
                             hint="The file may be cut short; export it again.")
    return list(_entries(body, ()))


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


def _entries(parent: etree._Element, folder: tuple[str, ...]) -> Iterator[OpmlEntry]:
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
            )
            yield from _entries(outline, folder)  # rare, but some readers nest items under a feed
        else:
            yield from _entries(outline, (*folder, title) if title else folder)


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
