"""Heuristics as data for aggregator text dumps (see :mod:`storyline.extract.textdump`).

A text dump is the plain text of a scraped aggregator page: the title printed twice, the
outlet, a relative time glued to an icon name ("time11 minutes ago"), the body, UI boxes
(AI features, comments, app badges) and "Related Articles" printed in full. Everything
the extractor recognises is listed here; a new aggregator's furniture should only need a
new pattern here, with a test case beside it in tests/test_extract_textdump.py.

Line patterns are matched against a whole stripped line, case-insensitively.
"""

from __future__ import annotations

import re


def _lines(*patterns: str) -> re.Pattern[str]:
    """One case-insensitive pattern that must match a whole line."""
    return re.compile(r"(?:" + "|".join(patterns) + r")\s*[:.!…]*", re.I)


# -- page zones --------------------------------------------------------------------------------

# Headings that open the list of related articles printed in full.
RELATED_MARKERS = _lines(
    r"related (?:articles|stories|news|coverage|content|reading|posts)",
    r"more (?:on|about) this (?:story|topic)",
    r"you (?:may|might) also (?:like|be interested in)",
    r"recommended(?: for you| stories| articles| reading)?",
    r"more stories", r"further reading",
)
# The comments box: its lines are never article text, and readers' comments are not either.
COMMENT_LINES = _lines(
    r"comments?(?: \(\d+\))?", r"\d+ comments?", r"no comments(?: yet)?",
    r"be the first to comment", r"(?:leave|add|post|write) a comment", r"log ?in to (?:comment|reply)",
    r"show comments", r"view comments",
)
# Aggregator-specific feature boxes ("Try Our AI Features / Explore what Daily8 AI can do").
FEATURE_BOX_LINES = _lines(
    r"try our ai features?", r"explore what .{1,60} can do for you", r"ask (?:our )?ai(?: about this)?",
    r"ai summary", r"key takeaways by ai",
)
# App promotion and the legal footer: they close the page.
APP_LINES = _lines(
    r"download (?:the|our) app", r"get (?:the|our) (?:\w+ ){0,2}app", r"get started now: download (?:the|our) app",
    r"open in (?:the )?app", r"(?:download on|available on) the app store", r"get it on google play",
    r"\S*app-?store\S*", r"\S*play-?store\S*", r"google play", r"app store",
    # "Ready to dive into ...? Download Daily8 app today from your preferred app store ..."
    r"[^?]{1,120}\? download .{1,60}\bapp\b.{0,120}",
)
LEGAL_LINES = _lines(
    r"(?:©|\(c\)|copyright) .{0,80}", r"all rights reserved", r"privacy policy", r"terms of (?:use|service)",
    r"cookie (?:policy|settings)", r"about us", r"contact us",
)
# Lines dropped wherever they appear: share bars, follow / newsletter prompts, navigation,
# the alt text of decorative images ("logo", "Orange background").
FURNITURE_LINES = _lines(
    r"(?:\w+ )?logo", r"(?:\w+ )?(?:banner|icon|avatar|placeholder|thumbnail)(?: image)?",
    # Only coloured backgrounds: "Background" alone is a common sub-heading.
    r"(?:(?:dark|light|pale|bright) )?(?:orange|red|blue|green|yellow|purple|pink|grey|gray|white|black|brown)"
    r" background",
    r"share(?: this| the)?(?: article| story| post| page)?(?: (?:on|via) .{1,30})?", r"shares?",
    r"(?:sign up|subscribe)(?: (?:for|to))?(?: (?:our|the))?(?: \w+){0,3} newsletters?(?: here)?",
    r"(?:sign up|subscribe|log ?in|sign in|register)(?: now| here| for free)?",
    r"follow us(?: on .{1,40})?", r"follow(?: \w+){0,3} on (?:google news|x|twitter|facebook|instagram)",
    r"listen to (?:this|the) (?:article|story)(?: \(?\d+ min(?:ute)?s?\)?)?", r"\d+ min(?:ute)? read",
    r"advertisement", r"sponsored(?: content)?", r"ad", r"skip to (?:main )?content", r"menu", r"search",
    r"home", r"close", r"back", r"print", r"e-?mail", r"copy link", r"link copied",
    r"whatsapp|facebook|twitter|x|linkedin|telegram|reddit",
    r"(?:see|show|load|read|view) (?:more|all|less)", r"save(?: for later| article)?", r"bookmark",
)

# -- article headers --------------------------------------------------------------------------

