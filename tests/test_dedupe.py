"""Rules of the duplicates stage: what is a copy, what is not, and which copy is the original."""

from __future__ import annotations

import importlib
import itertools
import json
import random
import re
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import storyline.dedupe as dedupe
from storyline.dedupe import Copy, DuplicateIndex, signature, syndication_group, syndication_original
from tests.conftest import CORPORA

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
            "Signatures",
            "SyndicationGroup",
            "signature",
            "signatures",
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


def test_teaser_of_a_page_opening_with_lines_the_feed_lacks_is_a_copy_in_either_order() -> None:
    # The page's extracted text opens with a photo caption and a standfirst the feed does not
    # carry; the feed's 100-word teaser starts at the page's third paragraph and is run into one
    # block. Its Jaccard with the 800-word page is about 0.1 and its opening is not the page's:
    # only the page's windows find it.
    body = _article(21, paragraphs=16)
    page = _text([" ".join(_article(22, paragraphs=1, words=30)), " ".join(_article(23, paragraphs=1, words=25)),
                  *body])
    teaser = " ".join(body[:2]) + " […]"
    for first, second in (("page", "teaser"), ("teaser", "page")):
        index = DuplicateIndex()
        index.add(first, page if first == "page" else teaser)
        match = index.add(second, page if second == "page" else teaser)
        assert match is not None, f"{second} after {first}"
        assert match.rule == "teaser"
        assert match.containment > 0.8
        assert [c.partial for c in index.group("page")] == ([False, True] if first == "page" else [True, False])


def test_different_reports_sharing_a_police_statement_are_not_copies() -> None:
    # Two outlets' reports of one shooting quote the same statement (a quarter of the brief); the
    # brief opens with it, the other report has it as its second paragraph (a window). (A
    # statement of a third or more of the brief can pass as a teaser: docs/copies.md.)
    statement = [f'"{p}" police said in a statement.' for p in _article(31, paragraphs=2, words=25)]
    report = _text([_article(32, paragraphs=1)[0], *statement, *_article(33, paragraphs=6)])
    brief = _text([*statement, *_article(34, paragraphs=4, words=45)])
    for order in ((report, brief), (brief, report)):
        index = DuplicateIndex()
        index.add("first", order[0])
        assert index.add("second", order[1]) is None


@pytest.mark.timeout(120)  # a hang guard
def test_texts_sharing_template_paragraphs_are_not_copies_and_stay_cheap() -> None:
    # 2,000 pages of one site: the same two template paragraphs (video notice, newsletter
    # blurb) open every text, so their openings and windows all share bands.
    template = [" ".join(_article(41, paragraphs=1, words=20)), " ".join(_article(42, paragraphs=1, words=25))]
    texts = [_text([*template, *_article(1000 + i, paragraphs=6)]) for i in range(2000)]
    index = DuplicateIndex()
    found = index.add_batch([str(i) for i in range(len(texts))], dedupe.signatures(texts))
    assert found == [None] * len(texts)
    assert index.add("copy", texts[1234] + "\n\nRead more") is not None


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


@pytest.mark.timeout(60)  # a hang guard; how long it takes is printed by bench/hostile.py
def test_a_megabyte_text_is_signed_whole() -> None:
    text = _text(_article(5, paragraphs=3000, words=55))
    assert len(text) > 1_000_000
    sig = signature(text)
    assert sig.words > 150_000


def test_adding_an_id_twice_is_an_error() -> None:
    index = DuplicateIndex()
    index.add("a", _text(_article(6)))
    with pytest.raises(ValueError, match="already"):
        index.add("a", "other")


def test_different_reports_of_one_event_are_not_duplicates() -> None:
    path = CORPORA / "clustering" / "ecbplus.jsonl"
    if not path.is_file():
        pytest.fail(f"ECB+ is missing at {path} (data/corpora in the repository)")
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


# --- Batches: signatures(), DuplicateIndex.add_batch() -------------------------------------------

ODD_TEXTS = [
    "",
    "  \n\n ",
    "Short text.",
    "one two three four",  # fewer words than a shingle: hashed whole
    "one two three\nfour five six",  # no paragraph of five words: hashed whole
    "null\x00byte " * 30,  # could forge the stream's markers: takes the exact path
    "东京都内で大規模な停電が発生し、約三十万世帯に影響が出ている。\n\n交通機関にも影響が広がっている。" * 3,
    "İSTANBUL — “Quoted” words, U.S. don't covid-19 snake_case\u00a0nbsp\u2028line " * 12,
]


def _labelled(limit: int) -> list[dict]:
    path = Path(__file__).resolve().parents[1] / "data" / "quality" / "dedupe.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:limit]]


