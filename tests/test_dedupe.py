"""Rules of the duplicates stage: what is a copy, what is not, and which copy is the original."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

import storyline.dedupe as dedupe
from storyline.dedupe import Copy, DuplicateIndex, signature, syndication_group, syndication_original
from tests.conftest import SHARED_DATA

WORDS = [
    "government",
    "minister",
    "said",
    "parliament",
    "vote",
    "budget",
    "police",
    "city",
    "officials",
    "report",
    "storm",
    "river",
    "flood",
    "week",
    "company",
    "market",
    "shares",
    "year",
    "people",
    "hospital",
    "court",
    "judge",
    "ruling",
    "election",
    "president",
    "country",
    "border",
    "talks",
]


def _article(seed: int, paragraphs: int = 8, words: int = 45) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=words)) + "." for _ in range(paragraphs)]


def _text(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def test_public_surface() -> None:
    assert sorted(dedupe.__all__) == sorted(
        [
            "Copy",
            "DuplicateIndex",
            "Match",
            "Signature",
            "SyndicationGroup",
            "signature",
            "syndication_group",
            "syndication_original",
        ]
    )


def test_identical_text_with_boilerplate_dateline_and_read_more_is_a_copy() -> None:
    body = _article(1)
    copy = [
        "Advertisement",
        "Sign up for our morning briefing and get the day's top stories in your inbox.",
        "LONDON (Reuters) - " + body[0],
        *body[1:4],
        "Read more: other coverage",
        *body[4:],
        "© 2024 Outlet.",
    ]
    index = DuplicateIndex()
    assert index.add("a", _text(body)) is None
    match = index.add("b", _text(copy), title="A rewritten headline")
    assert match is not None
    assert (match.doc_id, match.group_id, match.rule) == ("a", "a", "near-duplicate")


def test_reordered_and_dropped_paragraphs_are_a_copy() -> None:
    body = _article(2)
    index = DuplicateIndex()
    index.add("a", _text(body))
    assert index.add("b", _text([body[0], body[5], body[1], body[2], body[4], body[6], body[7]])) is not None


def test_teaser_and_full_text_are_copies_in_either_order() -> None:
    body = _article(3, paragraphs=10)
    teaser = _text([*body[:2], "Continue reading..."])
    index = DuplicateIndex()
    index.add("full", _text(body))
    match = index.add("teaser", teaser)
    assert match is not None
    assert match.rule == "teaser"
    index = DuplicateIndex()
    index.add("teaser", teaser)
    match = index.add("full", _text(body))
    assert match is not None
    assert match.doc_id == "teaser"
    assert [c.partial for c in index.group("full")] == [True, False]


def test_short_texts_are_never_duplicates_by_content() -> None:
    short = "Police said two people were hurt in a crash on the ring road on Monday night, and one is in hospital."
    index = DuplicateIndex()
    assert index.add("a", short) is None
    assert index.add("b", short) is None
    assert signature(short).words < 40


def test_empty_text_is_no_duplicate_and_has_an_empty_signature() -> None:
    index = DuplicateIndex()
    assert index.add("a", "") is None
    assert index.add("b", "   \n\n ") is None
    assert signature("").shingles == 0
    assert signature("").jaccard(signature("")) == 0.0


def test_cjk_text_is_shingled_by_characters() -> None:
    text = (
        "東京都内で大規模な停電が発生し、約三十万世帯に影響が出ている。電力会社によると、変電所の設備に不具合が"
        "見つかり、復旧作業を急いでいるという。\n\n交通機関にも影響が広がり、一部の路線で運転を見合わせている。"
        "政府は原因の調査を指示した。"
    )
    other = "大阪市で新しい美術館が開館し、初日から多くの来場者が訪れた。館長は地域の文化の拠点にしたいと話した。" * 2
    sig = signature(text)
    assert sig.words >= 40
    assert sig.shingles > 50
    index = DuplicateIndex()
    index.add("a", text)
    assert index.add("b", "【速報】" + text + "\n\n続きを読む") is not None
    assert index.add("c", other) is None


def test_signatures_are_stable_and_sized() -> None:
    text = _text(_article(4))
    a, b = signature(text), signature(text)
    assert a.values.dtype == np.uint32
    assert a.values.shape == (128,)
    assert np.array_equal(a.values, b.values)
    assert a.jaccard(b) == 1.0
    assert signature(text, num_perm=256).values.shape == (256,)
    with pytest.raises(ValueError, match="num_perm"):
        signature(text, num_perm=16)


def test_a_megabyte_text_is_signed_quickly() -> None:
    text = _text(_article(5, paragraphs=3000, words=55))
    assert len(text) > 1_000_000
    started = time.perf_counter()
    sig = signature(text)
    assert time.perf_counter() - started < 5.0  # generous: ~0.3 s here
    assert sig.words > 150_000


def test_adding_an_id_twice_is_an_error() -> None:
    index = DuplicateIndex()
    index.add("a", _text(_article(6)))
    with pytest.raises(ValueError, match="already"):
        index.add("a", "other")


def test_different_reports_of_one_event_are_not_duplicates() -> None:
    path = SHARED_DATA / "clustering" / "ecbplus.jsonl"
    if not path.is_file():
        pytest.fail(f"ECB+ is missing at {path} (shared data beside the repo)")
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    # Topic 1, subtopic 1_ecbplus: several outlets reporting Lindsay Lohan's move to a Malibu rehab.
    same_event = [d for d in docs if d["subtopic"] == "1_ecbplus"]
    assert len(same_event) >= 5
    index = DuplicateIndex()
    declared = [d["doc_id"] for d in same_event if index.add(d["doc_id"], d["text"]) is not None]
    assert declared == []


def test_original_is_the_credited_agencys_own_copy() -> None:
    t0 = datetime(2024, 5, 1, 8, tzinfo=UTC)
    members = [
        Copy("br", credits=("AFP",), outlet="Business Recorder", published=t0, words=400),
        Copy("afp", credits=("AFP",), outlet="Agence France-Presse", published=t0 + timedelta(minutes=5), words=390),
        Copy("dawn", credits=("AFP",), outlet="Dawn", published=t0 + timedelta(hours=1), words=380),
    ]
    assert syndication_original(members) == "afp"
    group = syndication_group(members)
    assert group.agency == "AFP"
    assert group.carried_by == ("Business Recorder", "Dawn")


def test_original_without_agency_copy_is_the_earliest_complete_copy() -> None:
    t0 = datetime(2024, 5, 1, 8, tzinfo=UTC)
    members = [
        Copy("teaser", outlet="Feed", published=t0 - timedelta(minutes=10), words=60, partial=True),
        Copy("late", outlet="B", published=t0 + timedelta(hours=2), words=410),
        Copy("first", credits=("AFP", "newswires"), outlet="A", published=t0, words=400),
        Copy("undated", outlet="C", published=None, words=420),
    ]
    assert syndication_original(members) == "first"
    assert syndication_group(members).agency == "AFP"
    with pytest.raises(ValueError, match="at least one"):
        syndication_original([])
