"""The registry of rule types. A rule type is code: a parameter schema (types, ranges, defaults,
validated with clear messages) and a set-based ``evaluate(account_ids) -> {account_id: evidence}``.
A ``RiskRule`` row is data: which type, its parameters, severity and tiers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from accounts.choices import Tier

Label = str | Promise
Evidence = dict[str, Any]


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Param:
    """One parameter of a rule type. ``clean`` returns the JSON value to store or raises
    ``ValueError`` with a message for the user."""

    name: str
    label: Label
    help: Label = ""
    default: Any = None

    def clean(self, value: Any) -> Any:
        return value

    def describe(self) -> str:
        return str(self.help)


@dataclass(frozen=True)
class IntParam(Param):
    minimum: int = 0
    maximum: int = 10_000

    def clean(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(self._range_message())
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(self._range_message()) from None
        if not self.minimum <= number <= self.maximum:
            raise ValueError(self._range_message())
        return number

    def _range_message(self) -> str:
        return _("a whole number from %(min)s to %(max)s") % {
            "min": self.minimum,
            "max": self.maximum,
        }

    def describe(self) -> str:
        return self._range_message()


@dataclass(frozen=True)
class DecimalParam(Param):
    minimum: Decimal = Decimal("0")
    maximum: Decimal = Decimal("100")

    def clean(self, value: Any) -> str:
        # Stored as a string so that 1.20 stays exactly 1.20.
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(self._range_message())
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(self._range_message()) from None
        if not number.is_finite() or not self.minimum <= number <= self.maximum:
            raise ValueError(self._range_message())
        return str(number)

    def _range_message(self) -> str:
        return _("a number from %(min)s to %(max)s") % {"min": self.minimum, "max": self.maximum}

    def describe(self) -> str:
        return self._range_message()


@dataclass(frozen=True)
class ChoiceParam(Param):
    choices: Callable[[], Sequence[tuple[Any, Label]]] = lambda: ()

    def clean(self, value: Any) -> Any:
        for code, _label in self.choices():
            if str(code) == str(value):
                return code
        raise ValueError(self.describe())

    def describe(self) -> str:
        return _("one of: %(choices)s") % {
            "choices": ", ".join(f"{code} ({label})" for code, label in self.choices())
        }


@dataclass(frozen=True)
class MultiChoiceParam(Param):
    """A list of codes; an empty list means "all"."""

    choices: Callable[[], Sequence[tuple[Any, Label]]] = lambda: ()
    default: Any = field(default_factory=list)

    def clean(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValueError(self.describe())
        known = {str(code): code for code, _label in self.choices()}
        unknown = [str(v) for v in value if str(v) not in known]
        if unknown:
            raise ValueError(
                _("unknown %(values)s; %(expected)s")
                % {"values": ", ".join(unknown), "expected": self.describe()}
            )
        return [known[str(v)] for v in dict.fromkeys(value)]

    def describe(self) -> str:
        return _("a list of: %(choices)s (empty means all)") % {
            "choices": ", ".join(str(code) for code, _label in self.choices())
        }


# ---------------------------------------------------------------- the accounts of a chunk


class AccountIds(list[int]):
    """The accounts a rule evaluates: a list of ids that may know the id range it came from.

    A chunk is a range of account ids; filtering on the range is an index range scan, where a
    list of thousands of ids is a long ``IN``. A rule may therefore return evidence for an
    account in the range but not in the list (another tier): the scan ignores it."""

    def __init__(
        self, ids: Iterable[int] = (), *, first: int | None = None, last: int | None = None
    ) -> None:
        super().__init__(ids)
        self.first = first
        self.last = last


def accounts_q(field: str, account_ids: Sequence[int]) -> Q:
    """``field`` within the accounts: by id range when known, else by list."""
    if isinstance(account_ids, AccountIds) and account_ids.first is not None:
        return Q(**{f"{field}__gte": account_ids.first, f"{field}__lte": account_ids.last})
    return Q(**{f"{field}__in": list(account_ids)})


# ---------------------------------------------------------------- rule types


class RuleCannotEvaluate(Exception):
    """Raised by ``prepare`` or ``evaluate`` when the rule cannot judge now (its reference data
    is missing). The scan records the message as the reason the rule was skipped and leaves
    the rule's alerts as they are, as for a rule that failed: an empty result would instead
    resolve every alert of the rule as if its condition had cleared."""


class RuleType:
    """Base of every rule type. Subclasses set the class attributes and implement
    ``evaluate``: set-based, a fixed number of queries whatever the number of accounts."""

    code: ClassVar[str]
    label: ClassVar[Label]
    description: ClassVar[Label] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    # False for types whose alerts people raise (manual); the scan skips them.
    scanned: ClassVar[bool] = True
    # Set while the data the rule reads does not exist yet (another issue builds it).
    waits_for: ClassVar[Label | None] = None

    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        now: datetime | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        self.p = {**self.defaults(), **parameters}
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self.context: Mapping[str, Any] = context or {}

    @classmethod
    def available(cls) -> bool:
        return cls.waits_for is None

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default for p in cls.params}

    def prepare(self) -> dict[str, Any]:
        """Figures computed once per scan run and handed to every chunk (JSON)."""
        return {}

    def evaluate(self, account_ids: Sequence[int]) -> dict[int, Evidence]:
        """``{account_id: evidence}`` for the accounts where the condition holds now. Filter
        with ``accounts_q`` (see ``AccountIds``); the evidence must be JSON."""
        raise NotImplementedError

    @classmethod
    def summarize(cls, evidence: Mapping[str, Any]) -> str:
        return ""

    @classmethod
    def title(cls, evidence: Mapping[str, Any]) -> str:
        return str(cls.label)


T = TypeVar("T", bound=type[RuleType])
REGISTRY: dict[str, type[RuleType]] = {}


def register(cls: T) -> T:
    if cls.code in REGISTRY:
        raise ValueError(f"rule type {cls.code} registered twice")
    REGISTRY[cls.code] = cls
    return cls


def get(code: str) -> type[RuleType] | None:
    return REGISTRY.get(code)


def choices() -> list[tuple[str, str]]:
    result = []
    for code, cls in REGISTRY.items():
        label = str(cls.label)
        if cls.waits_for:
            label = _("%(label)s (waits for %(what)s)") % {"label": label, "what": cls.waits_for}
        result.append((code, label))
    return result


def scanned_types() -> list[type[RuleType]]:
    return [cls for cls in REGISTRY.values() if cls.scanned and cls.available()]


def clean_parameters(rule_type: type[RuleType], raw: Any) -> dict[str, Any]:
    """Validate ``raw`` against the type's schema; fill defaults; name every wrong parameter."""
    if raw in (None, ""):
        raw = {}
    if not isinstance(raw, dict):
        raise ValidationError(
            _('Parameters must be a JSON object such as {"days": 30}.'), code="not_an_object"
        )
    schema = {p.name: p for p in rule_type.params}
    errors: list[str] = []
    for name in raw:
        if name not in schema:
            errors.append(
                _("Unknown parameter “%(name)s”. This rule type takes: %(names)s.")
                % {"name": name, "names": ", ".join(schema) or _("no parameters")}
            )
    cleaned: dict[str, Any] = {}
    for name, param in schema.items():
        value = raw.get(name, param.default)
        if value is None:
            errors.append(
                _("“%(name)s” (%(label)s) is required: %(expected)s.")
                % {"name": name, "label": param.label, "expected": param.describe()}
            )
            continue
        try:
            cleaned[name] = param.clean(value)
        except ValueError as exc:
            errors.append(
                _("“%(name)s” (%(label)s) must be %(expected)s; got %(value)s.")
                % {"name": name, "label": param.label, "expected": exc, "value": _show(value)}
            )
    if errors:
        raise ValidationError(errors, code="invalid_parameters")
    return cleaned


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"“{value}”"
    return text if len(text) <= 60 else text[:57] + "…"


