"""Personal information: the encrypted model field, its blind index, and the form field that
edits it without ever sending the stored value to a browser."""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models
from django.forms.boundfield import BoundField
from django.forms.renderers import BaseRenderer
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from . import crypto
from .masking import mask_value


class EncryptedTextField(models.TextField):
    """Stores a ciphertext (kam.crypto: Fernet or SM4-GCM, named by its header); Python code
    only ever sees the plain value.

    Lookups other than isnull cannot work on ciphertext; use the blind index. Forms built
    from the model (ModelForms, every admin) edit it through PersonalDataField, masked.
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

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        # Always PersonalDataField, which puts its own widget in place of any other (the admin
        # offers a Textarea for text): any other field or widget would render the stored value.
        return super().formfield(form_class=PersonalDataField, **kwargs)


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


class _Removal(enum.Enum):
    """What the "remove" box of a personal-data input asks for, beside the typed value."""

    REMOVE = "remove"
    CONTRADICTION = "contradiction"  # the box ticked and a new value typed


@dataclass(frozen=True)
class PersonalValue:
    """All a personal-data input may show: the stored value masked, and what was typed in
    this request (never the stored value itself)."""

    masked: str = ""
    typed: str = ""
    remove: bool = False

    def __str__(self) -> str:
        # Another widget rendering the bound field (as_hidden, as_text) shows only this.
        return self.typed


class MaskedReplaceInput(forms.TextInput):
    """An empty "replace" input under the stored value shown masked, and a box to remove it.

    With nothing stored it is a plain input. Whatever value it is given, it masks: a stored
    value never reaches the HTML.
    """

    def __init__(
        self,
        attrs: dict[str, Any] | None = None,
        *,
        mask: Callable[[str], str] = mask_value,
        input_type: str = "text",
    ) -> None:
        super().__init__({"autocomplete": "off", **(attrs or {})})
        self.mask = mask
        self.input_type = input_type

    @staticmethod
    def remove_name(name: str) -> str:
        return f"{name}-remove"

    def _personal_value(self, value: Any) -> PersonalValue:
        if isinstance(value, PersonalValue):
            return value
        # A plain value comes from outside PersonalDataField's bound field: it is stored data.
        return PersonalValue(masked=self.mask(str(value)) if value else "")

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        shown = self._personal_value(value)
        replace = super().render(name, shown.typed or None, attrs, renderer)
        if not shown.masked:
            return replace
        remove_id = f"{attrs['id']}-remove" if attrs and attrs.get("id") else ""
        remove = forms.CheckboxInput(
            attrs={"class": "form-check-input", **({"id": remove_id} if remove_id else {})}
        ).render(self.remove_name(name), shown.remove, renderer=renderer)
        return format_html(
            '<div class="masked-replace">'
            '<div class="form-text mt-0 mb-1">{}</div>{}'
            '<div class="form-check mt-1">{}<label class="form-check-label vCheckboxLabel" for="{}">'
            "{}</label></div></div>",
            _("Stored: %(masked)s. Leave empty to keep it, or type a new value to replace it.")
            % {"masked": shown.masked},
            replace,
            remove,
            remove_id,
            _("Remove"),
        )

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        typed = super().value_from_datadict(data, files, name)
        if not forms.CheckboxInput().value_from_datadict(data, files, self.remove_name(name)):
            return typed
        return _Removal.CONTRADICTION if (typed or "").strip() else _Removal.REMOVE

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and self.remove_name(name) not in data


class _PersonalBoundField(BoundField):
    def value(self) -> PersonalValue:
        """The stored value masked and what was typed (error pages echo only that)."""
        data = self.data if self.form.is_bound else None
        field = self.field
        assert isinstance(field, PersonalDataField)
        return PersonalValue(
            masked=field.mask(str(self.initial)) if self.initial else "",
            typed=data if isinstance(data, str) else "",
            remove=isinstance(data, _Removal),
        )


class PersonalDataField(forms.CharField):
    """Edits personal data without sending what is stored to the browser (PIPL).

    The input shows the stored value masked and starts empty: left empty, the stored value
    is kept as it is (and not validated again); a typed value replaces it and is validated;
    the remove box empties it. The logged reveal stays the only way to see it in full.
    """

    default_error_messages = {
        "contradiction": _("Type a new value or remove the stored one, not both."),
    }

    def __init__(
        self,
        *,
        mask: Callable[[str], str] = mask_value,
        input_type: str = "text",
        **kwargs: Any,
    ) -> None:
        # Only this widget masks, whatever a caller offers (the admin a Textarea); a hidden
        # copy of the initial value would send the stored value too.
        kwargs["widget"] = MaskedReplaceInput(mask=mask, input_type=input_type)
        kwargs["show_hidden_initial"] = False
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.mask = mask

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> BoundField:
        return _PersonalBoundField(form, self, field_name)

    def _clean_bound_field(self, bf: BoundField) -> Any:
        # Django's hook for fields whose empty input keeps the initial value (FileField's).
        if self.disabled:
            return bf.initial
        return self.clean(bf.data, bf.initial)

    def clean(self, value: Any, initial: Any = None) -> Any:
        if value is _Removal.CONTRADICTION:
            raise forms.ValidationError(self.error_messages["contradiction"], code="contradiction")
        if value is _Removal.REMOVE:
            return super().clean("")
        if initial and not self.to_python(value):
            return initial
        return super().clean(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        if isinstance(data, _Removal):
            return data is _Removal.CONTRADICTION or bool(initial)
        typed = self.to_python(data)
        return bool(typed) and typed != (initial or "")