_M64 = 2**64 - 1
_P = 0x100000001B3
_NO_SPACE = re.compile(
    r"[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


def _mix(x: int) -> int:
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _polynomial(values: list[int] | bytes) -> int:
    h = 0
    for v in values:
        h = (h * _P + v) & _M64
    return h


def _reference_signature(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """The signature as the module docstring defines it, for one text, with ``re`` and Python ints."""
    lowered = text.lower()
    unspaced = bool(_NO_SPACE.search(lowered)) and (
        len(_NO_SPACE.findall(lowered)) >= 0.3 * len(re.sub(r"\W+", "", lowered))
    )
    paragraphs = []
    for paragraph in re.split(r"\n+", lowered):
        units = list(re.sub(r"\W+", "", paragraph)) if unspaced else re.findall(r"\w+", paragraph)
        if units:
            paragraphs.append([_mix(_polynomial(u.encode("utf-8", "surrogatepass"))) for u in units])
    size = 4 if unspaced else 5
    units = sum(map(len, paragraphs))
    shingles = [_mix(_polynomial(p[i : i + size])) for p in paragraphs for i in range(len(p) - size + 1)]
    # Where the paragraphs with shingles start among the shingles: windows open at the 2nd and 3rd.
    starts = list(itertools.accumulate([max(0, len(p) - size + 1) for p in paragraphs if len(p) >= size],
                                       initial=0))[1:3]
    if not shingles and units:  # no paragraph of a shingle's length: the text hashed whole
        shingles = [_mix(_polynomial([h for p in paragraphs for h in p]))]
    words = int(units / 2.5) if unspaced else units
    windows = np.full((2, 64), 0xFFFFFFFF, np.uint32)
    if not shingles:
        return np.full(128, 0xFFFFFFFF, np.uint32), np.full((4, 64), 0xFFFFFFFF, np.uint32), windows, words, 0
    a, b = importlib.import_module("storyline.dedupe.signature")._permutations(128)
    top = (np.array(shingles, dtype=np.uint64) >> np.uint64(32)).astype(np.uint32)
    permuted = a * top[:, None] + b
    openings = np.stack([permuted[:checkpoint, :64].min(axis=0) for checkpoint in (40, 80, 160, 320)])
    for k, start in enumerate(s for s in starts if s < len(shingles)):
        windows[k] = permuted[start : start + 40, :64].min(axis=0)
    return permuted.min(axis=0), openings, windows, words, len({h >> 12 for h in shingles})


def _random_text(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randrange(1, 120)):
        kind = rng.random()
        if kind < 0.5:
            pieces.append(rng.choice(["the", "said", "U.S.", "don't", "covid-19", "a_b", "İstanbul", "ΣΊΣΥΦΟΣ"]))
        elif kind < 0.8:  # any code point: accents, symbols, CJK, lone surrogates, astral planes
            top = rng.choice([0x3000, 0x110000])
            pieces.append("".join(chr(rng.randrange(0x80, top)) for _ in range(rng.randrange(1, 6))))
        elif kind < 0.9:
            pieces.append(rng.choice(["\n", "\n\n", " \r\n ", "\t", "\x00", "—", "“", "\u2028", "\xa0"]))
        else:
            pieces.append("x" * rng.randrange(200, 700))  # longer than the batched word hash's steps
    return rng.choice([" ", ""]).join(pieces)


def test_signatures_follow_their_definition() -> None:
    rng = random.Random(5)
    texts = [*ODD_TEXTS, *(r["text"] for r in _labelled(150)), *(_random_text(rng) for _ in range(300))]
    batch = dedupe.signatures(texts)
    for i, text in enumerate(texts):
        values, openings, windows, words, shingles = _reference_signature(text)
        assert np.array_equal(batch[i].values, values), text[:60]
        assert np.array_equal(batch[i].openings, openings), text[:60]
        assert np.array_equal(batch[i].windows, windows), text[:60]
        assert (batch[i].words, batch[i].shingles) == (words, shingles), text[:60]


def _same(a: dedupe.Signature, b: dedupe.Signature) -> bool:
    return (np.array_equal(a.values, b.values) and np.array_equal(a.openings, b.openings)
            and np.array_equal(a.windows, b.windows) and (a.words, a.shingles) == (b.words, b.shingles))


def test_signatures_of_a_batch_are_the_signatures_one_by_one() -> None:
    texts = [*ODD_TEXTS, *(r["text"] for r in _labelled(300)), _text(_article(7, paragraphs=300))]
    batch = dedupe.signatures(texts)
    assert len(batch) == len(texts)
    assert batch.values.dtype == np.uint32
    assert all(_same(batch[i], signature(text)) for i, text in enumerate(texts))
    # A text's signature does not depend on the batch it is signed in.
    halves = dedupe.Signatures.concat([dedupe.signatures(texts[1::2]), dedupe.signatures(texts[::2])])
    order = [*range(1, len(texts), 2), *range(0, len(texts), 2)]
    assert all(_same(halves[k], batch[i]) for k, i in enumerate(order))
    # Single signatures (as a worker sends them) stacked back into a batch are that batch.
    stacked = dedupe.Signatures.stack([batch[i] for i in range(len(batch))])
    for name in ("values", "openings", "windows", "words", "shingles"):
        assert np.array_equal(getattr(stacked, name), getattr(batch, name)), name
        assert getattr(stacked, name).dtype == getattr(batch, name).dtype, name


def test_signatures_in_worker_processes_are_the_same() -> None:
    texts = [r["text"] for r in _labelled(200)]
    parallel = dedupe.signatures(texts, processes=2)
    assert np.array_equal(parallel.values, dedupe.signatures(texts).values)
    assert np.array_equal(parallel.shingles, dedupe.signatures(texts).shingles)
    assert len(dedupe.signatures([], processes=2)) == 0


def test_add_batch_finds_what_add_finds_one_by_one() -> None:
    records = _labelled(1200)
    one_by_one = DuplicateIndex()
    expected = [one_by_one.add(r["id"], r["text"]) for r in records]
    batched = DuplicateIndex()
    signed = dedupe.signatures([r["text"] for r in records])
    found: list[dedupe.Match | None] = []
    for start in range(0, len(records), 500):  # copies across batches and inside one
        ids = [r["id"] for r in records[start : start + 500]]
        found += batched.add_batch(ids, signed[start : start + 500])
    assert sum(m is not None for m in expected) > 150
    assert found == expected
    assert [[c.doc_id for c in g] for g in batched.groups()] == [[c.doc_id for c in g] for g in one_by_one.groups()]


def test_add_batch_keeps_credits_outlets_and_times() -> None:
    body = _text(_article(8))
    t0 = datetime(2024, 5, 1, 8, tzinfo=UTC)
    index = DuplicateIndex()
    matches = index.add_batch(["a", "b"], dedupe.signatures([body, "Dateline - " + body]),
                              credits=[("AFP",), ()], published=[t0, None], outlets=["Agence France-Presse", "Dawn"])
    assert matches[0] is None
    assert matches[1] is not None
    assert (matches[1].doc_id, matches[1].group_id) == ("a", "a")
    assert index.group("b") == (
        Copy("a", credits=("AFP",), outlet="Agence France-Presse", published=t0, words=signature(body).words),
        Copy("b", outlet="Dawn", words=signature("Dateline - " + body).words),
    )


def test_add_batch_refuses_repeated_ids_and_mismatched_lengths_without_adding() -> None:
    texts = [_text(_article(9)), _text(_article(10))]
    index = DuplicateIndex()
    index.add("x", texts[0])
    with pytest.raises(ValueError, match="'x' is already"):
        index.add_batch(["y", "x"], dedupe.signatures(texts))
    with pytest.raises(ValueError, match="'y' is already"):
        index.add_batch(["y", "y"], dedupe.signatures(texts))
    with pytest.raises(ValueError, match="2 ids need 2 signatures"):
        index.add_batch(["y", "z"], dedupe.signatures(texts[:1]))
    with pytest.raises(ValueError, match="permutations"):
        index.add_batch(["y"], dedupe.signatures(texts[:1], num_perm=256))
    assert len(index) == 1
    assert "y" not in index


def test_copies_are_found_after_the_band_table_grows_and_a_text_takes_under_2_kb() -> None:
    # 6,000 banded texts (80 entries each) outgrow the band table's first slots and relink them.
    texts = [" ".join(f"w{seed}x{k}" for k in range(60)) for seed in range(6000)]
    signed = dedupe.signatures(texts)
    index = DuplicateIndex()
    tracemalloc.start()  # numpy reports its arrays to tracemalloc
    try:
        index.add_batch([str(i) for i in range(len(texts))], signed)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / len(texts) < 2048  # a million texts in 2 GB (the dict-based index took 10.5 KB)
    assert len(index._bands._heads) > 1 << 16  # the growth this test is about
    for i in (0, 2999, 5999):
        match = index.add(f"copy-{i}", "Advertisement\n\n" + texts[i])
        assert match is not None
        assert match.doc_id == str(i)


def test_stored_signatures_estimate_as_the_full_ones() -> None:
    body = _article(11)
    a, b = _text(body), _text([*body[:6], *(_article(12)[:2])])
    index = DuplicateIndex()
    index.add("a", a)
    match = index.add("b", b)
    assert match is not None
    assert match.jaccard == pytest.approx(signature(a).jaccard(signature(b)), abs=2 / 128)
