"""feedparser's reading of a well-formed UTF-8 RSS 2.0, RSS 1.0 or Atom 1.0 document, faster.

feedparser reads XML through expat and Python SAX callbacks; about two thirds of its
time per item go to that plumbing, not to the rules it applies. Here lxml (a safe
parser: no DTD, no entities, no network, no huge trees) builds the tree, and the tree is
replayed as the SAX events expat would have sent (namespace declarations, elements with
their attributes, character data) into feedparser's own parser class. Every rule
feedparser applies (which element is the title, how a guid becomes a link, how xml:base
resolves, dates, authors, content types) is therefore feedparser's own code; the overrides
below only skip its work for things the documents accepted here cannot contain, and give
the same results.

:func:`read` accepts a document only when it is sure the result is feedparser's:

- UTF-8 (a UTF-8 byte-order mark is fine) as declared by the document and the HTTP
  charset alike, XML 1.0, no DOCTYPE (so no entities), well-formed for lxml and for
  expat (the parser feedparser uses, run here without callbacks to check);
- RSS 2.0, RSS 1.0 or Atom 1.0 by feedparser's own reckoning of the version;
- no markup inside text (inline XHTML content, HTML elements left unescaped in a
  description), no base64 content, no xlink namespace (feedparser treats its declaration
  as an attribute).

RSS 2.0 documents whose items are all a few plain elements have those items read straight
from the tree by ``storyline.parse.rssitems`` (with feedparser's rules for them); only the
rest of the document is replayed.

Anything else returns None and the caller runs feedparser itself. The equality is
checked by tests/test_parse_fastfeed.py, document by document, against feedparser.
"""

from __future__ import annotations

import contextlib
import re
import xml.parsers.expat
from typing import Any

from feedparser.api import StrictFeedParser
from feedparser.encodings import RE_XML_PI_ENCODING
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from feedparser.util import FeedParserDict
from lxml import etree

from storyline.parse import rssitems

__all__ = ["read"]

_BOM = b"\xef\xbb\xbf"
# How the start of a document in a wide encoding looks (with or without a BOM), and EBCDIC.
_WIDE_STARTS = (b"\xfe\xff", b"\xff\xfe", b"\x00", b"\x4c\x6f\xa7\x94")
_XLINK = b"http://www.w3.org/1999/xlink"
_FIRST_ELEMENT = re.compile(rb"<\w")
_VERSIONS = frozenset({"rss20", "rss10", "atom10"})
_XLINK_URI = _XLINK.decode()
_XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
# Elements startElementNS gives an "xmlns" attribute, which unknown_starttag then tracks.
_XMLNS_ADDED = frozenset({("math", "http://www.w3.org/1998/Math/MathML"), ("svg", "http://www.w3.org/2000/svg")})
_RELATIVE_URI_ELEMENTS = frozenset(_FeedParserMixin.can_be_relative_uri)
_AMPERSAND_ENTITY = re.compile("&([A-Za-z0-9_]+);")
# Keys FeedParserDict renames or computes: the overrides leave them to feedparser's code.
_MAPPED_KEYS = frozenset(FeedParserDict.keymap) | {"category", "enclosures", "license", "updated", "updated_parsed"}
feedparser_save = _FeedParserMixin._save
_CP1252_EXTRAS = re.compile("[" + "".join(sorted(chr(c) for c in _cp1252)) + "]")  # what feedparser's table maps


class _Unsupported(Exception):
    """The document holds something this reader does not replay exactly: feedparser must read it."""


