"""The entities stage: the people, organisations and places an article names, merged and typed.

Rules over the text with gazetteers (``lexicon``), no statistical model: it was chosen by
measurement over spaCy's ``en_core_web_sm`` 3.8.0 (see ``docs/entities.md``): on the GUM news
fit part the rules find typed names about as well, and spaCy's tagger and NER ran at 4-6
articles a second on this kind of machine, against the >= 100 articles/s ingest must keep.

Per article, in order: name mentions (``mentions``), merged into entities and typed
(``merge``), each entity named by its fullest spelling. ``tag_entities`` is the stage
(``pipeline.ARTICLE_STAGES``): pure, run where the article is prepared (a worker process).
Entities across articles are merged where they are stored (``storyline.ingest.entities``).
"""

from __future__ import annotations

import dataclasses

from storyline.entities.lexicon import Lexicon, lexicon, name_key
from storyline.entities.mentions import Mention, find_mentions
from storyline.entities.merge import Cluster, add_nested, merge_mentions
from storyline.types import Article, ArticleEntity

__all__ = ["MAX_CHARS", "Analysis", "analyse", "find_entities", "lexicon", "name_key", "tag_entities"]

# Text past this many characters is not read for names: a page that is megabytes of text is
# not an article, and the stage must stay fast whatever it is given.
MAX_CHARS = 100_000


@dataclasses.dataclass(frozen=True, slots=True)
class Analysis:
    """Mentions and entities of one text (``title``, a blank line, ``text``), for the stage and the gate."""

    document: str
    body_offset: int  # where ``text`` starts in ``document``
    mentions: tuple[Mention, ...]
    clusters: tuple[Cluster, ...]

    def cluster_of(self, mention: Mention) -> Cluster:
        return self.clusters[mention.entity]


def analyse(title: str, text: str, lex: Lexicon | None = None) -> Analysis:
    """Find and merge the names of one article."""
    lex = lex or lexicon()
    title = (title or "").strip()[:1_000]
    body = (text or "")[:MAX_CHARS]
    document = f"{title}\n\n{body}" if title else body
    offset = len(title) + 2 if title else 0
    mentions = find_mentions(document, lex, headline_end=len(title))
    clusters = merge_mentions(mentions, lex, document)
    nested = add_nested(clusters, lex)
    if nested:
        mentions = sorted([*mentions, *nested], key=lambda m: (m.start, -m.end))
    for index, cluster in enumerate(clusters):  # number the entities as they are listed
        for m in cluster.mentions:
            m.entity = index
    return Analysis(document, offset, tuple(mentions), tuple(clusters))


def find_entities(title: str, text: str, lex: Lexicon | None = None) -> tuple[ArticleEntity, ...]:
    """The entities of one article, most mentioned first (spans are offsets into ``text``)."""
    analysis = analyse(title, text, lex)
    entities = []
    for cluster in analysis.clusters:
        name = cluster.name
        aliases = tuple(dict.fromkeys(m.text[4:] if m.text[:4].lower() == "the " else m.text
                                      for m in cluster.mentions))
        spans = tuple((m.start - analysis.body_offset, m.end - analysis.body_offset)
                      for m in cluster.mentions if m.start >= analysis.body_offset)
        entities.append(ArticleEntity(name=name, type=cluster.type,
                                      aliases=tuple(a for a in aliases if a != name),
                                      mentions=len(cluster.mentions), tied_to=cluster.tied_to, spans=spans))
    entities.sort(key=lambda e: (-e.mentions, e.spans[0][0] if e.spans else -1))
    return tuple(entities)


def tag_entities(article: Article) -> Article:
    """The entities stage: ``article`` with its entities."""
    return dataclasses.replace(article, entities=find_entities(article.title, article.text))

