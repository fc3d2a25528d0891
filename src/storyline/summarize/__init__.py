"""The summaries stage: cited story summaries, article key points, story timelines; optional LLM; ask a story.

- ``sentences``: an article's sentences, with offsets into its clean text (citations point there);
- ``terms``: sentences as term counts, one matrix per article, cached by the stored stage;
- ``matrix``: a story's sentences stacked; centrality, support across outlets, copy groups;
- ``summary``: the extractive summary (3-6 sentences, or up to N words), each sentence citing
  its own place and the other outlets' sentences that state it;
- ``timeline``: what each report added against earlier coverage;
- ``support``: whether a sentence is supported by the sentences it cites (the LLM's check);
- ``llm``: an abstractive summary from any OpenAI-compatible endpoint, kept only where checked;
- ``ask``: the sentences of a story that answer a question, or "I don't know".

``tag_key_points`` is the per-article part (``pipeline.ARTICLE_STAGES``): pure, it needs only
the article. The story parts run in the stored stage (``ingest.summaries``) and in
``storyline summarize``, on the same functions.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from storyline.summarize.matrix import Report, StoryMatrix
from storyline.summarize.sentences import Sentence, split_sentences, usable
from storyline.summarize.summary import WEIGHTS, SummaryWeights, choose, sentences_of, summarize_reports
from storyline.summarize.terms import ArticleTerms, Vocabulary, analyse
from storyline.summarize.timeline import timeline
from storyline.types import Article, Citation, SummarySentence

__all__ = [
    "KEY_POINT_CHARS",
    "WEIGHTS",
    "ArticleTerms",
    "Report",
    "Sentence",
    "SummaryWeights",
    "Vocabulary",
    "analyse",
    "cited",
    "key_points",
    "split_sentences",
    "summarize_reports",
    "tag_key_points",
    "timeline",
    "usable",
]

KEY_POINTS = 3
# Key points are looked for in this much of an article (the rest adds time, seldom a point).
KEY_POINT_CHARS = 20_000

_VOCABULARY = Vocabulary()  # the process's: key points run in ingest's worker processes


def key_points(text: str, *, title: str = "", article: int | str = "", vocabulary: Vocabulary | None = None
               ) -> tuple[SummarySentence, ...]:
    """An article's three key points: its most central sentences, no two alike, in the article's order.

    Each cites its sentence; ``article`` names the article in the citation ("" before it is stored).
    A sentence that only repeats ``title`` (texts often start with their headline) is no point.
    """
    terms = analyse((text or "")[:KEY_POINT_CHARS], vocabulary or _VOCABULARY)
    headline = _plain(title)
    if headline:
        repeats = np.array([_plain(s.text).startswith(headline) for s in terms.sentences], bool)
        if repeats.any():
            terms = dataclasses.replace(terms, usable=terms.usable & ~repeats)
    matrix = StoryMatrix([Report(article, None, terms)])
    chosen = choose(matrix, max_sentences=KEY_POINTS, min_sentences=KEY_POINTS)
    return sentences_of(matrix, [(row, ()) for row, _ in chosen])


def tag_key_points(article: Article) -> Article:
    """The per-article part of the summaries stage: ``article`` with its key points."""
    return dataclasses.replace(article, key_points=key_points(article.text, title=article.title))


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def cited(point: SummarySentence, article_id: int | str) -> SummarySentence:
    """``point`` with its citations naming ``article_id`` where they named "this article"."""
    return SummarySentence(point.text, tuple(Citation(article_id, c.sentence, c.start, c.end, c.text)
                                             if c.article == "" else c for c in point.cites))
