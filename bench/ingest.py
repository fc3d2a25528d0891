"""End-to-end ingest of local HTML pages: extract -> dedupe -> embed -> cluster -> store.

    .venv/bin/python bench/ingest.py                  # 2,000 pages (the default)
    .venv/bin/python bench/ingest.py --n 5000         # larger
    .venv/bin/python bench/ingest.py --no-baseline    # stories only

Writes N news pages as .html files to a temp folder, then imports the folder the way
``storyline import`` does (``make_app`` on a fresh SQLite store, ``Storyline.import_paths``,
which returns once every article has its story, then ``close``), each measurement in a fresh
process so that startup and peak memory are its own:

- stories: the default settings (stories on, the bundled ONNX embedder): extract, normalize,
  store, fold copies, embed, cluster;
- baseline: the same with ``stories = false`` (extract, normalize, store, fold copies), so the
  difference is what embedding and clustering cost.

Pages are synthesised from the clustering corpora in data/corpora/clustering (ECB+ and GVC,
whose documents come in groups reporting one event): an event takes a group, and each of its
articles is one of the group's documents with a fifth of its sentences dropped, as a page of
one of a dozen outlets (doctype, head with title, og: and article:published_time metas,
canonical link, header, navigation, cookie banner, byline, related links, footer). Events have
1 to 15 articles (about 3 on average: many groups are small), published over ``--days``; once
every group has been used, groups are used again with their names, weekdays, figures and some
common words replaced by the event's own (look-alike events). 10% of the pages are near-copies
of an earlier page, carried by another outlet: same body with a dateline and agency credit, a
"Read more" line, or a paragraph dropped. The corpus holds copies of its own (about 4% of its
documents), so somewhat more pages are folded than were planted. Pages are named in
publication order (the order they are imported in). Everything is seeded: the same N gives
the same pages.

The clock runs around ``import_paths``: the store phase (until the last page is stored and
handed to the story stage, which embeds and clusters in a background thread meanwhile) and
the wait for the story stage to finish; opening the store and ``close`` are timed apart.
Prints a readable line per measurement and then one JSON object: articles/s, inserted and
failed pages, copies folded (and how many of them were the planted ones), stories made (and
their pairwise precision and recall against the planted events, a sanity check), CPU seconds
of the main thread and of the whole process, time in the embedder, and peak resident memory
(VmHWM) of the importing process.

Target (issue 6): >= 100 articles/s end to end on two cores.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from procmem import memory_mb

DATA = Path(__file__).resolve().parents[1] / "data" / "corpora" / "clustering"
SEED = 20_251_106
COPY_SHARE = 0.10
_PARAGRAPHS = re.compile(r"\n+")
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[\"“A-Z0-9])")
_WORD = re.compile(r"\b[A-Za-z]+\b")
_DIGITS = re.compile(r"\b\d+\b")
# Capitalised words a look-alike event keeps (the rest are names: each gets one of the event's own).
_KEEP = frozenset((
    "A", "About", "After", "All", "Also", "An", "And", "As", "At", "Before", "But", "By", "For", "From", "He",
    "Her", "His", "How", "I", "If", "In", "It", "Its", "Many", "Mr", "Mrs", "Ms", "No", "Not", "Now", "Of", "On",
    "One", "Once", "She", "So", "Some", "That", "The", "Their", "Then", "There", "These", "They", "This", "Those",
    "Three", "To", "Two", "Up", "We", "What", "When", "Where", "While", "Who", "Why", "With", "Yet", "You"
))
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Common news words a look-alike event words its own way (one choice per event).
_SYNONYMS = tuple(tuple(group.split("/")) for group in (
    "said/stated/added/noted", "police/officers/authorities/investigators", "people/residents/locals/victims",
    "killed/slain/murdered", "shooting/attack/incident", "shot/wounded/hit", "home/house/residence",
    "man/suspect/resident", "family/relatives/parents", "found/discovered/located", "died/perished/succumbed",
    "death/killing/loss", "officials/authorities/spokesmen", "told/informed/assured", "year/season/period",
    "night/evening/hours", "scene/site/area", "hospital/clinic/center", "company/firm/group",
    "announced/revealed/confirmed",
))
_URL_NUMBER = re.compile(r"-(\d+)$")
_SYLLABLES = ("al", "ber", "cor", "dun", "el", "far", "gal", "har", "il", "jar", "kel", "lin", "mor", "nar",
              "ok", "pen", "quor", "ry", "sel", "tor", "ul", "ven", "wick", "yar", "zan")
_AUTHORS = ("Maria Okafor", "James Lindqvist", "Priya Raman", "Tom Hadley", "Elena Voss", "Sam Whitaker",
            "Aiko Tanaka", "Daniel Ortega", "Grace Mbeki", "Lukas Brandt", "Nora Flynn", "Omar Haddad")
_CITIES = ("LONDON", "NEW YORK", "LOS ANGELES", "WASHINGTON", "PARIS", "SYDNEY", "CHICAGO", "TORONTO")
_AGENCIES = ("Reuters", "AP", "AFP")
_SECTIONS = ("World", "Politics", "Business", "Tech", "Science", "Sport", "Culture", "Opinion")


@dataclass(frozen=True, slots=True)
class Outlet:
    """A site: its name, domain and its own boilerplate."""

    name: str
    domain: str


OUTLETS = tuple(Outlet(name, domain) for name, domain in (
    ("The Harbour Courier", "harbourcourier.example"), ("Daily Meridian", "dailymeridian.example"),
    ("Northgate Post", "northgatepost.example"), ("The Lantern", "thelantern.example"),
    ("Capital Ledger", "capitalledger.example"), ("Riverside Times", "riversidetimes.example"),
    ("Global Dispatch", "globaldispatch.example"), ("The Evening Signal", "eveningsignal.example"),
    ("Metro Wire", "metrowire.example"), ("Coastline News", "coastlinenews.example"),
    ("The Civic Record", "civicrecord.example"), ("Summit Herald", "summitherald.example"),
))


@dataclass(frozen=True, slots=True)
class Doc:
    """A corpus document: its title, its paragraphs (lists of sentences) and its group (one event)."""

    title: str
    paragraphs: tuple[tuple[str, ...], ...]
    group: str


@dataclass(slots=True)
class Page:
    """One synthetic page before it is written."""

    number: int
    event: int
    copy_of: int | None
    outlet: Outlet
    published: datetime
    title: str
    paragraphs: list[str]
    author: str
    extra: list[str] = field(default_factory=list)  # lines after the body ("Read more")


def corpus_docs() -> list[Doc]:
    """Every corpus document with a body of some length, in file order."""
    docs = []
    for name in ("ecbplus.jsonl", "gvc-train-dev.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if "incident_id" in record:
                group, title = f"gvc:{record['incident_id']}", record.get("title") or ""
            else:
                group, title = f"ecb:{record['topic']}:{record['subtopic']}", record.get("title_guess") or ""
            paragraphs = tuple(tuple(s.strip() for s in _SENTENCES.split(p) if s.strip())
                               for p in _PARAGRAPHS.split(record["text"]) if p.strip())
            if sum(len(s.split()) for p in paragraphs for s in p) < 60:
                continue
            if not title.strip():
                title = " ".join(paragraphs[0][0].split()[:12]).rstrip(".,;:")
            docs.append(Doc(" ".join(title.split()), paragraphs, group))
    return docs


def _renamer(rng: random.Random) -> Callable[[str], str]:
    """A look-alike event's own names, weekdays, figures and wording (the same in all its articles)."""
    names: dict[str, str] = {}
    weekdays = dict(zip(_WEEKDAYS, rng.sample(_WEEKDAYS, len(_WEEKDAYS)), strict=True))
    words = {word: rng.choice(group) for group in _SYNONYMS for word in group}
    shift = rng.randint(1, 9)

    def word(match: re.Match[str]) -> str:
        text = match.group()
        if text in words:
            return words[text]
        if not text[0].isupper() or text in _KEEP:
            return text
        if text in weekdays:
            return weekdays[text]
        if text not in names:
            names[text] = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        return names[text]

    def rename(text: str) -> str:
        return _WORD.sub(word, _DIGITS.sub(lambda m: str(int(m.group()) + shift), text))

    return rename


