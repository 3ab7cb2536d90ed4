"""Forms for logging interactions and their follow-up actions (issue 4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from kam.models import User

from ..models import Channel, Interaction
from ..services.interactions import FollowUpData


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class ContactChoiceField(forms.ModelMultipleChoiceField):
    """Contacts of one account, each labelled with its title and preferred channels."""

    def __init__(self, *args: Any, channels: dict[str, Channel], **kwargs: Any) -> None:
        self.channels = channels
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Contact) -> str:
        preferred = [self.channels[c].label for c in obj.channel_preferences if c in self.channels]
        label = f"{obj.name} — {obj.title}" if obj.title else obj.name
        if preferred:
            label += " · " + str(_("prefers")) + " " + ", ".join(preferred)
        return label


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.short_name


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.short_name


def account_team_users(account: Account) -> QuerySet[User]:
    """The users who may own an account's follow-up actions: the account team."""
    condition = Q(pk=account.owner_id) | Q(account_memberships__account=account)
    if account.team_id is not None:
        condition |= Q(led_teams__pk=account.team_id)
    return User.objects.filter(condition, is_active=True).distinct().order_by("username")


def internal_users() -> QuerySet[User]:
    """Colleagues who can take part in an interaction: active users with a portal role."""
    return User.objects.filter(is_active=True, groups__isnull=False).distinct().order_by("username")


class InteractionForm(forms.Form):
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.none(), empty_label=None
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=DateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    outcome = forms.CharField(
        label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    meeting_link = forms.URLField(
        label=_("Meeting link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("For a video conference: the Zoom, Teams or Tencent Meeting link."),
    )
    is_confidential = forms.BooleanField(
        label=_("Confidential"),
        required=False,
        help_text=_(
            "Only the account team (owner, team members, team lead) and compliance will see "
            "it, and its summary and outcome are stored encrypted. The subject is not "
            "encrypted (it names the interaction in the change log and Django admin): keep "
            "what is confidential in the summary and outcome."
        ),
    )
    internal_participants = UserChoiceField(
        label=_("Internal participants"), queryset=User.objects.none(), required=False
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contact participants"), queryset=Contact.objects.none(), required=False
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        channels = {c.code: c for c in Channel.objects.all()}
        channel_field = self.fields["channel"]
        participants_field = self.fields["internal_participants"]
        assert isinstance(channel_field, forms.ModelChoiceField)
        assert isinstance(participants_field, forms.ModelChoiceField)
        channel_field.queryset = Channel.objects.filter(is_active=True)
        participants_field.queryset = internal_users()
        participants_field.widget.attrs["size"] = 6
        self.fields["contacts"] = ContactChoiceField(
            label=_("Contact participants"),
            queryset=account.contacts.order_by("name"),
            required=False,
            channels=channels,
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "invalid_choice": _(
                    "Only contacts of this account can take part; contact %(value)s is not one "
                    "of them."
                ),
            },
        )

    def clean_occurred_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["occurred_at"]
        if value > timezone.now():
            raise forms.ValidationError(
                _("An interaction that took place cannot be dated in the future."),
                code="future",
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel: Channel | None = data.get("channel")
        if data.get("meeting_link") and channel is not None and not channel.is_video:
            self.add_error(
                "meeting_link",
                _(
                    "Only a video conference keeps a meeting link; choose the video channel or clear it."
                ),
            )
        return data

    @classmethod
    def initial_for(cls, interaction: Interaction) -> dict[str, Any]:
        return {
            "channel": interaction.channel_id,
            "occurred_at": timezone.localtime(interaction.occurred_at),
            "subject": interaction.subject,
            "summary": interaction.notes.summary,
            "outcome": interaction.notes.outcome,
            "meeting_link": interaction.meeting_link,
            "is_confidential": interaction.is_confidential,
            "internal_participants": [u.pk for u in interaction.internal_participants.all()],
            "contacts": [c.pk for c in interaction.contacts.all()],
        }


class FollowUpForm(forms.Form):
    description = forms.CharField(label=_("Action"), max_length=300, required=False)
    owner = OwnerChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = owners

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = [data.get("description"), data.get("owner"), data.get("due_date")]
        if any(filled) and not all(filled):
            if not data.get("description"):
                self.add_error("description", _("Describe the action."))
            if not data.get("owner"):
                self.add_error("owner", _("Choose who owns the action."))
            if not data.get("due_date") and "due_date" not in self.errors:
                self.add_error("due_date", _("Give the action a due date."))
        return data

    def to_data(self) -> FollowUpData | None:
        data = self.cleaned_data
        if not data.get("description"):
            return None
        return FollowUpData(
            description=data["description"], owner=data["owner"], due_date=data["due_date"]
        )


FollowUpFormSet = forms.formset_factory(FollowUpForm, extra=3, max_num=10, absolute_max=20)


def follow_up_formset(data: Any, *, account: Account, prefix: str = "actions") -> forms.BaseFormSet:
    return FollowUpFormSet(data, prefix=prefix, form_kwargs={"owners": account_team_users(account)})


def follow_up_data(formset: forms.BaseFormSet) -> list[FollowUpData]:
    rows = []
    for form in formset.forms:
        item = form.to_data()
        if item is not None:
            rows.append(item)
    return rows
