from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Project
from kam.forms import DATE_INPUT, CrispyMixin
from kam.models import User

from .choices import OPEN_ITEM_STATUSES, EsapItemStatus
from .models import Esap, EsapItem, EsReview
from .selectors import independent_engineers


class EsapForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = Esap
        fields = ["agreed_on", "note"]
        widgets = {"agreed_on": DATE_INPUT, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()


class EsapItemForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = EsapItem
        fields = [
            "action",
            "standard",
            "reference",
            "owner_user",
            "owner_contact",
            "due_date",
            "status",
            "completed_on",
            "evidence",
        ]
        widgets = {
            "due_date": DATE_INPUT,
            "completed_on": DATE_INPUT,
            "evidence": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "completed_on": _("Left empty for an item marked done: today."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        owner = self.fields["owner_user"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = User.objects.filter(is_active=True).order_by("username")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # As the service does: a done item without a date is done today; an item put back to
        # open or in progress loses its completion date.
        if data.get("status") == EsapItemStatus.DONE and not data.get("completed_on"):
            data["completed_on"] = timezone.localdate()
        elif data.get("status") in OPEN_ITEM_STATUSES:
            data["completed_on"] = None
        return data


class EsReviewForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = EsReview
        fields = [
            "reviewer_account",
            "reviewer_name",
            "review_date",
            "outcome",
            "findings",
            "next_review_date",
        ]
        widgets = {
            "review_date": DATE_INPUT,
            "next_review_date": DATE_INPUT,
            "findings": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        engineers = independent_engineers(project=project)
        reviewer = self.fields["reviewer_account"]
        assert isinstance(reviewer, forms.ModelChoiceField)
        reviewer.queryset = engineers
        if not engineers.exists():
            # No independent engineer among the parties: the reviewer is named.
            del self.fields["reviewer_account"]
