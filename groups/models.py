"""Client groups (集团客户) and connected parties (关联方).

A group is a parent and the subsidiaries it controls, each an account; an account belongs to
at most one group, under its direct parent with the parent's ownership. Connected parties are
accounts linked by something other than ownership (common control, a guarantee, economic
dependence) that regulation asks a lender to treat as one risk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kam.model_mixins import ChoiceLabels, choices_check


class ClientGroup(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    parent = models.OneToOneField(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="parent_of_group",
        verbose_name=_("ultimate parent"),
        help_text=_("The account at the top of the group."),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("client group")
        verbose_name_plural = _("client groups")
        ordering = ["name_en", "name_zh", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name_zh="") | ~Q(name_en=""), name="client_group_has_name"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if (get_language() or "").lower().startswith("zh"):
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.parent_id}


class GroupMembership(models.Model):
    """An account's place in a group: its direct parent and the parent's ownership share. The
    group's parent account is a member too, with no parent."""

    group = models.ForeignKey(
        ClientGroup, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group")
    )
    account = models.OneToOneField(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="group_membership",
        verbose_name=_("account"),
    )
    parent = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidiary_memberships",
        verbose_name=_("direct parent"),
    )
    ownership_pct = models.DecimalField(
        _("owned by the parent (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        ordering = ["group", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("account")), name="group_membership_not_own_parent"
            ),
            models.CheckConstraint(
                condition=Q(ownership_pct__isnull=True)
                | (Q(ownership_pct__gt=0) & Q(ownership_pct__lte=100)),
                name="group_membership_ownership_range",
            ),
        ]
        indexes = [models.Index(fields=["group", "account"], name="group_membership_members")]

    def __str__(self) -> str:
        return f"{self.group}: {self.account}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "group_id": self.group_id}

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.parent_id is not None:
            if self.parent_id == self.account_id:
                errors["parent"] = _("An account cannot be its own parent.")
            else:
                parent_group = (
                    GroupMembership.objects.filter(account_id=self.parent_id)
                    .values_list("group_id", flat=True)
                    .first()
                )
                if parent_group != self.group_id:
                    errors["parent"] = _("The parent must be a member of the same group.")
                elif self._would_circle():
                    errors["parent"] = _("That parent is owned by this account: a circle.")
        elif self.group_id and self.account_id and self.group.parent_id != self.account_id:
            errors["parent"] = _("Name the direct parent: only the group's top has none.")
        if errors:
            raise ValidationError(errors)

    def _would_circle(self) -> bool:
        parents: dict[int, int | None] = dict(
            GroupMembership.objects.filter(group_id=self.group_id).values_list(
                "account_id", "parent_id"
            )
        )
        parents[self.account_id] = self.parent_id
        seen: set[int] = set()
        node: int | None = self.parent_id
        while node is not None:
            if node == self.account_id:
                return True
            if node in seen:
                return True
            seen.add(node)
            node = parents.get(node)
        return False


class ConnectionReason(models.TextChoices):
    COMMON_CONTROL = "common_control", _("Common control")
    GUARANTEE = "guarantee", _("Guarantee")
    ECONOMIC_DEPENDENCE = "economic_dependence", _("Economic dependence")
    FAMILY = "family", _("Family or key-person ties")
    OTHER = "other", _("Other")


class ConnectedParty(ChoiceLabels, models.Model):
    """Two accounts connected by something other than group ownership. Stored once per pair
    (lower id first); connection is symmetric."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="connections",
        verbose_name=_("account"),
    )
    other = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="connections_as_other",
        verbose_name=_("connected account"),
    )
    reason = models.CharField(_("reason"), max_length=24, choices=ConnectionReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("connected party")
        verbose_name_plural = _("connected parties")
        ordering = ["account", "other", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "other", "reason"], name="connected_party_unique"
            ),
            models.CheckConstraint(
                condition=Q(account__lt=F("other")), name="connected_party_ordered_pair"
            ),
            models.CheckConstraint(
                condition=choices_check("reason", ConnectionReason),
                name="connected_party_reason_valid",
            ),
        ]
        indexes = [models.Index(fields=["other"], name="connected_party_other")]

    def __str__(self) -> str:
        return f"{self.account} ↔ {self.other} ({self.get_reason_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.account_id and self.other_id and self.account_id > self.other_id:
            self.account_id, self.other_id = self.other_id, self.account_id
        super().save(*args, **kwargs)

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "other_id": self.other_id}

    def clean(self) -> None:
        if self.account_id and self.account_id == self.other_id:
            raise ValidationError({"other": _("An account is not connected to itself.")})


class CapitalBase(models.Model):
    """The bank's regulatory capital as of a date, in CNY: what concentration is measured
    against. The latest row dated today or before applies (``current``); older rows are the
    history, a row dated later waits for its day."""

    as_of = models.DateField(_("as of"), unique=True)
    tier1_net_capital = models.DecimalField(
        _("tier-1 net capital (CNY)"),
        max_digits=19,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Net tier-1 capital (一级资本净额): the base of the large-exposure limits."),
    )
    net_capital = models.DecimalField(
        _("net capital (CNY)"),
        max_digits=19,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Net capital (资本净额): the base of the loans-to-one-borrower limit."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("capital base")
        verbose_name_plural = _("capital bases")
        ordering = ["-as_of", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tier1_net_capital__gt=0) & Q(net_capital__gt=0),
                name="capital_base_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Capital as of %(date)s") % {"date": self.as_of.isoformat()})

    def clean(self) -> None:
        if (
            self.tier1_net_capital is not None
            and self.net_capital is not None
            and self.tier1_net_capital > self.net_capital
        ):
            raise ValidationError(
                {"tier1_net_capital": _("Tier-1 net capital cannot exceed net capital.")}
            )

    @classmethod
    def current(cls, *, on: dt.date | None = None, using: str | None = None) -> CapitalBase | None:
        """The capital base that applies on ``on`` (today by default): the latest row dated
        that day or before. A row dated later is not in force yet."""
        day = on or timezone.localdate()
        rows = cls.objects.using(using) if using else cls.objects
        return rows.filter(as_of__lte=day).order_by("-as_of", "-pk").first()
