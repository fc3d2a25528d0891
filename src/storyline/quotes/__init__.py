"""The quotes stage: direct quotes and who said them, the speaker resolved to one of the article's entities.

Quotes are found by their marks (``spans``), then attributed (``speakers``). ``tag_quotes``
is the stage (``pipeline.ARTICLE_STAGES``): pure, run after the entities stage, whose entities
(and where the text names them) it reads.
"""

from __future__ import annotations

import dataclasses
import re

from storyline.quotes.spans import QuoteSpan, find_quote_spans
from storyline.quotes.speakers import attribute, same_speaker
from storyline.types import Article, ArticleEntity, Quote

__all__ = ["MAX_CHARS", "find_quotes", "same_speaker", "tag_quotes"]

# Quotes are looked for in this much of the text: past it, a page is not an article.
MAX_CHARS = 100_000
_CONTINUATION_MARK = re.compile(r"\n\s*[\"“'‘«]")


def find_quotes(text: str, entities: tuple[ArticleEntity, ...] = ()) -> tuple[Quote, ...]:
    """The direct quotes of ``text`` with their speakers (``entities`` as the entities stage found them)."""
    text = (text or "")[:MAX_CHARS]
    spans: list[QuoteSpan] = find_quote_spans(text)
    quotes = []
    for span, who in zip(spans, attribute(text, spans, entities), strict=True):
        # the comma before the attribution ("...,' he said") is the sentence's, not the speaker's
        words = _CONTINUATION_MARK.sub("\n\n", text[span.start:span.end]).strip().rstrip(",").rstrip()
        quotes.append(Quote(words, who.speaker, who.as_written, span.start, span.end))
    return tuple(quotes)


def tag_quotes(article: Article) -> Article:
    """The quotes stage: ``article`` with its quotes (after the entities stage)."""
    return dataclasses.replace(article, quotes=find_quotes(article.text, article.entities))
