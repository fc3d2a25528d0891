"""News agencies and the outlet names their own copies carry.

The canonical names are the ones the extract stage writes into ``credits`` ("AFP", "Reuters",
"AP" ...). Stages do not import each other, so the names are repeated here; a credit this
table does not know still names the group's agency, it just never matches an outlet.
"""

from __future__ import annotations

import re

# Canonical agency -> how an outlet field spells the agency itself (names, hosts).
AGENCY_OUTLETS: dict[str, tuple[str, ...]] = {
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse", "afp.com"),
    "Reuters": ("Reuters", "Thomson Reuters", "reuters.com"),
    "AP": ("AP", "Associated Press", "The Associated Press", "apnews.com"),
    "dpa": ("dpa", "Deutsche Presse-Agentur", "dpa.com", "dpa-international.com"),
    "EFE": ("EFE", "Agencia EFE", "efe.com"),
    "Xinhua": ("Xinhua", "Xinhua News Agency", "xinhuanet.com", "news.cn"),
    "PTI": ("PTI", "Press Trust of India", "ptinews.com"),
    "ANI": ("ANI", "Asian News International", "aninews.in"),
    "Bernama": ("Bernama", "bernama.com"),
    "ANSA": ("ANSA", "ansa.it"),
    "Kyodo": ("Kyodo", "Kyodo News", "english.kyodonews.net"),
    "Yonhap": ("Yonhap", "Yonhap News Agency", "en.yna.co.kr"),
    "TASS": ("TASS", "tass.com"),
    "Anadolu": ("Anadolu", "Anadolu Agency", "aa.com.tr"),
    "UPI": ("UPI", "United Press International", "upi.com"),
}

# Credits that say "wire copy" without naming an agency: no agency to credit.
GENERIC_CREDITS = frozenset({"newswires"})

_OUTLET_TO_AGENCY = {spelling.lower(): name for name, spellings in AGENCY_OUTLETS.items() for spelling in spellings}
_HOST_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?")


def outlet_agency(outlet: str | None) -> str | None:
    """The agency an outlet *is* ("Agence France-Presse" -> "AFP", "www.reuters.com" -> "Reuters"), else None."""
    if not outlet:
        return None
    key = _HOST_PREFIX.sub("", outlet.strip().lower()).rstrip("/")
    return _OUTLET_TO_AGENCY.get(key)
