"""Entities and quotes in the store (SQLite and PostgreSQL alike), and the stored stage joining articles' entities."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from storyline.config import Settings
from storyline.entities import find_entities
from storyline.ingest.entities import EntityStage, entity_keys
from storyline.ingest.items import NewArticle
from storyline.ingest.runner import Ingest
from storyline.quotes import find_quotes
from storyline.store import SQLStore
from storyline.types import Article, ArticleEntity, EntityLink, EntityType, Quote, RawItem, StoryLink

T0 = datetime(2025, 8, 7, 12, 0, tzinfo=UTC)


def analysed(n: int, title: str, text: str) -> Article:
    entities = find_entities(title, text)
    return Article(canonical_url=f"https://news.example/{n}", url=None, title=title, text=text,
                   content_hash=f"h{n}-{len(text)}", published=T0 + timedelta(minutes=n), word_count=len(text.split()),
                   entities=entities, quotes=find_quotes(text, entities))


def stored(store: SQLStore, *articles: Article) -> list[NewArticle]:
    results = store.upsert_articles(list(articles))
    return [NewArticle(r.article_id, a) for r, a in zip(results, articles, strict=True)]


def link(name: str, kind: EntityType = EntityType.PERSON, entity_id: int | None = None,
         **changes: object) -> EntityLink:
    entity = dataclasses.replace(ArticleEntity(name, kind), **changes)
    return EntityLink(entity_id, entity, entity_keys(entity))


def test_an_articles_entities_and_quotes_are_stored_and_replaced(store: SQLStore) -> None:
    [article] = stored(store, analysed(1, "t", "x"))
    quote = Quote("We will win", "Vladimir Putin", "Putin", 0, 11)
    [[putin, moscow]] = store.save_article_entities([
        (article.article_id, [link("Vladimir Putin", mentions=3, aliases=("Putin",)),
                              link("Moscow", EntityType.PLACE)], [quote])])
    assert [(e.name, e.mentions) for e in store.article_entities(article.article_id)] == [("Vladimir Putin", 3),
                                                                                         ("Moscow", 1)]
    assert store.article_entities(article.article_id)[0].aliases == ("Putin",)
    [saved] = store.article_quotes(article.article_id)
    assert (saved.text, saved.speaker, saved.entity_id) == ("We will win", "Vladimir Putin", putin)
    # analysed again: the article's rows are replaced, the entities stay
    store.save_article_entities([(article.article_id, [link("Moscow", EntityType.PLACE, moscow)], [])])
    assert [e.id for e in store.article_entities(article.article_id)] == [moscow]
    assert store.article_quotes(article.article_id) == []
    assert store.get_entity(putin) is not None
    assert store.get_entity(putin).mentions == 0


def test_entities_new_in_one_call_are_named_by_placeholders(store: SQLStore) -> None:
    first, second = stored(store, analysed(1, "a", "x"), analysed(2, "b", "y"))
    ids = store.save_article_entities([
        (first.article_id, [link("Kaja Kallas")], []),
        (second.article_id, [link("Kaja Kallas", entity_id=-1, mentions=2)], []),
    ])
    assert ids[0] == ids[1]
    entity = store.get_entity(ids[0][0])
    assert entity is not None
    assert entity.mentions == 3
    assert [a.id for a in store.entity_articles(entity.id)] == [second.article_id, first.article_id]


def test_an_entity_takes_a_fuller_name_and_a_type(store: SQLStore) -> None:
    first, second = stored(store, analysed(1, "a", "x"), analysed(2, "b", "y"))
    [[putin]] = store.save_article_entities([(first.article_id, [link("Putin", EntityType.OTHER)], [])])
    store.save_article_entities([(second.article_id, [link("Vladimir Putin", entity_id=putin)], [])])
    entity = store.get_entity(putin)
    assert entity is not None
    assert (entity.name, entity.type) == ("Vladimir Putin", EntityType.PERSON)


def test_deleting_an_article_deletes_its_links_and_quotes(store: SQLStore) -> None:
    article = dataclasses.replace(analysed(1, "t", "x"), is_sample=True)
    [new] = stored(store, article)
    store.save_article_entities([(new.article_id, [link("Muriel Bowser")], [Quote("No spike here", None, None, 0, 9)])])
    assert store.delete_sample_articles() == 1
    assert store.article_entities(new.article_id) == []
    assert store.article_quotes(new.article_id) == []


def test_the_stage_joins_articles_entities_across_spellings_and_surnames(store: SQLStore) -> None:
    stage = EntityStage(store)
    first = analysed(1, "Kremlin says summit agreed", "Russian President Vladimir Putin will meet Donald Trump. "
                                                        "Ukrainian President Volodymyr Zelenskyy was not invited.")
    second = analysed(2, "Zelenskiy calls for talks", "Zelenskiy said Putin must meet him. Trump agreed.")
    stage.process(stored(store, first))
    stage.process(stored(store, second))
    names = {}
    for article in store.latest_articles(limit=5):
        for e in store.article_entities(article.id):
            names.setdefault(e.name, set()).add(e.id)
    assert all(len(ids) == 1 for ids in names.values()), names
    assert {"Vladimir Putin", "Donald Trump", "Volodymyr Zelenskyy"} <= set(names)


def test_a_surname_two_people_share_joins_neither(store: SQLStore) -> None:
    stage = EntityStage(store)
    stage.process(stored(store, analysed(1, "a", "President Joe Biden met Hunter Biden. Joe Biden said so.")))
    stage.process(stored(store, analysed(2, "b", "Biden said nothing.")))
    second = store.latest_articles(limit=1)[0]
    ids = {e.id for e in store.article_entities(second.id) if "Biden" in e.name}
    first_ids = {e.id for e in store.article_entities(second.id - 1) if "Biden" in e.name}
    assert len(first_ids) == 2
    assert not ids & first_ids


def test_reprocess_stores_the_entities_again(store: SQLStore, settings: Settings) -> None:
    html = ("<html><head><title>Summit set</title></head><body><article><h1>Summit set</h1>"
            "<p>Kremlin aide Yuri Ushakov said the summit was agreed. 'Next week has been set as a target date,' "
            "said Ushakov. The Kremlin gave no venue.</p><p>Donald Trump said he would go. "
            "Vladimir Putin said nothing about it on Thursday.</p></article></body></html>")
    ingest = Ingest(store, dataclasses.replace(settings, stories=False))
    report = ingest.ingest([RawItem(origin="summit.html", html=html, url="https://news.example/summit")])
    assert report.inserted == 1
    [article] = store.latest_articles(limit=1)
    before = store.article_entities(article.id)
    assert any(e.name == "Yuri Ushakov" for e in before)
    # the analysis is lost (an older version stored none); reprocess restores it from the kept page
    store.save_article_entities([(article.id, [], [])])
    assert store.article_entities(article.id) == []
    report = ingest.reprocess()
    assert report.unchanged == 1
    assert {e.name for e in store.article_entities(article.id)} == {e.name for e in before}
    assert [q.speaker for q in store.article_quotes(article.id)] == ["Yuri Ushakov"]


def test_a_storys_entities_and_quotes_are_read_over_its_articles(store: SQLStore) -> None:
    first, second, elsewhere = stored(store, analysed(1, "a", "x"), analysed(2, "b", "y"), analysed(3, "c", "z"))
    ids = store.save_article_entities([
        (first.article_id, [link("Mark Rutte", mentions=2), link("NATO", EntityType.ORGANIZATION)],
         [Quote("Next Friday will be important", "Mark Rutte", "Rutte", 0, 10)]),
        (second.article_id, [link("Mark Rutte", entity_id=-1, mentions=3)],
         [Quote("It has to be effectual recognition", "Mark Rutte", "Rutte", 0, 10)]),
        (elsewhere.article_id, [link("Kaja Kallas")], [Quote("All occupied territories belong to Ukraine",
                                                              "Kaja Kallas", "she", 0, 10)]),
    ])
    store.save_story_links([StoryLink(first.article_id, 7, 1.0), StoryLink(second.article_id, 7, 0.9),
                            StoryLink(elsewhere.article_id, 8, 1.0)])
    assert [(e.name, e.mentions) for e in store.story_entities(7)] == [("Mark Rutte", 5), ("NATO", 1)]
    quotes = store.story_quotes(7)
    assert [q.text for q in quotes] == ["Next Friday will be important", "It has to be effectual recognition"]
    assert {q.entity_id for q in quotes} == {ids[0][0]}


def test_a_spelling_learnt_inside_a_batch_does_not_outlive_it(store: SQLStore) -> None:
    """An entity new in one batch, named by its surname alone later in the batch; the surname in the next batch.

    (Once, the surname stayed in the stage's index under the batch's placeholder id: the next
    batch joined "Putin" to whichever entity it created first, or crashed when it created none.)
    """
    stage = EntityStage(store)
    first = analysed(1, "a", "Russian President Vladimir Putin spoke on Sunday.")
    second = analysed(2, "b", "Putin said the talks would go on.")
    stage.process(stored(store, first, second))  # one batch: "Putin" joins the batch's new Vladimir Putin
    third = analysed(3, "c", "Putin met Emmanuel Macron in Paris.")
    stage.process(stored(store, third))  # the next batch creates Macron first
    putin = {article.id: {e.id for e in store.article_entities(article.id) if "Putin" in e.name}
             for article in store.latest_articles(limit=5)}
    assert len(putin) == 3
    assert all(len(ids) == 1 for ids in putin.values()), putin
    assert len(set.union(*putin.values())) == 1, putin
