"""Forms of the group pages (administrators and risk officers). An account is named by its
Unified Social Credit Code or its number in the portal: a book of a hundred thousand accounts
is no drop-down."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Account

from .models import ClientGroup, ConnectedParty, GroupMembership


class _Crispy:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AccountRefField(forms.CharField):
    """An account of ``queryset`` named by USCC or number."""

    def __init__(self, *, queryset: QuerySet[Account] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text", _("The Unified Social Credit Code, or the account's number.")
        )
        super().__init__(max_length=40, **kwargs)
        self.queryset = queryset if queryset is not None else Account.objects.none()

    def clean(self, value: Any) -> Account | None:
        text = (super().clean(value) or "").strip().upper()
        if not text:
            return None
        by_pk = text.isdigit() and len(text) < 18
        try:
            return self.queryset.get(pk=int(text)) if by_pk else self.queryset.get(uscc=text)
        except Account.DoesNotExist:
            raise ValidationError(_("No account you may see has that code or number.")) from None


class GroupForm(_Crispy, forms.ModelForm):
    top = AccountRefField(label=_("ultimate parent"))

    class Meta:
        model = ClientGroup
        fields = ("name_zh", "name_en", "note")
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, accounts: QuerySet[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["top"]  # the top changes in the admin
        else:
            top = self.fields["top"]
            assert isinstance(top, AccountRefField)
            top.queryset = accounts

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("name_zh") and not data.get("name_en"):
            raise ValidationError(_("Give the group a name in Chinese or in English."))
        if data.get("top") is not None:
            self.instance.parent = data["top"]
        return data


class MembershipForm(_Crispy, forms.ModelForm):
    member = AccountRefField(label=_("account"))

    class Meta:
        model = GroupMembership
        fields = ("parent", "ownership_pct")

    def __init__(
        self,
        *args: Any,
        group: ClientGroup,
        accounts: QuerySet[Account],
        members: QuerySet[Account],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instance.group = group
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ModelChoiceField)
        parent.queryset = members.exclude(pk=self.instance.account_id or 0)
        parent.required = True
        if self.instance.pk:
            del self.fields["member"]
        else:
            member = self.fields["member"]
            assert isinstance(member, AccountRefField)
            member.queryset = accounts

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("member") is not None:
            self.instance.account = data["member"]
        return data


class ConnectionForm(_Crispy, forms.ModelForm):
    member = forms.ModelChoiceField(
        label=_("member of this group"), queryset=Account.objects.none()
    )
    connected = AccountRefField(label=_("connected account"))

    class Meta:
        model = ConnectedParty
        fields = ("reason", "note")

    def __init__(
        self, *args: Any, accounts: QuerySet[Account], members: QuerySet[Account], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        member = self.fields["member"]
        assert isinstance(member, forms.ModelChoiceField)
        member.queryset = members
        connected = self.fields["connected"]
        assert isinstance(connected, AccountRefField)
        connected.queryset = accounts
        self.order_fields(["member", "connected", "reason", "note"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        member, connected = data.get("member"), data.get("connected")
        if member is not None and connected is not None:
            if member.pk == connected.pk:
                raise ValidationError(_("An account is not connected to itself."))
            low, high = sorted((member, connected), key=lambda a: a.pk)
            self.instance.account, self.instance.other = low, high
        return data
