"""Model fields for personal information: encrypted text and its blind index."""

from collections.abc import Callable
from typing import Any

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Stores a Fernet token; Python code only ever sees the plain value.

    Lookups other than isnull cannot work on ciphertext; use the blind index.
    """

    description = "Text encrypted at rest with the field encryption keys"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))


class BlindIndexField(models.CharField):
    """A keyed HMAC of another field's normalised value, kept in step on every save.

    ``normalizer`` names a function in kam.crypto (a name, so migrations can serialise it).
    """

    def __init__(
        self,
        *args: Any,
        source: str = "",
        normalizer: str = "",
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["normalizer"] = self.normalizer
        kwargs.pop("editable", None)
        kwargs.pop("blank", None)
        return name, path, args, kwargs

    def compute(self, value: str | None) -> str:
        if not value:
            return ""
        normalizer: Callable[[str], str] = (
            getattr(crypto, self.normalizer) if self.normalizer else str.strip
        )
        return crypto.blind_index(normalizer(value))

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.compute(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