def clean_tiers(raw: Any) -> list[str]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or any(t not in Tier.values for t in raw):
        raise ValidationError(
            _("Tiers must be a list of: %(tiers)s.") % {"tiers": ", ".join(Tier.values)},
            code="invalid_tiers",
        )
    return [t for t in Tier.values if t in raw]


def clean_rule(
    *, rule_type: str, parameters: Any, tiers: Any, enabled: bool
) -> tuple[dict[str, Any], list[str]]:
    """Everything a RiskRule must satisfy, as field errors."""
    cls = get(rule_type)
    if cls is None:
        raise ValidationError({"rule_type": _("Unknown rule type.")})
    errors: dict[str, Any] = {}
    cleaned_params: dict[str, Any] = {}
    cleaned_tiers: list[str] = []
    try:
        cleaned_params = clean_parameters(cls, parameters)
    except ValidationError as exc:
        errors["parameters"] = exc.messages
    try:
        cleaned_tiers = clean_tiers(tiers)
    except ValidationError as exc:
        errors["tiers"] = exc.messages
    if enabled and not cls.available():
        errors["enabled"] = _(
            "This rule type waits for %(what)s: the data it reads does not exist yet, "
            "so it cannot be enabled."
        ) % {"what": cls.waits_for}
    if errors:
        raise ValidationError(errors)
    return cleaned_params, cleaned_tiers


def parameter_reference(codes: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """What each rule type takes, for the help shown beside the parameters field."""
    rows = []
    for code, cls in REGISTRY.items():
        if codes is not None and code not in codes:
            continue
        rows.append(
            {
                "code": code,
                "label": cls.label,
                "description": cls.description,
                "waits_for": cls.waits_for,
                "params": [
                    {
                        "name": p.name,
                        "label": p.label,
                        "expected": p.describe(),
                        "default": p.default,
                    }
                    for p in cls.params
                ],
            }
        )
    return rows
