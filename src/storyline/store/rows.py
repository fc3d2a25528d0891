"""Mapping between the types and the articles table's rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from storyline.types import Article, StoredArticle


def article_values(article: Article) -> dict[str, Any]:
    return {
        "canonical_url": article.canonical_url,
        "url": article.url,
        "title": article.title,
        "text": article.text,
        "content_hash": article.content_hash,
        "outlet": article.outlet,
        "published_at": article.published,
        "authors": list(article.authors),
        "language": article.language,
        "word_count": article.word_count,
        "is_sample": article.is_sample,
        "licence": article.licence,
        "description": article.description,
        "modified_at": article.modified,
        "image": article.image,
        "body_html": article.body_html,
        "credits": list(article.credits),
        "dateline": article.dateline,
    }


def stored_article(row: Row[Any]) -> StoredArticle:
    m = row._mapping
    return StoredArticle(
        id=m["id"],
        canonical_url=m["canonical_url"],
        url=m["url"],
        title=m["title"],
        text=m["text"],
        content_hash=m["content_hash"],
        outlet=m["outlet"],
        published=m["published_at"],
        authors=tuple(m["authors"] or ()),
        language=m["language"],
        word_count=m["word_count"],
        is_sample=bool(m["is_sample"]),
        licence=m["licence"],
        source_id=m["source_id"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        description=m["description"],
        modified=m["modified_at"],
        image=m["image"],
        body_html=m["body_html"],
        credits=tuple(m["credits"] or ()),
        dateline=m["dateline"],
    )
