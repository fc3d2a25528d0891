"""Build data/quality/dedupe.jsonl: a labelled set of copies and hard non-duplicates.

Originals are real news texts from data/corpora (Wikinews, ECB+, GVC). Copies are made from
them the way outlets republish: boilerplate above and below, feed teasers, rewritten
headlines, dropped or reordered paragraphs, other datelines, agency credits, "Read more"
lines. Hard non-duplicates come free: ECB+ subtopics and GVC incidents hold several different
reports of one event, and every one of them is in the set as its own original.

Each record: {id, text, title, outlet, credits, published, group, event}; ``group`` is the id of
the original the record copies (its own id for an original); ``event`` is the event it reports
(``ecb-<subtopic>``, ``gvc-<incident>``, or ``wiki-<year>-<n>`` for a Wikinews article), which
``storyline.evaluate.splits.dedupe_part`` cuts into the part thresholds are tuned on and the
part only the gate scores. Originals of the shared corpora that
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
    copy nor a different report, so the later one is left out of the set.
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
                if small < 36 or b.group != b.id:
                    continue
                shared = len(sets[a.id] & sets[b.id]) / small
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


def build(shared: Path) -> tuple[list[Doc], dict[str, int]]:
    rng = random.Random(SEED)
    docs = load(shared, rng)
    merged, ambiguous = label_real_copies(docs)
    docs = [d for d in docs if d.id not in ambiguous]
    kept = {d.id for d in docs}
    new_root: dict[str, str] = {}
    for d in docs:  # a group whose first text was left out is led by its next one
        if d.group not in kept:
            d.group = new_root.setdefault(d.group, d.id)
    records = list(docs)
    stats = {"originals": len(docs), "real_copies_in_corpora": merged, "partial_rewrites_left_out": len(ambiguous)}
    for doc in docs:
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
    rng.shuffle(records)
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
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(stats | {"bytes": args.out.stat().st_size}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
