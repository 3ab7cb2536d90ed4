"""A browser's User-Agent header as a person reads it ("Chrome on Windows"), for the sessions page.

Hand-written for the few families the bank's staff use; anything else reads as the browser or the
system alone, or "Unknown browser". The raw header is kept beside it (truncated) for whoever
needs more.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# The first family whose marker the header contains wins: Edge and Opera also say "Chrome",
# Chrome also says "Safari", WeChat's browser says all of them.
_BROWSERS = (
    ("MicroMessenger/", "WeChat"),
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
)
# Android also says "Linux", iPhones and iPads also say "Mac OS X".
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPod", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def _family(header: str, families: tuple[tuple[str, str], ...]) -> str:
    return next((name for marker, name in families if marker in header), "")


def describe_user_agent(header: str) -> str:
    """``"Chrome on Windows"``, ``"Safari on iOS"``, or as much of it as the header tells."""
    browser, system = _family(header, _BROWSERS), _family(header, _SYSTEMS)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown browser")
