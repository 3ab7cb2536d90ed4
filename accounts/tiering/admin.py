"""Django admin of tiering: scoring models (edited as drafts, published as immutable versions),
FX rates, scores, tier history, overrides, recompute runs, and account plans."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kam.models import User

from ..choices import RecomputeTrigger
from ..models import (
    AccountPlan,
    AccountScore,
    ChoicePoints,
    Criterion,
    FxRate,
    PlanAction,
    PlanServiceItem,
    PlanWalletLine,
    ScoreBand,
    ScoringModel,
    TierChange,
    TieringChunk,
    TieringRun,
    TierOverride,
)
from . import services as tiering_services
from .engine import INPUTS


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


if TYPE_CHECKING:
    # What the mixin is mixed into, so its super() calls are checked against the admin.
    _AdminBase = admin.options.BaseModelAdmin[Any]
else:
    _AdminBase = object


class _DraftOnlyMixin(_AdminBase):
    """Published models and their parts are read-only: make a new draft to change them."""

    def _model_of(self, obj: Any) -> ScoringModel | None:
        raise NotImplementedError

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        model = self._model_of(obj) if obj is not None else None
        if model is not None and not model.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        model = self._model_of(obj) if obj is not None else None
        if model is not None and not model.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        model = self._model_of(obj) if obj is not None else None
        if model is not None and not model.is_draft:
            return False
        if isinstance(self, admin.options.InlineModelAdmin):
            # An inline's has_add_permission also takes the parent object.
            inline = cast("admin.options.InlineModelAdmin[Any, Any]", super())
            return inline.has_add_permission(request, obj)
        # ModelAdmin.has_add_permission takes no object (the admin index asks every model).
        return super().has_add_permission(request)


class CriterionInline(_DraftOnlyMixin, admin.TabularInline):
    model = Criterion
    fields = ("position", "input", "weight", "missing_policy", "neutral_points", "scoring")
    readonly_fields = ("scoring",)
    show_change_link = True
    extra = 0

    def _model_of(self, obj: Any) -> ScoringModel | None:
        return obj

    @admin.display(description=_("scored by"))
    def scoring(self, obj: Criterion) -> str:
        if not obj.pk:
            return "—"
        if obj.is_numeric:
            bands = obj.bands.all()
            return ", ".join(f"≥{b.lower_bound:,.0f}: {b.points:.0f}" for b in bands) or gettext(
                "no bands yet"
            )
        return ", ".join(f"{c.value}: {c.points:.0f}" for c in obj.choice_points.all()) or gettext(
            "no points yet"
        )


@admin.register(ScoringModel)
class ScoringModelAdmin(_DraftOnlyMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "version",
        "status",
        "weight_total",
        "strategic_min",
        "key_min",
        "core_min",
        "published_at",
        "published_by",
    )
    list_filter = ("status",)
    search_fields = ("name",)
    readonly_fields = (
        "status",
        "version",
        "based_on",
        "created_by",
        "created_at",
        "published_at",
        "published_by",
        "publication_check",
    )
    fieldsets = (
        (None, {"fields": ("name", "description", "status", "version", "based_on")}),
        (
            _("Tier thresholds (score from which a tier applies)"),
            {"fields": ("strategic_min", "key_min", "core_min")},
        ),
        (_("Publication"), {"fields": ("publication_check", "published_at", "published_by")}),
        (_("Record"), {"fields": ("created_by", "created_at"), "classes": ("collapse",)}),
    )
    inlines = [CriterionInline]
    actions = ["publish", "new_draft", "recompute_now"]

    def _model_of(self, obj: Any) -> ScoringModel | None:
        return obj

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScoringModel]:
        return super().get_queryset(request).annotate(_weights=Sum("criteria__weight"))

    @admin.display(description=_("weights"), ordering="_weights")
    def weight_total(self, obj: ScoringModel) -> str:
        total = getattr(obj, "_weights", None)
        return "—" if total is None else f"{total:.2f}"

    @admin.display(description=_("can it be published?"))
    def publication_check(self, obj: ScoringModel) -> str:
        if not obj.pk:
            return gettext("Save the draft and add its criteria first.")
        if not obj.is_draft:
            return gettext("Published versions cannot change; use “New draft from this version”.")
        problems = tiering_services.scoring_model_problems(scoring_model=obj)
        if not problems:
            return gettext("Yes: select it in the list and choose “Publish”.")
        return format_html(
            "<ul class='errorlist'>{}</ul>",
            format_html_join("", "<li>{}</li>", ((p,) for p in problems)),
        )

    def save_model(self, request: HttpRequest, obj: ScoringModel, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = _user(request)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish the selected draft as the new version"))
    def publish(self, request: HttpRequest, queryset: QuerySet[ScoringModel]) -> None:
        drafts = list(queryset)
        if len(drafts) != 1:
            self.message_user(
                request, gettext("Select exactly one draft to publish."), messages.ERROR
            )
            return
        try:
            model = tiering_services.scoring_model_publish(
                scoring_model=drafts[0], user=_user(request)
            )
        except ValidationError as error:
            self.message_user(
                request,
                format_html(
                    "{}<ul>{}</ul>",
                    gettext("%(model)s cannot be published:") % {"model": drafts[0]},
                    format_html_join("", "<li>{}</li>", ((m,) for m in error.messages)),
                ),
                messages.ERROR,
            )
            return
        self.message_user(
            request,
            gettext("%(model)s is published; every account is being rescored with it.")
            % {"model": model},
            messages.SUCCESS,
        )

    @admin.action(description=_("New draft from this version"))
    def new_draft(
        self, request: HttpRequest, queryset: QuerySet[ScoringModel]
    ) -> HttpResponseRedirect | None:
        sources = list(queryset)
        if len(sources) != 1:
            self.message_user(
                request, gettext("Select exactly one version to copy."), messages.ERROR
            )
            return None
        draft = tiering_services.scoring_model_copy(source=sources[0], user=_user(request))
        self.message_user(
            request, gettext("Draft created; change it and publish it."), messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:accounts_scoringmodel_change", args=[draft.pk]))

    @admin.action(description=_("Rescore every account now with the published version"))
    def recompute_now(self, request: HttpRequest, queryset: QuerySet[ScoringModel]) -> None:
        tiering_services.enqueue_recompute_all(trigger=RecomputeTrigger.MANUAL)
        self.message_user(request, gettext("Recompute queued."), messages.SUCCESS)


class ScoreBandInline(_DraftOnlyMixin, admin.TabularInline):
    model = ScoreBand
    fields = ("lower_bound", "points")
    extra = 1

    def _model_of(self, obj: Any) -> ScoringModel | None:
        return obj.scoring_model if isinstance(obj, Criterion) else None

    def get_max_num(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int | None:
        return 0 if isinstance(obj, Criterion) and not obj.is_numeric else None


class ChoicePointsInline(_DraftOnlyMixin, admin.TabularInline):
    model = ChoicePoints
    fields = ("value", "points")
    extra = 0

    def _model_of(self, obj: Any) -> ScoringModel | None:
        return obj.scoring_model if isinstance(obj, Criterion) else None

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        # Offer a row for each choice that has no points yet.
        if isinstance(obj, Criterion) and obj.is_choice:
            definition = INPUTS[obj.input]
            values = definition.choices.values if definition.choices else []
            return max(0, len(values) - obj.choice_points.count())
        return 0

    def get_max_num(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int | None:
        return 0 if isinstance(obj, Criterion) and not obj.is_choice else None


@admin.register(Criterion)
class CriterionAdmin(_DraftOnlyMixin, admin.ModelAdmin):
    list_display = ("scoring_model", "input", "weight", "missing_policy", "neutral_points")
    list_filter = ("scoring_model", "input")
    list_select_related = ("scoring_model",)
    fields = (
        "scoring_model",
        "position",
        "input",
        "input_help",
        "weight",
        "missing_policy",
        "neutral_points",
    )
    readonly_fields = ("input_help",)
    inlines = [ScoreBandInline, ChoicePointsInline]

    def _model_of(self, obj: Any) -> ScoringModel | None:
        return obj.scoring_model if isinstance(obj, Criterion) else None

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "scoring_model":
            kwargs["queryset"] = ScoringModel.objects.filter(status="draft")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("how it is scored"))
    def input_help(self, obj: Criterion) -> str:
        definition = INPUTS.get(obj.input) if obj and obj.input else None
        if definition is None:
            return gettext("Choose the input, save, then give its bands or points per choice.")
        if definition.choices is not None:
            choices = ", ".join(f"{v} ({label})" for v, label in definition.choices.choices)
            return gettext("Points per choice: %(choices)s.") % {"choices": choices}
        unit = definition.unit or ""
        return gettext(
            "Bands of %(unit)s: each band applies from its lower bound (inclusive) to the next; "
            "the first starts at 0. %(help)s"
        ) % {"unit": unit, "help": definition.help_text}


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ("currency", "rate_to_cny", "as_of", "updated_at")
    list_editable = ("rate_to_cny", "as_of")
    readonly_fields = ("updated_at",)


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the tiering services only: the admin shows them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccountScore)
class AccountScoreAdmin(_ReadOnlyAdmin):
    list_display = ("account", "score", "model_tier", "scoring_model", "computed_at")
    list_filter = ("model_tier", "scoring_model")
    list_select_related = ("account", "scoring_model")
    search_fields = ("account__legal_name_en", "account__legal_name_zh", "account__uscc")
    show_full_result_count = False


@admin.register(TierChange)
class TierChangeAdmin(_ReadOnlyAdmin):
    list_display = (
        "account",
        "changed_at",
        "old_tier",
        "new_tier",
        "score",
        "cause",
        "scoring_model",
        "changed_by",
    )
    list_filter = ("cause", "new_tier", "scoring_model")
    list_select_related = ("account", "scoring_model", "changed_by")
    search_fields = ("account__legal_name_en", "account__legal_name_zh", "account__uscc")
    date_hierarchy = "changed_at"
    show_full_result_count = False


@admin.register(TierOverride)
class TierOverrideAdmin(_ReadOnlyAdmin):
    """Overrides are proposed and decided in the portal (maker–checker), never here."""

    list_display = (
        "account",
        "requested_tier",
        "status",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "requested_tier")
    list_select_related = ("account", "proposed_by", "decided_by")
    search_fields = ("account__legal_name_en", "account__legal_name_zh", "reason")


class TieringChunkInline(admin.TabularInline):
    model = TieringChunk
    fields = ("index", "first_pk", "last_pk", "finished_at", "accounts", "tier_changes")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(TieringRun)
class TieringRunAdmin(_ReadOnlyAdmin):
    list_display = ("started_at", "trigger", "scoring_model", "chunk_count", "finished_at")
    list_filter = ("trigger",)
    list_select_related = ("scoring_model",)
    inlines = [TieringChunkInline]


class WalletLineInline(admin.TabularInline):
    model = PlanWalletLine
    extra = 0


class ServiceItemInline(admin.TabularInline):
    model = PlanServiceItem
    extra = 0


class PlanActionInline(admin.TabularInline):
    model = PlanAction
    fields = ("title", "owner", "due_date", "status", "done_at")
    autocomplete_fields = ("owner",)
    extra = 0


@admin.register(AccountPlan)
class AccountPlanAdmin(admin.ModelAdmin):
    list_display = ("account", "status", "next_review", "updated_at", "updated_by")
    list_filter = ("status",)
    list_select_related = ("account", "updated_by")
    search_fields = ("account__legal_name_en", "account__legal_name_zh")
    autocomplete_fields = ("account",)
    readonly_fields = ("created_at", "updated_at", "updated_by")
    inlines = [WalletLineInline, ServiceItemInline, PlanActionInline]


@admin.register(PlanAction)
class PlanActionAdmin(admin.ModelAdmin):
    list_display = ("title", "plan", "owner", "due_date", "status")
    list_filter = ("status",)
    list_select_related = ("plan__account", "owner")
    search_fields = ("title", "plan__account__legal_name_en", "plan__account__legal_name_zh")
    autocomplete_fields = ("owner",)
    date_hierarchy = "due_date"
