"""Extract stage: a raw item (HTML page, text, scraped aggregator page) into an article."""

from storyline.extract.article import extract_article
from storyline.extract.page import extract_page
from storyline.extract.textdump import extract_text_dump, looks_like_text_dump

__all__ = ["extract_article", "extract_page", "extract_text_dump", "looks_like_text_dump"]