# "  • Business Recorder": the outlet repeated as a bullet under the time.
BULLET_OUTLET = re.compile(r"[•·▪●]\s*(?P<outlet>[^•·▪●]{1,80})")
# An outlet name printed on its own line: short and not a sentence.
OUTLET_MAX_WORDS = 6
# Lines a header may span (title, title again, outlet, time, bullet, title again).
HEADER_MAX_LINES = 12
# The main title is printed near the top: past this many lines, a repeated line is a
# duplicated paragraph, not a title.
MAIN_HEADER_SEARCH_LINES = 50
TITLE_MAX_WORDS = 40

# Relative times, optionally glued to an icon's name or a label: "time11 minutes ago",
# "timean hour ago", "timeyesterday", "Published 3 hours ago", "Updated: 5h ago", "timein 5 minutes".
_TIME_LABEL = r"(?:time|published|updated|posted|last updated|modified)?[\s:]*"
_AMOUNT = r"\d{1,12}|an?|one|a few|few"
_UNIT = r"seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|y"
RELATIVE_TIME = re.compile(
    rf"{_TIME_LABEL}(?:"
    rf"(?P<amount>{_AMOUNT})\s*(?P<unit>{_UNIT})\s+ago"
    rf"|(?P<future>in)\s+(?:{_AMOUNT})\s*(?:{_UNIT})"
    r"|(?P<word>yesterday|today|just now|now|moments? ago|a moment ago)"
    r")",
    re.I,
)
UNIT_SECONDS: dict[str, int] = {
    # Months and years are taken as 30 and 365 days: a page that says "2 months ago" is
    # not more precise than that.
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 7 * 86400, "wk": 7 * 86400, "wks": 7 * 86400, "week": 7 * 86400, "weeks": 7 * 86400,
    "mo": 30 * 86400, "mos": 30 * 86400, "month": 30 * 86400, "months": 30 * 86400,
    "y": 365 * 86400, "yr": 365 * 86400, "yrs": 365 * 86400, "year": 365 * 86400, "years": 365 * 86400,
}
AMOUNT_WORDS: dict[str, int] = {"a": 1, "an": 1, "one": 1, "a few": 3, "few": 3}
TIME_WORD_SECONDS: dict[str, int] = {
    "yesterday": 86400, "today": 0, "just now": 0, "now": 0, "moment ago": 0, "moments ago": 0,
    "a moment ago": 0,
}

# -- body lines ---------------------------------------------------------------------------------

# A paragraph ends like a sentence: terminal punctuation, then closing quotes or brackets.
SENTENCE_END = re.compile(r"[.!?…][\s\"'’”)\]]*$")
# A standalone line without terminal punctuation and at least this many words is another
# story's headline printed inside the body; shorter ones are sub-headings.
HEADLINE_MIN_WORDS = 6
# Longer unpunctuated lines are paragraphs that lost their full stop, not headlines.
HEADLINE_MAX_WORDS = 20
# Sub-headings that end like a question or a lead-in ("Putin-Zelenskyy meeting?", "What it includes:").
QUESTION_HEADING_MAX_WORDS = 8
COLON_HEADING_MAX_WORDS = 12
# Unpunctuated lines that open like an explainer are sub-headings up to this length, whatever
# else they hold ("Why the harbour matters to the town").
HEADING_OPENERS = frozenset({
    "what", "why", "how", "who", "where", "which", "inside", "timeline", "background", "analysis",
    "explainer", "factbox",
})
OPENER_HEADING_MAX_WORDS = 12
# Unpunctuated lines that are article furniture to keep as printed, never headlines:
# wire-copy credits ("Reporting by ...; Editing by ..."), bylines, captions, sources.
NOT_HEADLINE = re.compile(
    r"(?:(?:additional )?reporting|writing|editing|compiled|written|produced|translated|edited)"
    r" by\b|by [A-Z]|(?:photo|image|video|source|sources|credit|caption)s?\s*:|[(\[–—-]",
    re.I,
)

# -- headlines glued inside a paragraph -------------------------------------------------------