def _body(rng: random.Random, doc: Doc, keep: float) -> list[str]:
    """The document's paragraphs with some sentences dropped (the lead stays)."""
    out = []
    for i, paragraph in enumerate(doc.paragraphs):
        kept = [s for j, s in enumerate(paragraph) if (i == 0 and j == 0) or rng.random() < keep]
        if kept:
            out.append(" ".join(kept))
    return out


def make_pages(n: int, days: float, seed: int = SEED) -> list[Page]:
    """``n`` pages in publication order (see the module docstring)."""
    rng = random.Random(seed)
    docs = corpus_docs()
    groups: dict[str, list[Doc]] = {}
    for doc in docs:
        groups.setdefault(doc.group, []).append(doc)
    order = sorted(groups)
    rng.shuffle(order)
    start = datetime(2024, 3, 1, 6, tzinfo=UTC)
    originals = n - round(n * COPY_SHARE)
    pages: list[Page] = []
    event = 0
    while len(pages) < originals:
        group = groups[order[event % len(order)]]
        rename = _renamer(rng) if event >= len(order) else (lambda text: text)
        size = min(originals - len(pages), len(group), 15, 2 + int(rng.expovariate(1 / 4)))
        begins = start + timedelta(days=rng.uniform(0, days))
        for doc in rng.sample(group, size):
            pages.append(Page(0, event, None, rng.choice(OUTLETS),
                              begins + timedelta(hours=rng.expovariate(1 / 10)),
                              rename(doc.title), [rename(p) for p in _body(rng, doc, 0.8)], rng.choice(_AUTHORS)))
        event += 1
    for _ in range(n - originals):
        original = pages[rng.randrange(originals)]
        outlet = rng.choice([o for o in OUTLETS if o != original.outlet])
        body = list(original.paragraphs)
        edit = rng.randrange(3)
        if edit == 0:  # the wire's dateline and credit
            body[0] = f"{rng.choice(_CITIES)} ({rng.choice(_AGENCIES)}) — {body[0]}"
        elif edit == 1 and len(body) > 2:  # cut to fit
            del body[rng.randrange(1, len(body))]
        extra = [f"Read more: {rng.choice(pages).title}"] if rng.random() < 0.6 else []
        pages.append(Page(0, original.event, id(original), outlet,
                          original.published + timedelta(hours=rng.uniform(0.5, 12)),
                          original.title, body, rng.choice(_AUTHORS), extra))
    pages.sort(key=lambda p: p.published)
    number_of = {id(p): i for i, p in enumerate(pages)}
    for i, page in enumerate(pages):
        page.number = i
        if page.copy_of is not None:
            page.copy_of = number_of[page.copy_of]
    return pages


