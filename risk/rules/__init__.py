"""Early-warning rule types. Importing this package registers every type."""

from . import covenants, esg, portfolio, relationship, signals
from .registry import REGISTRY, RuleType, get

__all__ = [
    "REGISTRY",
    "RuleType",
    "covenants",
    "esg",
    "get",
    "portfolio",
    "relationship",
    "signals",
]
