"""Build data/quality/dedupe.jsonl: a labelled set of copies and hard non-duplicates.

Originals are real news texts from data/corpora (Wikinews, ECB+, GVC, and the gun-violence
pool's reports of shootings several outlets covered). Copies are made from them the way
outlets republish: boilerplate above and below, feed teasers, rewritten headlines (in the
title, and for pool copies often as the text's first line), dropped or reordered paragraphs,
other datelines, agency credits, "Read more" lines. Hard non-duplicates come free: ECB+
subtopics and gun-violence incidents hold several different reports of one event, and every
one of them is in the set as its own original.

The hard cases of issue 13, made from the corpora with their own random streams (so the
records built before them are unchanged):

- teasers of long reports: 90-120 words of most 500-1,200-word reports, as feeds cut them
  (``make_long_teaser``), 40% of them starting at the page's second or third paragraph;
- shared police statements: in most incidents two outlets reported, one pool report carries
  the other's police statement or release (``share_statements``): different reports that
  share a passage, the false pairs containment rules make.

Each record: {id, text, title, outlet, credits, published, group, event, made}; ``group`` is the id of
the original the record copies (its own id for an original); ``event`` is the event it reports
(``ecb-<subtopic>``, ``gvc-<incident>`` for the GVC file's and the pool's reports, or
``wiki-<year>-<n>`` for a Wikinews article), which ``storyline.evaluate.splits.dedupe_part``
cuts into the part thresholds are tuned on and the part only the gate scores; ``made`` says
how a copy was made (``edits``) and which report's statement an original carries
(``statement_from``). Originals of the shared corpora that
are themselves copies of one another (the same wire story in two outlets) are found by exact
shingle containment and labelled as one group. Records are written in a shuffled, fixed order
(seed below): copies may come before their original, as they do in a feed reader.

Usage: python scripts/build_dedupe_set.py [--corpora data/corpora] [--out data/quality/dedupe.jsonl]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 5
_WORD = re.compile(r"\w+")
MIN_COPY_SOURCE_WORDS = 80
MAX_COPY_SOURCE_WORDS = 1500
COPY_SHARE = {"wiki": 1.0, "ecb": 0.35, "gvc": 0.45}
AGENCY_GROUP_SHARE = 0.4

AGENCIES = {  # canonical credit -> (outlet name of its own copy, dateline credit)
    "AFP": ("AFP", "(AFP)"),
    "Reuters": ("Reuters", "(Reuters)"),
    "AP": ("Associated Press", "(AP)"),
    "dpa": ("dpa", "(dpa)"),
    "EFE": ("EFE", "(EFE)"),
    "Xinhua": ("Xinhua", "(Xinhua)"),
    "PTI": ("PTI", "(PTI)"),
}
REPUBLISHERS = (
    "Business Recorder",
    "The Daily Star",
    "Gulf Times",
    "The Straits Times",
    "Dawn",
    "The Hindu",
    "Jakarta Globe",
    "France 24",
    "Arab News",
    "The Express Tribune",
    "Taipei Times",
    "Khaleej Times",
    "Malay Mail",
    "Bangkok Post",
    "Daily Sabah",
    "The Peninsula",
    "Manila Bulletin",
    "Yahoo News",
)
PLACES = ("LONDON", "PARIS", "WASHINGTON", "NEW YORK", "MOSCOW", "BEIJING", "NEW DELHI", "SYDNEY", "BERLIN")
BOILERPLATE_TOP = (
    "Advertisement",
    "Share this article",
    "Listen to this article",
    "Sign up for our morning briefing and get the day's top stories in your inbox.",
    "Published: {date}",
    "By {outlet} Staff",
)
BOILERPLATE_BOTTOM = (
    "Read more",
    "Continue reading",
    "Follow us on Twitter and Facebook for the latest updates.",
    "© {year} {outlet}. All rights reserved.",
    "Subscribe to {outlet} for unlimited access to our journalism.",
    "Have a news tip? Email our newsroom.",
    "Copyright {year} {outlet}. This material may not be published, broadcast, rewritten or redistributed.",
)
HEADLINE_PREFIXES = ("UPDATE: ", "WATCH: ", "Breaking: ", "", "")


@dataclass
class Doc:
    id: str
    title: str
    paragraphs: list[str]
    outlet: str | None
    published: datetime
    corpus: str
    event: str  # ecb-<ECB+ subtopic>, gvc-<GVC incident>, the Wikinews article's id
    credits: tuple[str, ...] = ()
    group: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"\n+", text) if line.strip()]


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def load(shared: Path, rng: random.Random) -> list[Doc]:
    """Every text of the three corpora as an original, with a publication time."""
    docs: list[Doc] = []
    csv.field_size_limit(10**8)
    for year in ("2019", "2020"):
        with (shared / "news" / "wikinews" / f"wikinews_{year}.csv").open(encoding="utf-8") as fh:
            for n, row in enumerate(csv.DictReader(fh)):
                when = datetime.fromisoformat(row["date"]).replace(tzinfo=UTC) + timedelta(hours=rng.randint(6, 20))
                docs.append(
                    Doc(
                        f"wiki-{year}-{n:03d}",
                        row["title"],
                        _paragraphs(row["text"]),
                        "Wikinews",
                        when,
                        "wiki",
                        f"wiki-{year}-{n:03d}",
                    )
                )
    base = datetime(2013, 1, 1, tzinfo=UTC)
    for line in (shared / "clustering" / "ecbplus.jsonl").open(encoding="utf-8"):
        rec = json.loads(line)
        paragraphs = _paragraphs(rec["text"])
        when = base + timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 1440))
        docs.append(
            Doc(
                f"ecb-{rec['doc_id']}",
                rec["title_guess"] or paragraphs[0][:90],
                paragraphs,
                rec["source"],
                when,
                "ecb",
                f"ecb-{rec['subtopic']}",
            )
        )
    for line in (shared / "clustering" / "gvc-train-dev.jsonl").open(encoding="utf-8"):
        rec = json.loads(line)
        when = datetime.fromisoformat(rec["date"]).replace(tzinfo=UTC) + timedelta(minutes=rng.randint(360, 1200))
        docs.append(
            Doc(
                f"gvc-{rec['doc_id'][:12]}",
                rec["title"] or "",
                _paragraphs(rec["text"]),
                rec["source"],
                when,
                "gvc",
                f"gvc-{rec['incident_id']}",
            )
        )
    return [d for d in docs if d.paragraphs]


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 5]) for i in range(max(0, len(words) - 4))}


def label_real_copies(docs: list[Doc]) -> tuple[int, set[str]]:
    """Group originals that are copies of each other; return how many, and the ambiguous ones.

    Two reports of one event are copies when >= 80% of the shorter one's 5-word shingles are
    in the other. Between 25% and 80% one is a partial rewrite of the other: neither a clean
    copy nor a different report, so the later one is left out of the set; so is a pool report
    sharing 25% with a text under 36 shingles (a caption or brief inside a longer report) or
    with a report of another group than the one it copies.
    """
    by_event: dict[str, list[Doc]] = {}
    for doc in docs:
        doc.group = doc.id
        by_event.setdefault(doc.event, []).append(doc)
    merged = 0
    ambiguous: set[str] = set()
    for members in by_event.values():
        sets = {d.id: _shingles(d.text) for d in members}
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                small = min(len(sets[a.id]), len(sets[b.id]))
                if not small:
                    continue
                shared = len(sets[a.id] & sets[b.id]) / small
                # A pool report sharing a quarter with a text too short to call a copy, or with
                # a text of another group than the one it copies, is left out too. (Only the
                # pool's: the older corpora's part of the set is kept as first built.)
                if small < 36 or b.group != b.id:
                    if b.corpus == "pool" and shared >= 0.25 and a.group != b.group:
                        ambiguous.add(b.id)
                    continue
                if shared >= 0.8:
                    b.group = a.group
                    b.published = max(b.published, a.published + timedelta(minutes=30))
                    merged += 1
                elif shared >= 0.25:
                    ambiguous.add(b.id)
    return merged, ambiguous


def _teaser(paragraphs: list[str]) -> list[str]:
    out: list[str] = []
    for paragraph in paragraphs:
        out.append(paragraph)
        if _words(" ".join(out)) >= 50 and len(out) < len(paragraphs):
            break
    return out


def _lead_end(paragraphs: list[str]) -> int:
    for i, paragraph in enumerate(paragraphs):
        if _words(paragraph) >= 20:
            return i + 1
    return 1


def make_copy(doc: Doc, n: int, rng: random.Random, agency: str | None, agency_copy: bool) -> Doc | None:
    """One republished copy of ``doc`` with 1-3 random edits, or None if the edits leave too little."""
    outlet = rng.choice(REPUBLISHERS)
    paragraphs = list(doc.paragraphs)
    edits = rng.sample(["boilerplate", "teaser", "drop", "reorder", "readmore", "dateline"], k=rng.randint(1, 3))
    if "teaser" in edits:
        edits = [e for e in edits if e not in ("drop", "reorder")]
        paragraphs = _teaser(paragraphs)
        if len(paragraphs) == len(doc.paragraphs):
            edits.remove("teaser")
    # Edits keep the lead (the first paragraph of 20 words or more): outlets trim and reorder
    # the body of wire copy, not its opening, and every copy must share text with the others.
    lead = _lead_end(paragraphs)
    if "drop" in edits and len(paragraphs) >= lead + 4:
        for _ in range(rng.randint(1, max(1, len(paragraphs) // 6))):
            paragraphs.pop(rng.randrange(lead, len(paragraphs)))
    if "reorder" in edits and len(paragraphs) >= lead + 3:
        moved = paragraphs.pop(rng.randrange(lead, len(paragraphs)))
        paragraphs.insert(rng.randrange(lead, len(paragraphs)), moved)
    if "readmore" in edits and len(paragraphs) >= lead + 2:
        paragraphs.insert(rng.randrange(lead, len(paragraphs)), f"Read more: {rng.choice(REPUBLISHERS)} coverage")
    credits: tuple[str, ...] = ()
    place = rng.choice(PLACES)
    if agency is not None:
        credits = (agency,)
        style = rng.randrange(3)
        if style == 0:
            paragraphs[0] = f"{place}: {paragraphs[0]}"
            paragraphs.append(f"— {agency}")
        elif style == 1:
            paragraphs[0] = f"{place} {AGENCIES[agency][1]} - {paragraphs[0]}"
        else:
            paragraphs.append(f"({agency})")
    elif "dateline" in edits:
        paragraphs[0] = f"{place}: {paragraphs[0]}"
    fill = {"outlet": outlet, "year": doc.published.year, "date": doc.published.strftime("%d %B %Y")}
    if "boilerplate" in edits:
        top = rng.sample(BOILERPLATE_TOP, k=rng.randint(0, 2))
        bottom = rng.sample(BOILERPLATE_BOTTOM, k=rng.randint(1, 2))
        paragraphs = [b.format(**fill) for b in top] + paragraphs + [b.format(**fill) for b in bottom]
    elif "teaser" in edits:
        paragraphs.append(rng.choice(("Read more", "Continue reading...", f"Read the full story at {outlet}")))
    if _words("\n".join(paragraphs)) < 45:
        return None
    title = rng.choice(HEADLINE_PREFIXES) + doc.title
    if rng.random() < 0.3:
        title = f"{doc.title} | {outlet}"
    # Copies follow the original, except some teasers (a feed may run ahead of the page) and,
    # in agency groups, some republishers (clocks and time zones disagree).
    delay = timedelta(minutes=rng.randint(5, 600))
    if ("teaser" in edits or agency_copy) and rng.random() < 0.3:
        delay = -timedelta(minutes=rng.randint(1, 60))
    return Doc(
        f"{doc.id}-copy{n}",
        title,
        paragraphs,
        outlet,
        doc.published + delay,
        doc.corpus,
        doc.event,
        credits,
        doc.group,
        {"edits": edits},
    )


# --- The hard cases (the gun-violence pool, police statements, teasers of long reports) --------


def load_pool(shared: Path, gvc_ids: set[str]) -> list[Doc]:
    """The pool's reports of shootings reported more than once, and its long reports, as originals.

    Reports already in the set from the GVC file are not repeated. Their event is their
    incident (``gvc-<incident>``, as the GVC file's): reports of one shooting by several outlets
    are the hard non-duplicates, and the incident split puts them on one side. Long reports
    (``TEASER_SOURCE_WORDS``) of other shootings are kept too: feeds cut teasers of them.
    """
    rng = random.Random(f"{SEED}:pool")
    rows = [json.loads(line) for line in (shared / "clustering" / "gva-pool-train.jsonl").open(encoding="utf-8")]
    reports: dict[str, int] = {}
    for rec in rows:
        reports[rec["incident_id"]] = reports.get(rec["incident_id"], 0) + 1
    docs: list[Doc] = []
    for rec in rows:
        paragraphs = _paragraphs(rec["text"])
        if f"gvc-{rec['doc_id'][:12]}" in gvc_ids or not paragraphs:
            continue
        when = datetime.fromisoformat(rec["date"]).replace(tzinfo=UTC) + timedelta(minutes=rng.randint(360, 1200))
        if reports[rec["incident_id"]] < 2 and _words(rec["text"]) < TEASER_SOURCE_WORDS[0]:
            continue
        docs.append(Doc(f"pool-{rec['doc_id'][:12]}", rec["title"] or "", paragraphs, rec["source"], when, "pool",
                        f"gvc-{rec['incident_id']}"))
    return docs


def cross_event_overlaps(docs: list[Doc], pool: list[Doc]) -> set[str]:
    """Pool reports sharing half of the shorter text with a text of *another* event: failed
    scrapes (a site's notification or cookie template, a page of another story) and round-ups
    carrying another shooting's report. Neither a copy nor a different report: left out.
    """
    owners: dict[tuple[str, ...], set[str]] = {}
    event_of = {d.id: d.event for d in docs + pool}
    sizes = {d.id: len(_shingles(d.text)) for d in docs + pool}
    for d in docs + pool:
        for s in _shingles(d.text):
            owners.setdefault(s, set()).add(d.id)
    left_out: set[str] = set()
    for d in pool:
        shared: dict[str, int] = {}
        for s in _shingles(d.text):
            for other in owners[s]:
                if event_of[other] != d.event:
                    shared[other] = shared.get(other, 0) + 1
        if any(n >= 0.5 * min(sizes[d.id], sizes[other]) for other, n in shared.items()):
            left_out.add(d.id)
    return left_out


def _containment(a: str, b: str) -> float:
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / min(len(sa), len(sb)) if sa and sb else 0.0


# A police statement: a paragraph quoting someone (6+ words in quotation marks) with words that
# attribute it to police or officials; a release: a paragraph of officials' words reported
# without quotation marks ("according to the sheriff's office, deputies ...").
_QUOTED = re.compile(r'["\u201c]([^"\u201c\u201d]{20,}?)["\u201d]')
_OFFICIAL = re.compile(
    r"\b(police|sheriff|officers?|deputies|detectives?|investigators|chief|sgt|lt|spokes(?:man|woman|person)|"
    r"department|authorities|officials|statement|release|prosecutors?|coroner)\b",
    re.IGNORECASE,
)
_REPORTED = re.compile(r"\b(said|says|say|according to|told)\b", re.IGNORECASE)
STATEMENT_SHARE = 0.8  # of incidents reported by two outlets: one report carries the other's police statement
WHO = ("Police", "The sheriff's office", "The police department", "A police spokesman", "Investigators",
       "A police spokeswoman", "Authorities")


def _quoted(paragraph: str) -> bool:
    return 15 <= _words(paragraph) <= 120 and bool(_OFFICIAL.search(paragraph)) and any(
        _words(q) >= 6 for q in _QUOTED.findall(paragraph))


def _release(paragraph: str) -> bool:
    return (15 <= _words(paragraph) <= 80 and bool(_OFFICIAL.search(paragraph)) and bool(_REPORTED.search(paragraph))
            and not _QUOTED.search(paragraph))


def _attributed(quote: str, rng: random.Random) -> str:
    who = rng.choice(WHO)
    lower = who[0].lower() + who[1:] if who.startswith(("The ", "A ")) else who
    return rng.choice((
        f'"{quote}" {lower} said in a statement.',
        f'In a statement, {lower} said: "{quote}"',
        f'{who} released a statement: "{quote}"',
        f'"{quote}" the statement said.',
    ))


def share_statements(docs: list[Doc], rng: random.Random) -> dict[str, int]:
    """In most incidents reported by two outlets, a pool report carries the other's police statement.

    Outlets quote the same statement or paste the same release: the donor's statement
    paragraph verbatim, or its quoted words under an attribution of the recipient's own, or
    (a quarter) a release paragraph reported without quotation marks; with the paragraphs after
    it that are statements or releases too, up to three; inserted after the recipient's lead.
    The two stay different reports (different groups). Only reports sharing under 25% of the
    shorter one's shingles before are paired, and the statement is at most half of the
    donor's text and of the recipient's (each keeps as many words of its own).
    """
    by_event: dict[str, list[Doc]] = {}
    for d in docs:
        if d.corpus in ("gvc", "pool") and d.group == d.id:
            by_event.setdefault(d.event, []).append(d)
    counts = {"quoted": 0, "attributed": 0, "release": 0}
    shares: list[float] = []
    for event in sorted(by_event):
        members = by_event[event]
        if len({d.outlet for d in members}) < 2 or rng.random() >= STATEMENT_SHARE:
            continue
        # A quarter releases, the rest quotes; an incident without reports for the kind drawn has none.
        test = _release if rng.random() < 0.25 else _quoted
        pairs = [(a, b) for a in members if any(map(test, a.paragraphs)) for b in members
                 if b.corpus == "pool" and a.outlet != b.outlet and _containment(a.text, b.text) < 0.25]
        if not pairs:
            continue
        kind = "release" if test is _release else rng.choice(("quoted", "attributed"))
        a, b = rng.choice(pairs)
        first = rng.choice([i for i, p in enumerate(a.paragraphs) if test(p)])
        taken = [first]
        while (len(taken) < 3 and taken[-1] + 1 < len(a.paragraphs) and rng.random() < 0.6
               and (_quoted(a.paragraphs[taken[-1] + 1]) or _release(a.paragraphs[taken[-1] + 1]))):
            taken.append(taken[-1] + 1)
        inserted = [a.paragraphs[i] for i in taken]
        if kind == "attributed":
            inserted = [_attributed(" ".join(q.strip() for q in _QUOTED.findall(p)), rng) if _quoted(p) else p
                        for p in inserted]
        elif kind == "release":
            lead_in = rng.choice(("In a news release, ", "According to a release, ", ""))
            if lead_in and not inserted[0].startswith("According"):
                first_word, _, rest = inserted[0].partition(" ")
                inserted[0] = lead_in + (first_word.lower() if first_word in ("The", "A") else first_word) + " " + rest
        # Each stays a report of its own: the statement is at most half of either text.
        if 2 * _words(" ".join(inserted)) > min(_words(a.text), _words(b.text) + _words(" ".join(inserted))):
            continue
        # A third of the recipients open with the statement, as briefs built on a release do.
        at = 0 if rng.random() < 1 / 3 else rng.randint(_lead_end(b.paragraphs), len(b.paragraphs))
        b.paragraphs[at:at] = inserted
        b.extra |= {"statement_from": a.id, "statement": kind, "statement_first": at == 0}
        shares.append(_containment(a.text, b.text))
        counts[kind] += 1
    shares.sort()
    return {"statement_pairs": len(shares), **{f"statement_pairs_{k}": v for k, v in counts.items()},
            "statement_pairs_share_median_pct": round(100 * shares[len(shares) // 2]) if shares else 0,
            "statement_pairs_share_ge_40pct": sum(1 for x in shares if x >= 0.4)}


class _Others:
    """Which originals hold a text's shingles: a copy mostly found in another group's original is
    as much a copy of that one (a lead two reports share), so it is not made."""

    def __init__(self, docs: list[Doc]) -> None:
        self._groups: dict[tuple[str, ...], set[str]] = {}
        for d in docs:
            for s in _shingles(d.text):
                self._groups.setdefault(s, set()).add(d.group)

    def ambiguous(self, copy: Doc) -> bool:
        mine = _shingles(copy.text)
        shared: dict[str, int] = {}
        for s in mine:
            for group in self._groups.get(s, ()):
                if group != copy.group:
                    shared[group] = shared.get(group, 0) + 1
        return bool(mine) and max(shared.values(), default=0) >= 0.5 * len(mine)


def _rewritten_headline(doc: Doc, others: list[Doc], rng: random.Random) -> str:
    """Another outlet's headline of the same event, else the original's, edited."""
    titles = [o.title for o in others if o.title and o.title != doc.title]
    if titles and rng.random() < 0.6:
        return rng.choice(sorted(titles))
    words = doc.title.split()
    if len(words) > 6 and rng.random() < 0.5:
        words = words[: rng.randint(4, len(words) - 2)]
    return rng.choice(("UPDATE: ", "Police: ", "", "WATCH: ")) + " ".join(words)


POOL_COPY_SHARE = 0.35


def pool_copies(docs: list[Doc], records: list[Doc], rng: random.Random) -> dict[str, int]:
    """Copies of pool reports, edited as ``make_copy`` edits; some open with a rewritten headline line."""
    by_event: dict[str, list[Doc]] = {}
    for d in docs:
        by_event.setdefault(d.event, []).append(d)
    made = headlines = left_out = 0
    others = _Others(docs)
    for doc in docs:
        if doc.corpus != "pool" or doc.group != doc.id:
            continue
        if not MIN_COPY_SOURCE_WORDS <= _words(doc.text) <= MAX_COPY_SOURCE_WORDS or rng.random() >= POOL_COPY_SHARE:
            continue
        for n in range(1, rng.randint(1, 2) + 1):
            copy = make_copy(doc, n, rng, None, False)
            if copy is None:
                continue
            if rng.random() < 0.4:  # the page's own headline, rewritten, as the text's first line
                copy.title = _rewritten_headline(doc, by_event[doc.event], rng)
                copy.paragraphs.insert(0, copy.title)
                copy.extra["edits"].append("headline")
            if others.ambiguous(copy):
                left_out += 1
                continue
            headlines += "headline" in copy.extra["edits"]
            records.append(copy)
            made += 1
    return {"pool_copies": made, "pool_copies_with_headline_line": headlines,
            "pool_copies_ambiguous_left_out": left_out}


TEASER_SOURCE_WORDS = (500, 1200)
TEASER_WORDS = (90, 120)
TEASER_SHARE = 0.8
_SENTENCE_END = re.compile(r"[.!?][\"\u201d\u2019']?(?=\s)")
BYLINES = ("By Staff Reporter", "By {outlet} Staff", "By Associated Press", "By Web Staff")


def _cut(text: str, target: int, rng: random.Random) -> str:
    """``text`` cut after about ``target`` words: at the sentence end nearest, else mid-sentence with an ellipsis."""
    ends = [m.end() for m in _WORD.finditer(text)]
    if len(ends) <= target:
        return text
    at = ends[target - 1]
    if rng.random() < 0.5:
        stops = [m.end() for m in _SENTENCE_END.finditer(text)]
        near = [e for e in stops if TEASER_WORDS[0] <= _words(text[:e]) <= TEASER_WORDS[1]]
        if near:
            return text[: min(near, key=lambda e: abs(e - at))]
    return text[:at] + rng.choice(("\u2026", "...", " [\u2026]", " ..."))


def make_long_teaser(doc: Doc, rng: random.Random, others: list[Doc]) -> Doc:
    """A feed teaser of 90-120 words of a long report, as feeds and aggregators cut them.

    The report's opening (sometimes from its second or third paragraph: see below),
    kept in paragraphs or run into one, cut at a sentence end or mid-sentence; sometimes a
    headline, byline or dateline line first; a "Read more" / "The post ... appeared first on"
    line last, or nothing.
    """
    outlet = rng.choice(REPUBLISHERS)
    paragraphs = list(doc.paragraphs)
    # Where the feed's text starts: a page's extracted text often opens with lines the feed
    # does not carry (photo captions, headline and standfirst lines, "Related coverage" links,
    # video text; real ones in the corpora look like that), so 40% of teasers start at the
    # page's second or third paragraph.
    skipped = rng.choices((0, 1, 2), weights=(60, 25, 15))[0]
    while skipped and _words(" ".join(paragraphs[skipped:])) < 2 * TEASER_WORDS[1]:
        skipped -= 1
    target = rng.randint(*TEASER_WORDS)
    body: list[str] = []
    for paragraph in paragraphs[skipped:]:
        body.append(paragraph)
        if _words(" ".join(body)) >= target:
            break
    joined = rng.random() < 0.5  # a feed's description is often one block of text
    text = _cut((" " if joined else "\n\n").join(body), target, rng)
    teaser = [text] if joined else _paragraphs(text)
    edits = ["teaser-long"] + (["joined"] if joined else []) + (["top-lines-skipped"] if skipped else [])
    first = rng.random()
    title = doc.title
    if first < 0.2:
        title = _rewritten_headline(doc, others, rng)
        teaser.insert(0, title)
        edits.append("headline")
    elif first < 0.35:
        teaser.insert(0, rng.choice(BYLINES).format(outlet=outlet))
    elif first < 0.5:
        teaser[0] = f"{rng.choice(PLACES)} \u2014 {teaser[0]}"
    last = rng.random()
    if last < 0.25:
        teaser.append(rng.choice(("Read more", "Continue reading", "Read the full story")))
    elif last < 0.45:
        teaser.append(f"The post {doc.title} appeared first on {outlet}.")
    elif last < 0.6:
        teaser[-1] += " Read more \u00bb"
    delay = timedelta(minutes=rng.randint(-60, 600))
    return Doc(f"{doc.id}-teaser", title, teaser, outlet, doc.published + delay, doc.corpus, doc.event, (),
               doc.group, {"edits": edits})


def long_teasers(docs: list[Doc], records: list[Doc], rng: random.Random) -> dict[str, int]:
    """A 90-120-word teaser of most long reports (500-1,200 words), of every corpus."""
    by_event: dict[str, list[Doc]] = {}
    for d in docs:
        by_event.setdefault(d.event, []).append(d)
    made = left_out = 0
    others = _Others(docs)
    for doc in docs:
        if doc.group != doc.id or not TEASER_SOURCE_WORDS[0] <= _words(doc.text) <= TEASER_SOURCE_WORDS[1]:
            continue
        if rng.random() >= TEASER_SHARE:
            continue
        teaser = make_long_teaser(doc, rng, by_event[doc.event])
        if others.ambiguous(teaser):
            left_out += 1
            continue
        records.append(teaser)
        made += 1
    return {"long_teasers": made, "long_teasers_ambiguous_left_out": left_out}


def build(shared: Path) -> tuple[list[Doc], dict[str, int]]:
    rng = random.Random(SEED)
    docs = load(shared, rng)
    # The gun-violence pool's reports come after the other corpora's, with their own random
    # streams, so the records built before the pool was added are unchanged (same bytes).
    pool = load_pool(shared, {d.id for d in docs if d.corpus == "gvc"})
    scrapes = cross_event_overlaps(docs, pool)
    pool = [d for d in pool if d.id not in scrapes]
    old_ids = {d.id for d in docs}
    docs += pool
    merged, ambiguous = label_real_copies(docs)
    docs = [d for d in docs if d.id not in ambiguous]
    kept = {d.id for d in docs}
    new_root: dict[str, str] = {}
    for d in docs:  # a group whose first text was left out is led by its next one
        if d.group not in kept:
            d.group = new_root.setdefault(d.group, d.id)
    records = list(docs)
    old_docs = [d for d in docs if d.corpus != "pool"]
    stats = {"originals": len(docs), "real_copies_in_corpora": merged, "partial_rewrites_left_out": len(ambiguous),
             "pool_originals": len(docs) - len(old_docs), "pool_cross_event_overlaps_left_out": len(scrapes),
             "pool_partial_rewrites_left_out": len(ambiguous - old_ids)}
    for doc in old_docs:
        if doc.group != doc.id or not MIN_COPY_SOURCE_WORDS <= _words(doc.text) <= MAX_COPY_SOURCE_WORDS:
            continue
        if rng.random() >= COPY_SHARE[doc.corpus]:
            continue
        agency = rng.choice(sorted(AGENCIES)) if rng.random() < AGENCY_GROUP_SHARE else None
        agency_copy = agency is not None and rng.random() < 0.7  # the agency's own copy is the original
        for n in range(1, rng.randint(1, 3) + 1):
            copy = make_copy(doc, n, rng, agency, agency_copy)
            if copy is not None:
                records.append(copy)
        if agency is not None:
            doc.credits = (agency,)
            if agency_copy:
                doc.outlet = AGENCIES[agency][0]
                doc.paragraphs[0] = f"{rng.choice(PLACES)} {AGENCIES[agency][1]} - {doc.paragraphs[0]}"
    stats["copies_before_pool"] = len(records) - len(docs)
    stats |= share_statements(docs, random.Random(f"{SEED}:statements"))
    stats |= pool_copies(docs, records, random.Random(f"{SEED}:pool-copies"))
    stats |= long_teasers(docs, records, random.Random(f"{SEED}:teasers"))
    random.Random(f"{SEED}:order").shuffle(records)
    stats["copies_made"] = len(records) - len(docs)
    stats["records"] = len(records)
    return records, stats


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=root / "data" / "corpora")
    parser.add_argument("--out", type=Path, default=root / "data" / "quality" / "dedupe.jsonl")
    args = parser.parse_args(argv)
    records, stats = build(args.corpora)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for d in records:
            row = {
                "id": d.id,
                "text": d.text,
                "title": d.title,
                "outlet": d.outlet,
                "credits": list(d.credits),
                "published": d.published.isoformat(),
                "group": d.group,
                "event": d.event,
                "made": d.extra,  # how a copy was made ("edits"), whose statement an original carries
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(stats | {"bytes": args.out.stat().st_size}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
