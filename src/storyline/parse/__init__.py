"""Parse stage: inputs (local files, feeds, sitemaps, OPML) into raw items."""

from storyline.parse.feeds import COMMON_FEED_PATHS, discover_feed_links, looks_like_feed, parse_feed
from storyline.parse.files import SUPPORTED_SUFFIXES, find_input_files, read_file
from storyline.parse.opml import OpmlEntry, OpmlList, parse_opml, read_opml, write_opml
from storyline.parse.sitemaps import is_sitemap_index, parse_sitemap, parse_sitemap_index

__all__ = [
    "COMMON_FEED_PATHS",
    "SUPPORTED_SUFFIXES",
    "OpmlEntry",
    "OpmlList",
    "discover_feed_links",
    "find_input_files",
    "is_sitemap_index",
    "looks_like_feed",
    "parse_feed",
    "parse_opml",
    "parse_sitemap",
    "parse_sitemap_index",
    "read_file",
    "read_opml",
    "write_opml",
]
