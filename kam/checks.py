"""System checks: the portal refuses to start without usable encryption keys."""

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register

from . import crypto

_SM4_KEY_HINT = (
    'Make one with: python -c "import base64, os; print(base64.b64encode(os.urandom(16)).decode())"'
)


@register("security", deploy=False)
def check_encryption_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    chosen = str(settings.FIELD_ENCRYPTION_ALGORITHM).strip().lower()
    if chosen not in crypto.ALGORITHMS:
        errors.append(
            Error(
                f"FIELD_ENCRYPTION_ALGORITHM is {chosen!r}, which is not a known algorithm.",
                hint=f"Set it to one of: {', '.join(crypto.ALGORITHMS)}.",
                id="kam.E004",
            )
        )
    if chosen == crypto.FERNET and not settings.FIELD_ENCRYPTION_KEYS:
        errors.append(
            Error(
                "FIELD_ENCRYPTION_KEYS is empty.",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys (see .env.example).",
                id="kam.E001",
            )
        )
    for key in settings.FIELD_ENCRYPTION_KEYS:
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                Error(
                    "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key.",
                    hint='Make one with: python -c "from cryptography.fernet import Fernet; '
                    'print(Fernet.generate_key().decode())"',
                    id="kam.E002",
                )
            )
    if chosen == crypto.SM4_GCM and not settings.FIELD_ENCRYPTION_SM4_KEYS:
        errors.append(
            Error(
                "FIELD_ENCRYPTION_ALGORITHM is sm4-gcm but FIELD_ENCRYPTION_SM4_KEYS is empty.",
                hint="Set FIELD_ENCRYPTION_SM4_KEYS to one or more base64 128-bit keys. "
                + _SM4_KEY_HINT,
                id="kam.E005",
            )
        )
    for position, key in enumerate(settings.FIELD_ENCRYPTION_SM4_KEYS, start=1):
        try:
            crypto.parse_sm4_key(key)
        except ValueError as exc:
            errors.append(
                Error(
                    f"FIELD_ENCRYPTION_SM4_KEYS: key {position} is not an SM4 key ({exc}).",
                    hint="An SM4 key is 16 random bytes (128 bits) in base64. " + _SM4_KEY_HINT,
                    id="kam.E006",
                )
            )
    if not settings.BLIND_INDEX_KEY:
        errors.append(
            Error("BLIND_INDEX_KEY is empty.", hint="Set BLIND_INDEX_KEY.", id="kam.E003")
        )
    return errors


@register("security", deploy=False)
def check_mfa_roles(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A role name misspelt in MFA_REQUIRED_ROLES would silently require nothing of that role."""
    from .roles import Role

    unknown = [name for name in settings.MFA_REQUIRED_ROLES if name not in Role.values]
    if not unknown:
        return []
    return [
        Error(
            f"MFA_REQUIRED_ROLES names unknown roles: {', '.join(map(repr, unknown))}.",
            hint=f"Use the role names: {', '.join(Role.values)} (comma-separated).",
            id="kam.E007",
        )
    ]


@register("security", deploy=True)
def check_mfa_admin_required(app_configs: Any, **kwargs: Any) -> list[Error]:
    """An empty or shortened MFA_REQUIRED_ROLES would let administrators (and superusers) in
    with a password alone: production (DEBUG off) refuses it unless acknowledged."""
    from .roles import Role

    if settings.DEBUG or Role.ADMIN in settings.MFA_REQUIRED_ROLES:
        return []
    if getattr(settings, "MFA_ALLOW_OPTIONAL_ADMIN", False):
        return []
    return [
        Error(
            f"MFA_REQUIRED_ROLES does not name {Role.ADMIN!s}: administrators would sign in "
            "with a password alone.",
            hint=f"Add {Role.ADMIN!s} to MFA_REQUIRED_ROLES, or set MFA_ALLOW_OPTIONAL_ADMIN=true "
            "to accept that two-step sign-in is optional for administrators (see .env.example).",
            id="kam.E008",
        )
    ]