def page_url(page: Page) -> str:
    slug = "-".join(re.findall(r"[a-z0-9]+", page.title.lower())[:8]) or "story"
    return f"https://{page.outlet.domain}/{page.published:%Y/%m/%d}/{slug}-{page.number}"


def page_html(page: Page, rng: random.Random, headlines: list[str]) -> str:
    """The page as a news site serves it."""
    e = html.escape
    outlet, url, when = page.outlet, page_url(page), page.published.isoformat().replace("+00:00", "Z")
    nav = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in _SECTIONS)
    related = "".join(f'<li><a href="https://{outlet.domain}/2024/{i}">{e(h)}</a></li>'
                      for i, h in enumerate(rng.sample(headlines, 4)))
    paragraphs = "\n".join(f"<p>{e(p)}</p>" for p in page.paragraphs)
    extra = "\n".join(f'<p class="more"><a href="https://{outlet.domain}/more">{e(x)}</a></p>' for x in page.extra)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(page.title)} | {e(outlet.name)}</title>
<link rel="canonical" href="{url}">
<link rel="stylesheet" href="https://{outlet.domain}/static/site.css">
<meta property="og:site_name" content="{e(outlet.name)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{e(page.title)}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{when}">
<meta name="author" content="{e(page.author)}">
<meta name="description" content="{e(page.paragraphs[0][:200])}">
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"section": "news"}});</script>
</head>
<body class="article-page">
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
<header class="site-header"><a class="logo" href="/">{e(outlet.name)}</a>
<nav><ul>{nav}</ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search {e(outlet.name)}"></form>
</header>
<main>
<article>
<h1>{e(page.title)}</h1>
<p class="byline">By <a rel="author" href="/authors/{page.author.split()[-1].lower()}">{e(page.author)}</a>
· <time datetime="{when}">{page.published:%d %B %Y, %H:%M} UTC</time></p>
{paragraphs}
{extra}
</article>
<aside class="related"><h2>More from {e(outlet.name)}</h2><ul>{related}</ul></aside>
<div class="newsletter"><h2>Get the morning briefing</h2><p>Sign up for our daily newsletter.</p>
<form><input type="email" placeholder="Your email"><button>Sign up</button></form></div>
</main>
<footer class="site-footer"><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
<li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li></ul>
<p>© 2024 {e(outlet.name)}. All rights reserved.</p></footer>
</body>
</html>
"""


def write_pages(pages: list[Page], folder: Path) -> int:
    """Write the pages as ``NNNNNN.html`` (publication order); returns their total size in bytes."""
    rng = random.Random(SEED + 1)
    headlines = sorted({p.title for p in pages})
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for page in pages:
        data = page_html(page, rng, headlines).encode("utf-8")
        (folder / f"{page.number:06d}.html").write_bytes(data)
        total += len(data)
    return total


def _child(folder: str, home: str, stories: bool) -> None:
    """One measurement, in this fresh process: import ``folder`` into a new store; prints one JSON object."""
    began = time.perf_counter()
    from storyline.app import make_app
    from storyline.config import load_settings
    from storyline.logs import configure_logging

    configure_logging("warning")
    imported = time.perf_counter() - began
    settings = load_settings({"home": home, "stories": str(stories).lower(), "load_sample": "false"}, environ={})
    marks: dict[str, float] = {}
    embed_seconds = [0.0, 0]
    t0 = time.perf_counter()
    app = make_app(settings)
    opened = time.perf_counter() - t0
    wait = app.ingest.drain

    def timed_wait() -> None:  # the store phase ends here; what follows is the story stage catching up
        marks["stored"], marks["stored_thread_cpu"] = time.perf_counter(), time.thread_time()
        wait()

    app.ingest.drain = timed_wait  # type: ignore[method-assign]
    if stories:
        assigner = app.stories
        assert assigner is not None
        embed = assigner._embed

        def timed_embed(batch: Any) -> Any:
            t = time.perf_counter()
            try:
                return embed(batch)
            finally:
                embed_seconds[0] += time.perf_counter() - t
                embed_seconds[1] += len(batch)

        assigner._embed = timed_embed  # type: ignore[method-assign]
    cpu, thread_cpu, t1 = time.process_time(), time.thread_time(), time.perf_counter()
    report = app.import_paths([Path(folder)])
    seconds = time.perf_counter() - t1
    cpu, thread_cpu = time.process_time() - cpu, time.thread_time() - thread_cpu
    t2 = time.perf_counter()
    app.close()
    closed = time.perf_counter() - t2
    print(json.dumps({
        "seconds": seconds,
        "store_phase_s": marks["stored"] - t1,
        "story_wait_s": t1 + seconds - marks["stored"],
        "import_modules_s": imported,
        "open_s": opened,
        "close_s": closed,
        "cpu_s": {"process": cpu, "main_thread": thread_cpu},
        "embed_s": embed_seconds[0],
        "embedded": embed_seconds[1],
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "failed": len(report.failures),
        "failures": [f"{f.origin}: {f.reason}" for f in report.failures[:5]],
        "peak_rss_mb": memory_mb(),
    }))


def _pairs(counts: Counter[Any]) -> int:
    return sum(c * (c - 1) // 2 for c in counts.values())


def store_counts(db: Path, pages: list[Page]) -> dict[str, Any]:
    """What the store holds after a run, checked against the planted events and copies."""
    with sqlite3.connect(db) as conn:
        number_of = {}
        for article_id, url in conn.execute("SELECT id, canonical_url FROM articles"):
            match = _URL_NUMBER.search(url.rstrip("/"))
            if match:
                number_of[article_id] = int(match.group(1))
        folded = [(number_of.get(a), number_of.get(d)) for a, d in
                  conn.execute("SELECT article_id, duplicate_of FROM duplicates WHERE duplicate_of IS NOT NULL")]
        story_of = {number_of.get(a): s for a, s in conn.execute("SELECT article_id, story_id FROM story_articles")}
    planted = sum(p.copy_of is not None for p in pages)
    out: dict[str, Any] = {
        "articles_stored": len(number_of),
        "copies": {"planted": planted, "folded": len(folded),
                   "folded_planted": sum(a is not None and pages[a].copy_of is not None for a, _ in folded)},
    }
    if story_of:
        event_of = {p.number: p.event for p in pages}
        joint = Counter((story_of[k], event_of[k]) for k in story_of if k is not None)
        same_story = _pairs(Counter(story_of[k] for k in story_of if k is not None))
        same_event = _pairs(Counter(event_of[k] for k in story_of if k is not None))
        both = _pairs(joint)
        out["stories"] = {
            "made": len(set(story_of.values())),
            "planted_events": len({p.event for p in pages}),
            "with_2_or_more": sum(c > 1 for c in Counter(story_of.values()).values()),
            "pair_precision": round(both / same_story, 3) if same_story else None,
            "pair_recall": round(both / same_event, 3) if same_event else None,
        }
    return out


def measure(folder: Path, home: Path, pages: list[Page], *, stories: bool) -> dict[str, Any]:
    """Run one measurement in a fresh process and add what the store holds."""
    done = subprocess.run([sys.executable, __file__, "--child", str(folder), str(home), str(int(stories))],
                          check=True, stdout=subprocess.PIPE, text=True)
    child = json.loads(done.stdout.strip().splitlines()[-1])
    n = len(pages)
    result: dict[str, Any] = {
        "run": "stories" if stories else "baseline (stories off)",
        "articles": n,
        "seconds": round(child["seconds"], 2),
        "articles_per_s": round(n / child["seconds"], 1),
        "store_phase_s": round(child["store_phase_s"], 2),
        "story_wait_s": round(child["story_wait_s"], 2),
        "open_s": round(child["open_s"], 2),
        "close_s": round(child["close_s"], 2),
        "import_modules_s": round(child["import_modules_s"], 2),
        "cpu_ms_per_article": {k: round(v / n * 1000, 2) for k, v in child["cpu_s"].items()},
        "inserted": child["inserted"],
        "failed": child["failed"],
        "peak_rss_mb": round(child["peak_rss_mb"], 1),
    }
    if child["updated"] or child["unchanged"]:
        result["updated"], result["unchanged"] = child["updated"], child["unchanged"]
    if child["failures"]:
        result["failures_first"] = child["failures"]
    if stories:
        result["embed"] = {"seconds": round(child["embed_s"], 2), "texts": child["embedded"],
                           "texts_per_s": round(child["embedded"] / child["embed_s"], 1) if child["embed_s"] else None}
    result.update(store_counts(home / "storyline.db", pages))
    return result


def _line(r: dict[str, Any]) -> str:
    text = (f"{r['run']}: {r['articles']} pages in {r['seconds']} s = {r['articles_per_s']} articles/s "
            f"(store phase {r['store_phase_s']} s, then waiting for stories {r['story_wait_s']} s); "
            f"inserted {r['inserted']}, failed {r['failed']}; copies folded {r['copies']['folded']} "
            f"({r['copies']['folded_planted']} of {r['copies']['planted']} planted)")
    if "stories" in r:
        s = r["stories"]
        text += (f"; {s['made']} stories for {s['planted_events']} planted events (pair precision "
                 f"{s['pair_precision']}, recall {s['pair_recall']}); embedder {r['embed']['seconds']} s for "
                 f"{r['embed']['texts']} texts")
    return text + f"; CPU {r['cpu_ms_per_article']} ms/article; peak RSS {r['peak_rss_mb']} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="pages (default 2,000)")
    parser.add_argument("--days", type=float, default=7.0, help="days the pages' publication covers (default 7)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run with stories off")
    parser.add_argument("--child", nargs=3, metavar=("FOLDER", "HOME", "STORIES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        folder, home, stories = args.child
        _child(folder, home, stories == "1")
        return
    with tempfile.TemporaryDirectory(prefix="storyline-bench-ingest-") as tmp:
        t = time.perf_counter()
        pages = make_pages(args.n, args.days)
        size = write_pages(pages, Path(tmp) / "pages")
        print(f"wrote {len(pages)} pages ({size / 1e6:.1f} MB, {len({p.event for p in pages})} events, "
              f"{sum(p.copy_of is not None for p in pages)} near-copies) in {time.perf_counter() - t:.1f} s",
              file=sys.stderr, flush=True)
        results = []
        for stories in (True, False) if not args.no_baseline else (True,):
            before = os.getloadavg()[0]
            result = measure(Path(tmp) / "pages", Path(tmp) / ("home-stories" if stories else "home-baseline"),
                             pages, stories=stories)
            # The load average over the run (1-minute, before and after): other work skews every number.
            result["load"] = [round(before, 2), round(os.getloadavg()[0], 2)]
            print(_line(result) + f"; load {result['load'][0]:.2f} -> {result['load'][1]:.2f}", flush=True)
            results.append(result)
    summary: dict[str, Any] = {"bench": "ingest.end_to_end", "articles": args.n, "cores": os.cpu_count(),
                               "runs": results, "target": {"articles_per_s": 100}}
    if len(results) == 2:
        with_stories, baseline = results
        summary["stories_cost_ms_per_article"] = round(
            (with_stories["seconds"] - baseline["seconds"]) / args.n * 1000, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