# A sentence boundary: terminal punctuation, closing quotes, space, then a capital or quote.
SENTENCE_BOUNDARY = re.compile(r"[.!?…][\"'’”)\]]*\s+(?=[\"'‘“]?[A-Z0-9])")
# A period after these is not a sentence end ("U.S. President", "Mr. Smith").
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "gen", "lt", "col", "sgt", "capt", "gov", "sen", "rep",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no",
    "vs", "inc", "corp", "ltd", "co", "jr", "sr", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m",
})
# A glued headline is this long (in words)...
INLINE_HEADLINE_MIN_WORDS = 5
INLINE_HEADLINE_MAX_WORDS = 20
# ...and neither opens like an introductory phrase that lost its comma ("Speaking to reporters
# aboard Air Force One US President ...") nor like speech ("He went on to add '...'", "So I would
# say"). Standalone lines opening so are paragraphs too.
NOT_HEADLINE_FIRST_WORDS = frozenset({
    "after", "before", "during", "following", "despite", "in", "on", "at", "as", "while", "when",
    "earlier", "later", "meanwhile", "since", "until", "with", "without", "according", "for", "from",
    "to", "by", "under", "amid", "if", "although", "though", "because", "once", "speaking", "citing",
    "asked", "responding", "so", "and", "but", "or", "then", "also", "still", "yet", "now", "instead",
    "however", "anyone", "everyone", "nothing", "there", "here", "this", "that", "these", "those",
    "i", "i'm", "i’m", "we", "he", "she", "they", "you", "it", "my", "our", "your", "his", "her", "their",
})
# Headlines drop "the" and speak in the present ("says", not "said"); a line or span with
# one of these after its first word is a sentence, not a headline.
NOT_IN_HEADLINE = frozenset({"the", "said", "had", "was", "were"})
# A headline does not end on words that lead into what follows ("said 'We ...'", "in The Hague");
# neither does a standalone headline line (one ending so is a sentence cut before a quote).
LEAD_IN_WORDS = frozenset({
    "said", "says", "say", "told", "tell", "added", "adds", "add", "wrote", "writes", "posted", "tweeted",
    "stated", "states", "declared", "warned", "asked", "replied", "announced", "called", "dubbed", "titled",
    "explained", "continued", "read", "reads", "noted", "remarked", "shouted", "chanted", "thought",
    "think", "thinks", "asking", "him", "her", "them", "us", "me", "you", "it", "urged", "insisted",
    "named", "saying", "adding", "telling", "quoted", "quoting", "described", "that", "as", "of", "the",
    "a", "an", "and", "or", "but", "to", "with", "from", "by", "in", "on", "at", "for", "into", "about",
    "than", "like", "is", "was", "were", "are", "be", "been", "newspaper", "magazine", "broadcaster",
    "channel", "show", "programme", "program", "book", "film", "series", "daily", "weekly",
})
# Rule B: a word that only opens a sentence ("... Ukraine and EU The village is ...").
SENTENCE_OPENERS = frozenset({
    "The", "An", "It", "He", "She", "They", "We", "Their", "Its", "These", "Those", "But", "However",
    "Meanwhile",
})
# Rule C: a titled speaker opening the next sentence ("... in Alaska German Chancellor Friedrich
# Merz on Sunday said ..."): a demonym or bloc, up to one more word, then a title.
DEMONYM = re.compile(r"(?:[A-Z][a-z]+(?:an|ian|ese|ish|ch|i|ic)|US|UK|EU|UN|NATO)")
TITLE_WORDS = frozenset({
    "President", "Minister", "Chancellor", "Secretary", "Governor", "Mayor", "Senator", "Chief",
    "Spokesman", "Spokeswoman", "Spokesperson", "Ambassador", "Envoy", "Commissioner", "King", "Queen",
    "Prince", "General", "Premier", "Leader", "Speaker",
})
# ... and the sentence it opens reports speech or an act, within this many words.
REPORTING_VERBS = re.compile(
    r"\b(?:said|says|told|added|announced|urged|warned|wrote|posted|stressed|insisted|noted|confirmed|"
    r"denied|called|hoped|vowed|pledged|rejected|welcomed)\b"
)
REPORTING_VERB_WINDOW = 12
# Rule A: the next sentence opens with a quote that closes like a whole quoted sentence
# ("'I'm going to ... before,' the president posted"), found within this many characters.
OPENING_QUOTES = "'‘\"“"
QUOTE_CLOSE = re.compile(r"[,.!?…][\"'’”]")
QUOTE_CLOSE_WINDOW = 600

# -- telling a dump from other text -------------------------------------------------------------

# Lines that give a page away as an aggregator dump, with their weight; looks_like_text_dump()
# wants DUMP_SCORE_MIN in the head and tail of the text.
GLUED_TIME = re.compile(r"time(?:\d{1,4}\s*\w+ ago|an? \w+ ago|yesterday|today|in \d+ \w+)", re.I)
DUMP_SIGNALS: tuple[tuple[re.Pattern[str], int], ...] = (
    (GLUED_TIME, 2),
    (RELATED_MARKERS, 1),
    (COMMENT_LINES, 1),
    (FEATURE_BOX_LINES, 1),
    (APP_LINES, 1),
    (BULLET_OUTLET, 1),
)
DUMP_SCORE_MIN = 3
DUMP_SCAN_CHARS = 20_000
HTML_MARKUP = re.compile(r"<(?:!doctype|html|head|body|div|p|span|article|script|meta)\b", re.I)
