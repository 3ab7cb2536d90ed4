"""System checks: the portal refuses to start without usable encryption keys."""

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register


@register("security", deploy=False)
def check_encryption_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    if not settings.FIELD_ENCRYPTION_KEYS:
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
    if not settings.BLIND_INDEX_KEY:
        errors.append(
            Error("BLIND_INDEX_KEY is empty.", hint="Set BLIND_INDEX_KEY.", id="kam.E003")
        )
    return errors
