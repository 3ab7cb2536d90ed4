"""``link(name, *ids)``: ``reverse(name, args=ids)`` for URLs whose arguments are integer ids, at
a fraction of its cost — the lists of the home and the account page draw a hundred links a
view, and ``reverse`` matches its patterns anew for each.

The first call for a name reverses it once with marker ids and keeps the text around them
(what the URLconf says, never data); each call then puts the ids in place and the current
script prefix before them. A name whose URL does not take exactly those integer arguments
goes to ``reverse``, which raises as usual.
"""

from __future__ import annotations

from django.urls import get_script_prefix, reverse

_MARKERS = (918273645, 918273646, 918273647, 918273648)
_PIECES: dict[tuple[str, int], tuple[str, ...] | None] = {}


def _pieces(name: str, count: int) -> tuple[str, ...] | None:
    key = (name, count)
    if key not in _PIECES:
        prefix = get_script_prefix()
        url = reverse(name, args=_MARKERS[:count])
        pieces: tuple[str, ...] | None = None
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            parts = []
            for marker in _MARKERS[:count]:
                before, found, rest = rest.partition(str(marker))
                if not found:
                    break
                parts.append(before)
            else:
                pieces = (*parts, rest) if str(_MARKERS[0]) not in rest else None
        _PIECES[key] = pieces
    return _PIECES[key]


def link(name: str, *ids: int) -> str:
    """The URL of ``name`` for these integer ids (``reverse(name, args=ids)``)."""
    pieces = _pieces(name, len(ids)) if len(ids) <= len(_MARKERS) else None
    if pieces is None or not all(type(i) is int for i in ids):
        return reverse(name, args=ids)
    out = [get_script_prefix(), pieces[0]]
    for value, piece in zip(ids, pieces[1:], strict=True):
        out += (str(value), piece)
    return "".join(out)
