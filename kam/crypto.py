"""Encryption at rest and blind indexes for personal information.

FIELD_ENCRYPTION_ALGORITHM chooses the cipher of new values: ``fernet`` (keys in
FIELD_ENCRYPTION_KEYS) or ``sm4-gcm`` (国密 SM4 in GCM mode, 128-bit keys in
FIELD_ENCRYPTION_SM4_KEYS). Each key list is newest first: the first key of the chosen
algorithm encrypts, every key of either list decrypts, so keys and algorithms can change
without downtime and `manage.py rotate_encryption_keys` brings every value up to date.

A stored value names what produced it, ``<scheme>:<key id>:<payload>``:

- ``fernet1:<key id>:<Fernet token>``
- ``sm4gcm1:<key id>:<base64url of nonce (12 bytes) + ciphertext + tag (16 bytes)>``; the
  header is the GCM associated data, so it cannot be altered without detection either.

The key id is 8 hex digits of an HMAC of the key (not the key, nor a plain hash of it). A
bare Fernet token (``gAAAA…``, written before values carried a header) is still read,
with every Fernet key tried.

Exact-match lookups use a keyed HMAC-SHA256 of the normalised value (BLIND_INDEX_KEY),
whatever the cipher.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FERNET = "fernet"
SM4_GCM = "sm4-gcm"
ALGORITHMS = (FERNET, SM4_GCM)

# The scheme of a stored value: the algorithm and the version of its layout.
_SCHEMES = {FERNET: "fernet1", SM4_GCM: "sm4gcm1"}
_ALGORITHM_OF_SCHEME = {scheme: algorithm for algorithm, scheme in _SCHEMES.items()}
_KEY_SETTINGS = {FERNET: "FIELD_ENCRYPTION_KEYS", SM4_GCM: "FIELD_ENCRYPTION_SM4_KEYS"}

SM4_KEY_BYTES = 16  # SM4 has 128-bit keys only
_GCM_NONCE_BYTES = 12  # 96 bits, random per value
_GCM_TAG_BYTES = 16
_KEY_ID = re.compile(r"[0-9a-f]{8}")


class DecryptionError(ImproperlyConfigured):
    """A stored value cannot be decrypted: its key is missing, or it was altered."""


def parse_sm4_key(text: str) -> bytes:
    """The 16 bytes of a base64 SM4 key (standard or URL-safe alphabet).

    Raises ValueError saying what is wrong (not base64, or not 128 bits).
    """
    try:
        key = base64.b64decode(text.strip().replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as exc:
        raise ValueError("not valid base64") from exc
    if len(key) != SM4_KEY_BYTES:
        raise ValueError(f"{len(key) * 8} bits instead of {SM4_KEY_BYTES * 8}")
    return key


def key_id(key: bytes) -> str:
    return hmac.new(key, b"kam field encryption key id", hashlib.sha256).hexdigest()[:8]


@cache
def _fernet_keys(keys: tuple[str, ...]) -> dict[str, Fernet]:
    """Fernet keys by key id, newest first."""
    try:
        fernets = [Fernet(key.encode()) for key in keys]
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}"
        ) from exc
    return {
        key_id(base64.urlsafe_b64decode(key)): fernet
        for key, fernet in zip(keys, fernets, strict=True)
    }


@cache
def _sm4_keys(keys: tuple[str, ...]) -> dict[str, bytes]:
    """SM4 keys by key id, newest first."""
    parsed = {}
    for position, text in enumerate(keys, start=1):
        try:
            key = parse_sm4_key(text)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_SM4_KEYS: key {position} is {exc} (see .env.example)."
            ) from exc
        parsed[key_id(key)] = key
    return parsed


def algorithm() -> str:
    """The algorithm new values are encrypted with."""
    chosen = str(settings.FIELD_ENCRYPTION_ALGORITHM).strip().lower()
    if chosen not in ALGORITHMS:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_ALGORITHM is {chosen!r}: choose one of {', '.join(ALGORITHMS)}."
        )
    return chosen


def fernet_keys() -> dict[str, Fernet]:
    return _fernet_keys(tuple(settings.FIELD_ENCRYPTION_KEYS))


def sm4_keys() -> dict[str, bytes]:
    return _sm4_keys(tuple(settings.FIELD_ENCRYPTION_SM4_KEYS))


def scheme_prefix() -> str:
    """The header that every value written now starts with (``sm4gcm1:1a2b3c4d:``)."""
    chosen = algorithm()
    keys = sm4_keys() if chosen == SM4_GCM else fernet_keys()
    if not keys:
        raise ImproperlyConfigured(
            f"{_KEY_SETTINGS[chosen]} is empty: FIELD_ENCRYPTION_ALGORITHM is {chosen}, "
            "so set at least one key (see .env.example)."
        )
    return f"{_SCHEMES[chosen]}:{next(iter(keys))}:"


def encrypt(value: str) -> str:
    """Encrypt under the configured algorithm and its first (newest) key."""
    header = scheme_prefix()
    scheme, kid, _ = header.split(":")
    if scheme == _SCHEMES[SM4_GCM]:
        nonce = os.urandom(_GCM_NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(sm4_keys()[kid]), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(header.encode())
        sealed = encryptor.update(value.encode()) + encryptor.finalize()
        payload = base64.urlsafe_b64encode(nonce + sealed + encryptor.tag).decode()
    else:
        payload = fernet_keys()[kid].encrypt(value.encode()).decode()
    return header + payload


def _undecryptable(problem: str) -> DecryptionError:
    return DecryptionError(f"A stored value cannot be decrypted: {problem}")


def _decrypt_sm4(header: str, kid: str, payload: str) -> str:
    key = sm4_keys().get(kid)
    if key is None:
        raise _undecryptable(f"its key {kid} is missing from FIELD_ENCRYPTION_SM4_KEYS.")
    try:
        data = base64.urlsafe_b64decode(payload.encode())
    except (ValueError, binascii.Error) as exc:
        raise _undecryptable("it was altered (the sm4-gcm payload is not base64).") from exc
    if len(data) < _GCM_NONCE_BYTES + _GCM_TAG_BYTES:
        raise _undecryptable("it was altered (the sm4-gcm payload is truncated).")
    nonce, sealed, tag = (
        data[:_GCM_NONCE_BYTES],
        data[_GCM_NONCE_BYTES:-_GCM_TAG_BYTES],
        data[-_GCM_TAG_BYTES:],
    )
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(header.encode())
    try:
        return (decryptor.update(sealed) + decryptor.finalize()).decode()
    except InvalidTag as exc:
        raise _undecryptable(
            f"it was altered (authentication with sm4-gcm key {kid} failed)."
        ) from exc


def _decrypt_fernet(kid: str | None, token: str) -> str:
    keys = fernet_keys()
    if kid is not None and kid not in keys:
        raise _undecryptable(f"its key {kid} is missing from FIELD_ENCRYPTION_KEYS.")
    if not keys:
        raise _undecryptable("FIELD_ENCRYPTION_KEYS is empty and the value is a Fernet token.")
    fernet = keys[kid] if kid is not None else MultiFernet(list(keys.values()))
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        if kid is None:
            problem = (
                "no key of FIELD_ENCRYPTION_KEYS opens it: a key is missing, or it was altered."
            )
        else:
            problem = f"it was altered (authentication with Fernet key {kid} failed)."
        raise _undecryptable(problem) from exc


def decrypt(token: str) -> str:
    """Decrypt a stored value, whichever algorithm and key (of the configured ones) wrote it.

    Raises DecryptionError (an ImproperlyConfigured) when its key is not configured or the
    value fails authentication.
    """
    scheme, sep, rest = token.partition(":")
    if not sep:  # a bare Fernet token: URL-safe base64 never holds ":"
        return _decrypt_fernet(None, token)
    kid, sep, payload = rest.partition(":")
    stored_algorithm = _ALGORITHM_OF_SCHEME.get(scheme)
    if stored_algorithm is None or not sep or not _KEY_ID.fullmatch(kid):
        raise _undecryptable(f"its header is not one this portal writes ({scheme[:16]!r}).")
    if stored_algorithm == SM4_GCM:
        return _decrypt_sm4(f"{scheme}:{kid}:", kid, payload)
    return _decrypt_fernet(kid, payload)


def rotate(token: str) -> str:
    """Re-encrypt a stored value under the configured algorithm and its newest key."""
    return encrypt(decrypt(token))


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


def secret_digest(value: str, *, purpose: str) -> str:
    """A keyed HMAC-SHA256 of a random secret a user types (a recovery code, an enrolment
    code), stored in its place: a database dump alone neither shows the secret nor lets one be
    guessed offline. The key is derived from BLIND_INDEX_KEY for ``purpose``, so a digest of
    one purpose is no blind index, nor a digest of another purpose. The secrets are random, so
    a fast keyed hash is enough (no password hasher's stretching)."""
    key = settings.BLIND_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is empty: set it (see .env.example).")
    derived = hmac.new(key.encode(), f"kam secret digest: {purpose}".encode(), hashlib.sha256)
    return hmac.new(derived.digest(), value.encode(), hashlib.sha256).hexdigest()
