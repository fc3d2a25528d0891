"""The summaries stage: sentences, key points, cited story summaries, timelines, kept up to date in the store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from storyline.ingest.items import NewArticle
from storyline.ingest.summaries import SummaryStage
from storyline.reading.summaries import current_summary
from storyline.store import SQLStore
from storyline.summarize import Report, Vocabulary, analyse, key_points, split_sentences, summarize_reports, timeline
from storyline.summarize.matrix import StoryMatrix
from storyline.summarize.sentences import usable
from storyline.summarize.story import TermsCache, basis_of
from storyline.types import Article, StoryLink

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

FIRE_A = """A fire destroyed a warehouse in Leeds on Monday night, the fire service said.
Twelve fire engines and 80 firefighters were sent to the blaze on Kirkstall Road.
Nobody was injured, West Yorkshire Fire and Rescue Service said.
The cause of the fire is not yet known.
Residents were told to keep their windows closed because of the smoke."""
FIRE_B = """Eighty firefighters fought a blaze that destroyed a warehouse on Kirkstall Road in Leeds on Monday.
The fire service said nobody was hurt in the fire.
The warehouse stored furniture for a local retailer, its owner said.
Police closed the road until Tuesday morning."""
FIRE_C = """A warehouse on Kirkstall Road in Leeds was destroyed by fire on Monday night.
No one was injured, according to the fire service.
Investigators said on Wednesday that the fire was started deliberately.
A 34-year-old man has been arrested on suspicion of arson, West Yorkshire Police said."""


def reports(*texts: str, start: datetime = T0) -> list[Report]:
    vocabulary = Vocabulary()
    return [Report(f"r{i}", start + timedelta(hours=i), analyse(text, vocabulary)) for i, text in enumerate(texts)]


# -- sentences ----------------------------------------------------------------------------------

def test_sentences_split_at_full_stops_but_not_at_abbreviations_and_initials() -> None:
    text = ("Gov. Gavin Newsom met Sen. Alex Padilla in Washington, D.C. on Jan. 6. John F. Kennedy Jr. was not there. "
            "The U.S. economy grew 2.5% in the year. \"We are ready,\" he said. Was it enough? Nobody knows.")
    found = [s.text for s in split_sentences(text)]
    assert found == [
        "Gov. Gavin Newsom met Sen. Alex Padilla in Washington, D.C. on Jan. 6.",
        "John F. Kennedy Jr. was not there.",
        "The U.S. economy grew 2.5% in the year.",
        "\"We are ready,\" he said.",
        "Was it enough?",
        "Nobody knows.",
    ]


def test_sentences_carry_their_place_in_the_text_and_paragraphs_end_them() -> None:
    text = "First paragraph without a stop\n\nSecond one. It has two sentences.\nA third paragraph."
    sentences = split_sentences(text)
    assert [s.paragraph for s in sentences] == [0, 1, 1, 2]
    assert all(text[s.start:s.end] == s.text for s in sentences)
    assert [s.index for s in sentences] == [0, 1, 2, 3]


def test_clock_times_end_a_sentence_only_before_a_sentence_opener() -> None:
    found = [s.text for s in split_sentences("It began at 4 p.m. Monday in Ohio. It ended at 6 p.m. The police left.")]
    assert found == ["It began at 4 p.m. Monday in Ohio.", "It ended at 6 p.m.", "The police left."]


@pytest.mark.parametrize("text", [
    "Sign up for our newsletter to get the latest news every morning.",
    "what happened next was not reported by anyone at the scene.",
    "Why did the council approve the plan so quickly this year?",
    "He would have given you the shirt off his back,\" his mother said.",
    "Too short here.",
    "A line that never ends with a full stop like a headline does",
])
def test_fragments_questions_and_page_furniture_are_not_summary_sentences(text: str) -> None:
    assert not usable(split_sentences(text)[0])


# -- key points and summaries --------------------------------------------------------------------

def test_key_points_are_three_central_sentences_in_the_articles_order_citing_themselves() -> None:
    points = key_points(FIRE_A, article=7)
    assert len(points) == 3
    sentences = split_sentences(FIRE_A)
    indices = [p.cites[0].sentence for p in points]
    assert indices == sorted(indices)
    for point in points:
        cite = point.cites[0]
        assert cite.article == 7
        assert FIRE_A[cite.start:cite.end] == point.text == sentences[cite.sentence].text == cite.text


def test_a_fact_several_outlets_report_is_in_the_summary_and_cites_each_of_them() -> None:
    summary = summarize_reports(reports(FIRE_A, FIRE_B, FIRE_C))
    assert 3 <= len(summary) <= 6
    cited_by = [{c.article for c in s.cites} for s in summary]
    assert any(len(articles) == 3 for articles in cited_by), summary  # the warehouse fire, said by all three
    nobody_hurt = [s for s in summary if "injured" in s.text or "hurt" in s.text]
    assert len(nobody_hurt) <= 1  # said three ways, summarised once


def test_every_summary_sentence_is_a_sentence_of_a_report_at_the_place_it_cites() -> None:
    given = reports(FIRE_A, FIRE_B, FIRE_C)
    texts = {r.article: text for r, text in zip(given, (FIRE_A, FIRE_B, FIRE_C), strict=True)}
    for sentence in summarize_reports(given):
        own = sentence.cites[0]
        assert texts[own.article][own.start:own.end] == sentence.text
        for cite in sentence.cites:
            assert texts[cite.article][cite.start:cite.end] == cite.text


def test_no_two_summary_sentences_say_the_same() -> None:
    given = reports(FIRE_A, FIRE_B, FIRE_C, FIRE_A.replace("Monday night", "Monday evening"))
    matrix = StoryMatrix(given)
    summary = summarize_reports(given)
    rows = []
    for sentence in summary:
        cite = sentence.cites[0]
        owner = next(i for i, r in enumerate(given) if r.article == cite.article)
        rows.append(int(np.flatnonzero(matrix.owner == owner)[cite.sentence]))
    sims = matrix.similarity(np.array(rows), np.array(rows))
    np.fill_diagonal(sims, 0)
    assert sims.max() < 0.5


def test_a_copy_does_not_count_as_a_second_outlet() -> None:
    """The same text carried twice is one group: its sentences are not 'confirmed' by the copy."""
    given = reports(FIRE_A, FIRE_A, FIRE_C)
    matrix = StoryMatrix(given)
    assert matrix.group[0] == matrix.group[1] != matrix.group[2]


def test_max_words_fills_the_summary_up_to_that_many_words() -> None:
    for words in (25, 60, 120):
        summary = summarize_reports(reports(FIRE_A, FIRE_B, FIRE_C), max_words=words)
        assert summary
        assert sum(len(s.text.split()) for s in summary) <= words + 5  # counted as the splitter counts words


def test_the_timeline_lists_what_each_report_added() -> None:
    entries = timeline(reports(FIRE_A, FIRE_B, FIRE_C))
    assert entries[0].article == "r0"
    later = {e.article: " ".join(s.text for s in e.added) for e in entries[1:]}
    assert "arson" in later["r2"] or "deliberately" in later["r2"]
    assert all("destroyed a warehouse" not in text for text in later.values())  # old news is not news


def test_the_timeline_is_the_same_with_the_novelty_cache_as_without_it() -> None:
    """Reports arriving one at a time (the cache's case) and one arriving between earlier ones."""
    from storyline.summarize.story import NoveltyCache

    given = reports(FIRE_A, FIRE_B, FIRE_C, FIRE_A.replace("Leeds", "Leeds, England"), FIRE_C + " More later.")
    cache = NoveltyCache(100)
    for count in range(1, len(given) + 1):
        assert timeline(given[:count], novelty_cache=cache) == timeline(given[:count])
    late = Report("late", T0 + timedelta(minutes=30), given[2].terms)  # reported between the first two
    assert timeline([*given, late], novelty_cache=cache) == timeline([*given, late])
    assert timeline(given, novelty_cache=cache) == timeline(given)  # and taken out again


def test_a_report_that_adds_nothing_adds_no_entry() -> None:
    entries = timeline(reports(FIRE_A, FIRE_A.replace("Monday night", "Monday evening")))
    assert [e.article for e in entries] == ["r0"]


@pytest.mark.parametrize("text", [
    "", "   \n\n  ", "no punctuation at all " * 500, "<script>alert(1)</script>" * 50, "." * 10_000,
    "\x00\x01 control \u202e characters. " * 20, "Ünïcödé wörds everywhere. " * 100, "word " * 200_000,
])
def test_hostile_text_gives_a_summary_or_none_without_crashing(text: str) -> None:
    given = reports(text, FIRE_A)
    summary = summarize_reports(given)
    assert all(s.cites for s in summary)
    assert isinstance(key_points(text), tuple)
    assert isinstance(timeline(given), tuple)


# -- the stored stage and reading ----------------------------------------------------------------

def article(n: int, text: str, hours: int = 0) -> Article:
    return Article(canonical_url=f"https://news.example/{n}", url=f"https://news.example/{n}", title=f"Report {n}",
                   text=text, content_hash=f"h{n}-{len(text)}", outlet=f"Outlet {n}",
                   published=T0 + timedelta(hours=hours), word_count=len(text.split()), key_points=key_points(text))


def store_in_story(store: SQLStore, story_id: int, *articles: Article) -> list[NewArticle]:
    results = store.upsert_articles(list(articles))
    new = [NewArticle(r.article_id, a) for r, a in zip(results, articles, strict=True)]
    store.save_story_links([StoryLink(item.article_id, story_id, 1.0) for item in new])
    return new


def test_the_stage_stores_key_points_and_keeps_the_storys_summary_current(store: SQLStore) -> None:
    stage = SummaryStage(store)
    first = store_in_story(store, 1, article(1, FIRE_A), article(2, FIRE_B, 1))
    stage.process(first)
    points = store.key_points(first[0].article_id)
    assert [p.text for p in points] == [p.text for p in key_points(FIRE_A)]
    assert all(p.cites[0].article == first[0].article_id for p in points)
    before = store.story_summary(1)
    assert before is not None
    assert before.basis == basis_of(store.story_articles(1))
    assert len(before.timeline) >= 1

    later = store_in_story(store, 1, article(3, FIRE_C, 50))
    stage.process(later)
    after = store.story_summary(1)
    assert after is not None
    assert after.basis != before.basis
    assert any(e.article == later[0].article_id for e in after.timeline)  # the arson arrest is news


def test_only_the_stories_of_new_articles_are_summarised_again(store: SQLStore) -> None:
    stage = SummaryStage(store)
    stage.process(store_in_story(store, 1, article(1, FIRE_A)))
    stage.process(store_in_story(store, 2, article(2, FIRE_B)))
    untouched = store.story_summary(1)
    stage.process(store_in_story(store, 2, article(3, FIRE_C, 2)))
    assert store.story_summary(1) == untouched


def test_articles_waiting_for_their_story_are_summarised_once_it_is_known(store: SQLStore) -> None:
    stage = SummaryStage(store)
    results = store.upsert_articles([article(1, FIRE_A)])
    stage.process([NewArticle(results[0].article_id, article(1, FIRE_A))])  # no story yet (assigned in background)
    assert store.story_summary(5) is None
    store.save_story_links([StoryLink(results[0].article_id, 5, 1.0)])
    stage.drain()
    assert store.story_summary(5) is not None


def test_a_reader_gets_a_current_summary_when_the_stored_one_is_stale(store: SQLStore) -> None:
    stage = SummaryStage(store)
    stage.process(store_in_story(store, 1, article(1, FIRE_A)))
    store_in_story(store, 1, article(2, FIRE_C, 50))  # joined without the stage (a merge, a background assignment)
    articles = store.story_articles(1)
    assert store.story_summary(1).basis != basis_of(articles)
    summary = current_summary(store, 1, articles, TermsCache())
    assert summary.basis == basis_of(articles)
    assert store.story_summary(1) == summary  # stored for the next reader


def test_an_edited_article_gets_new_key_points(store: SQLStore) -> None:
    stage = SummaryStage(store)
    new = store_in_story(store, 1, article(1, FIRE_A))
    stage.process(new)
    edited = dataclasses.replace(article(1, FIRE_C), canonical_url=new[0].article.canonical_url)
    store.upsert_articles([edited])
    stage.revise([NewArticle(new[0].article_id, edited)])
    assert [p.text for p in store.key_points(new[0].article_id)] == [p.text for p in key_points(FIRE_C)]
