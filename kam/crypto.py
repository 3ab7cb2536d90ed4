"""Encryption at rest and blind indexes for personal information.

Values are encrypted with a MultiFernet built from FIELD_ENCRYPTION_KEYS (newest
first): the newest key encrypts, every key decrypts, so keys can rotate without
downtime. Exact-match lookups use a keyed HMAC-SHA256 of the normalised value.
"""

import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key (see .env.example)."
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored value cannot be decrypted with FIELD_ENCRYPTION_KEYS: a key is missing."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key (a no-op in meaning, not in bytes)."""
    return fernet().rotate(token.encode()).decode()


def normalize_phone(value: str) -> str:
    """Digits only, with a leading + kept, and China's +86 / 0086 prefix dropped."""
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    if value.startswith("+86") or digits.startswith("0086"):
        digits = digits[2:] if value.startswith("+") else digits[4:]
    elif value.startswith("+"):
        digits = "+" + digits
    return digits


def normalize_email(value: str) -> str:
    return value.strip().lower()


def blind_index(value: str) -> str:
    key = settings.BLIND_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is empty: set it (see .env.example).")
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