class _TreeFeedParser(StrictFeedParser):  # type: ignore[misc]
    """feedparser's strict parser, fed from an lxml tree instead of expat.

    ``_element`` does what expat, xml.sax's ExpatParser, ``startElementNS``/``endElementNS``
    and ``unknown_starttag``/``unknown_endtag`` did for each element, with the names they
    compute cached per tag while no namespace is declared; ``pop``, ``push_content`` and
    ``_get_context`` are feedparser's, less the branches for features that are off
    (URI resolution in and sanitising of HTML) or refused here (base64, inline XHTML).
    Every element handler (``_start_title``, ``_end_guid``...) is feedparser's own.
    """

    def __init__(self, baseuri: str) -> None:
        super().__init__(baseuri, None, "utf-8")
        self.resolve_relative_uris = False
        self.sanitize_html = False
        self._start_names: dict[str, tuple[str, str, str]] = {}
        self._end_names: dict[str, tuple[str, str]] = {}
        self._joined: dict[tuple[str, str], str] = {}

    def replay(self, root: etree._Element, declarations_on_root_only: bool) -> None:
        for prefix, uri in root.nsmap.items():
            self.startPrefixMapping(prefix, uri)
        self._element(root, None if declarations_on_root_only else root.nsmap)

    def track_namespace(self, prefix: str | None, uri: str) -> None:
        if uri == _XLINK_URI:  # its declaration reaches the next element as an attribute
            raise _Unsupported("xlink")
        super().track_namespace(prefix, uri)
        self._start_names.clear()
        self._end_names.clear()

    # --- One element, as expat and feedparser's SAX handlers would have taken it ---------

    def _element(self, element: etree._Element, in_scope: dict[str | None, str] | None) -> None:
        if in_scope is not None and element.getparent() is not None:
            nsmap = element.nsmap
            for prefix, uri in nsmap.items():
                if in_scope.get(prefix) != uri:
                    self.startPrefixMapping(prefix, uri)
            in_scope = nsmap
        tag = element.tag
        opening = self._start_names.get(tag)
        if opening is None:
            opening = self._start_names[tag] = self._opening(tag)
        name, unknown_tag, start, resets_textinput, resets_image = opening
        attrs_d = self._attributes(element) if element.attrib else {}

        # unknown_starttag
        self.depth += 1
        if attrs_d:
            baseuri = attrs_d.get("xml:base", attrs_d.get("base")) or self.baseuri
            if self.baseuri:
                self.baseuri = self._safe_join(self.baseuri, baseuri) or self.baseuri
            else:
                self.baseuri = _urljoin(self.baseuri, baseuri)
            lang = attrs_d.get("xml:lang", attrs_d.get("lang"))
            if lang == "":
                lang = None
            elif lang is None:
                lang = self.lang
            if lang and name in ("feed", "rss", "rdf:RDF"):
                self.feeddata["language"] = lang.replace("_", "-")
            self.lang = lang
        else:  # neither base nor language of its own: the enclosing ones carry on
            if self.baseuri:
                self.baseuri = self._safe_join(self.baseuri, self.baseuri) or self.baseuri
            if self.lang and name in ("feed", "rss"):
                self.feeddata["language"] = self.lang.replace("_", "-")
        self.basestack.append(self.baseuri)
        self.langstack.append(self.lang)
        if self.incontent:  # markup inside text: inline XHTML, or HTML left unescaped
            raise _Unsupported(name)
        if resets_textinput:
            self.intextinput = 0
        if resets_image:
            self.inimage = 0
        try:
            if start is None:
                raise AttributeError(unknown_tag)
            start(self, attrs_d)
        except AttributeError:
            if not attrs_d:
                self.elementstack.append([unknown_tag, 1, []])
            else:
                self._get_context()[unknown_tag] = attrs_d

        stack = self.elementstack
        text = element.text
        if text and stack:
            stack[-1][2].append(text)
        for child in element:
            self._element(child, in_scope)
            text = child.tail
            if text and stack:
                stack[-1][2].append(text)

        # unknown_endtag
        closing = self._end_names.get(tag)
        if closing is None:
            closing = self._end_names[tag] = self._closing(tag)
        unknown_tag, end = closing
        try:
            if end is None:
                raise AttributeError(unknown_tag)
            end(self)
        except AttributeError:
            self.pop(unknown_tag)
        if self.incontent:
            raise _Unsupported(name)
        basestack = self.basestack
        basestack.pop()
        if basestack and basestack[-1]:
            self.baseuri = basestack[-1]
        langstack = self.langstack
        langstack.pop()
        if langstack:
            self.lang = langstack[-1]
        self.depth -= 1

    def _opening(self, tag: str) -> tuple[str, str, Any, bool, bool]:
        """For an element: unknown_starttag's name for it, its key when it has no handler, the
        handler, and whether it ends an image or text input ("special hack" in feedparser)."""
        name, prefix, suffix = self._names_opening(tag)
        unprefixed = not prefix
        return (name, prefix + suffix, getattr(type(self), "_start_" + prefix + suffix, None),
                unprefixed and name not in ("title", "link", "description", "name"),
                unprefixed and name not in ("title", "link", "description", "url", "href", "width", "height"))

    def _closing(self, tag: str) -> tuple[str, Any]:
        prefix, suffix = self._names_closing(tag)
        return prefix + suffix, getattr(type(self), "_end_" + prefix + suffix, None)

    def _names_opening(self, tag: str) -> tuple[str, str, str]:
        """The name startElementNS gives unknown_starttag, and its split into handler prefix and suffix."""
        namespace, local = _split(tag)
        lowernamespace = (namespace or "").lower()
        if lowernamespace.find("backend.userland.com/rss") != -1:
            namespace = lowernamespace = "http://backend.userland.com/rss"
        prefix = self._matchnamespaces.get(lowernamespace)
        localname = local.lower()
        if (localname, namespace) in _XMLNS_ADDED:  # startElementNS gives these an xmlns attribute
            raise _Unsupported(localname)
        if prefix:
            localname = prefix.lower() + ":" + localname
        elif namespace:
            localname = self._prefixed(namespace, localname)
        localname = localname.lower()
        return (localname, *self._handler_parts(localname))

    def _names_closing(self, tag: str) -> tuple[str, str]:
        """endElementNS's name for the element (it computes it a little differently), split as unknown_endtag does."""
        namespace, local = _split(tag)
        prefix = self._matchnamespaces.get((namespace or "").lower(), "")
        if prefix:
            localname = prefix + ":" + local
        elif namespace:
            localname = self._prefixed(namespace, local)
        else:
            localname = local
        return self._handler_parts(localname.lower())

    def _prefixed(self, namespace: str, localname: str) -> str:
        for name, value in self.namespaces_in_use.items():
            if name and value == namespace:
                return name + ":" + localname
        return localname

    def _handler_parts(self, tag: str) -> tuple[str, str]:
        if tag.find(":") != -1:
            prefix, suffix = tag.split(":", 1)
        else:
            prefix, suffix = "", tag
        prefix = self.namespacemap.get(prefix, prefix)
        return (prefix + "_" if prefix else ""), suffix

    def _attributes(self, element: etree._Element) -> dict[str, str]:
        """The attributes as unknown_starttag's ``attrs_d``, built as startElementNS and expat's reader build them.

        Each attribute goes in under its name with feedparser's prefix for a namespace it
        knows (none for others), then again under its name as written ("ex:url"), which
        expat reports as the qualified name.
        """
        attrs: dict[str, str] = {}
        qualified: list[tuple[str, str]] = []
        for key, value in element.attrib.items():
            if key[0] == "{":
                namespace, local = _split(key)
                prefix = self._matchnamespaces.get((namespace or "").lower(), "")
                attrs[(prefix + ":" + local if prefix else local).lower()] = value
                qualified.append((_written_prefix(element, namespace) + ":" + local, value))
            else:
                attrs[key.lower()] = value
                qualified.append((key, value))
        for qname, value in qualified:
            attrs[qname.lower()] = value
        for key in ("rel", "type"):
            if key in attrs:
                attrs[key] = attrs[key].lower() or attrs[key]
        return attrs

    def _safe_join(self, base: str, uri: str) -> str:
        joined = self._joined.get((base, uri))
        if joined is None:
            joined = self._joined[base, uri] = make_safe_absolute_uri(base, uri)
        return joined

    # --- feedparser's own, less what cannot happen here -------------------------------------

    def _get_context(self) -> Any:
        if self.insource:
            return self.sourcedata
        if self.inimage and dict.__contains__(self.feeddata, "image"):
            return self.feeddata["image"]
        if self.intextinput:
            return self.feeddata["textinput"]
        if self.inentry:
            return self.entries[-1]
        return self.feeddata

    def push_content(self, tag: str, attrs_d: dict[str, str], default_content_type: str, expecting_text: int) -> None:
        self.incontent += 1
        if self.lang:
            self.lang = self.lang.replace("_", "-")
        self.contentparams = FeedParserDict({
            "type": self.map_content_type(attrs_d.get("type", default_content_type)),
            "language": self.lang,
            "base": self.baseuri})
        base64 = self.contentparams["base64"] = self._is_base64(attrs_d, self.contentparams)
        if base64 or dict.__getitem__(self.contentparams, "type") == "application/xhtml+xml":
            raise _Unsupported(tag)
        self.elementstack.append([tag, expecting_text, []])

    def _save(self, key: str, value: Any, overwrite: bool = False) -> None:
        context = self._get_context()
        if overwrite or key in _MAPPED_KEYS:
            feedparser_save(self, key, value, overwrite)
        else:  # FeedParserDict.setdefault, for a key it neither renames nor computes
            dict.setdefault(context, key, value)

    def _start_description(self, attrs_d: dict[str, str]) -> None:
        context = self._get_context()
        if dict.__contains__(context, "summary") and not self.hasContent:
            self._summaryKey = "content"
            self._start_content(attrs_d)
        else:
            self.push_content("description", attrs_d, "text/html", self.infeed or self.inentry or self.insource)

    def _add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        context = self._get_context()
        tags = dict.setdefault(context, "tags", [])
        if (not term) and (not scheme) and (not label):
            return
        value = FeedParserDict(term=term, scheme=scheme, label=label)
        if value not in tags:
            tags.append(value)

    def _end_guid(self) -> None:
        value = self.pop("id")
        self._save("guidislink", self.guidislink and not dict.__contains__(self._get_context(), "link"))
        if self.guidislink:
            # guid acts as link, but only if 'ispermalink' is not present or is 'true',
            # and only if the item doesn't already have a link element
            self._save("link", value)

    _end_id = _end_guid

    def pop(self, element: str, strip_whitespace: int = 1) -> str | None:
        stack = self.elementstack
        if not stack or stack[-1][0] != element:
            return None
        element, expecting_text, pieces = stack.pop()
        # (No bytes among the pieces, no inline XHTML to unwrap: neither reaches this reader.)
        output = "".join(pieces)
        if strip_whitespace:
            output = output.strip()
        if not expecting_text:
            return output
        # (No base64: refused in push_content.)
        if element in _RELATIVE_URI_ELEMENTS and output and (element != "id" or self.guidislink):
            output = _urljoin(self.baseuri or "", output)
        contentparams = self.contentparams
        if not self.version.startswith("atom") and dict.get(contentparams, "type") == "text/plain" \
                and self.looks_like_html(output):
            contentparams["type"] = "text/html"
        contentparams.pop("mode", None)
        contentparams.pop("base64", None)
        # (URIs in HTML are not resolved, HTML is not sanitised: both are off.)
        output = repaired(output)
        if element in ("category", "tags", "itunes_keywords"):
            return output
        if element == "title" and -1 < self.title_depth <= self.depth:
            return output
        if self.inentry and not self.insource:
            entry = self.entries[-1]
            if element == "content":
                entry.setdefault(element, [])
                details = FeedParserDict(contentparams)  # feedparser's deepcopy: the values are immutable
                details["value"] = output
                entry[element].append(details)
            elif element == "link":
                if not self.inimage:
                    output = output.replace("&amp;", "&")
                    output = _AMPERSAND_ENTITY.sub(r"&\g<1>", output)
                    entry[element] = output
                    if output:
                        entry["links"][-1]["href"] = output
            else:
                if element == "description":
                    element = "summary"
                depths = self.property_depth_map.setdefault(entry, {})
                old_value_depth = depths.get(element)
                if old_value_depth is None or self.depth <= old_value_depth:
                    depths[element] = self.depth
                    entry[element] = output
                if self.incontent:
                    details = FeedParserDict(contentparams)
                    details["value"] = output
                    entry[element + "_detail"] = details
        elif self.infeed or self.insource:
            context = self._get_context()
            if element == "description":
                element = "subtitle"
            context[element] = output
            if element == "link":
                output = _AMPERSAND_ENTITY.sub(r"&\g<1>", output)
                context[element] = output
                context["links"][-1]["href"] = output
            elif self.incontent:
                details = FeedParserDict(contentparams)
                details["value"] = output
                context[element + "_detail"] = details
        return output


def repaired(output: str) -> str:
    """feedparser's repair of every value: UTF-8 read as ISO-8859-1, then Windows-1252's extra characters."""
    if not output.isascii():
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            output = output.encode("iso-8859-1").decode("utf-8")
        if _CP1252_EXTRAS.search(output):
            output = output.translate(_cp1252)
    return output


def _written_prefix(element: etree._Element, namespace: str | None) -> str:
    """The prefix an attribute in ``namespace`` was written with (lxml keeps only the namespace)."""
    if namespace == _XML_NAMESPACE:
        return "xml"
    prefixes = [prefix for prefix, uri in element.nsmap.items() if uri == namespace and prefix]
    if len(prefixes) != 1:  # two prefixes for one namespace: which one it was is lost
        raise _Unsupported(f"attribute prefix for {namespace}")
    return prefixes[0]


def _split(tag: str) -> tuple[str | None, str]:
    """lxml's "{namespace}local" as (namespace, local); (None, local) without a namespace."""
    if tag[0] == "{":
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


def read(content: bytes, *, http_charset: str | None, baseuri: str) -> dict[str, Any] | None:
    """What ``feedparser.parse`` returns for ``content``, or None when unsure (see the module docstring).

    ``http_charset`` is the charset the server declared (None when it gave none) and
    ``baseuri`` the Content-Location feedparser is given ("" for none).
    """
    if http_charset is not None and http_charset.lower() != "utf-8":
        return None
    data = content.removeprefix(_BOM)
    if data.startswith(_WIDE_STARTS) or _XLINK in data:
        return None
    declared = RE_XML_PI_ENCODING.match(data)
    if declared is not None and declared.group(1).lower() != b"utf-8":
        return None
    first = _FIRST_ELEMENT.search(data)
    if first is None or b"<!DOCTYPE" in data[: first.start()] or b"<!ENTITY" in data[: first.start()]:
        return None
    try:
        expat = xml.parsers.expat.ParserCreate(None, " ")
        expat.Parse(data, True)
    except xml.parsers.expat.ExpatError:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True, strip_cdata=True, collect_ids=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError):
        return None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.xml_version != "1.0" \
            or (info.encoding or "").lower() != "utf-8":
        return None
    # Simple RSS 2.0 items are read straight from the tree (rssitems), the rest is replayed.
    simple = None if baseuri else rssitems.simple_entries(root, repaired)
    if simple is not None:
        channel, items, entries = simple
        for item in items:
            channel.remove(item)
    reader = _TreeFeedParser(baseuri)
    try:
        reader.replay(root, data.count(b"xmlns") == len(root.nsmap))
    except Exception:  # noqa: BLE001 - _Unsupported, or whatever feedparser would also have met: it decides
        return None
    if reader.version not in _VERSIONS or (simple is not None and reader.version != "rss20"):
        return None
    return FeedParserDict(bozo=False, entries=entries if simple is not None else reader.entries,
                          feed=reader.feeddata, headers={}, encoding="utf-8", version=reader.version,
                          namespaces=reader.namespaces_in_use)
