"""Accounts, their contacts and financed projects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from kam.fields import BlindIndexField, EncryptedTextField
from kam.links import link
from kam.masking import mask_email, mask_phone
from kam.model_mixins import ChoiceLabels, choices_check
from kam.quarters import today

from ..choices import (
    MAINLAND_REGIONS,
    AccountStatus,
    AccountType,
    Attitude,
    ContactChannel,
    CreditRating,
    Currency,
    DataSource,
    EquatorCategory,
    EsgRating,
    GreenCategory,
    GrowthPotential,
    Industry,
    Influence,
    LegalBasis,
    MembershipRole,
    ProjectStage,
    Region,
    RelationshipDepth,
    Sector,
    Seniority,
    StrategicFit,
    Tier,
)

# Lets constraints say ``uscc__length=18``.
models.CharField.register_lookup(Length)


def validate_uscc(value: str) -> None:
    """Unified Social Credit Code (GB 32100-2015): 18 characters with a check character."""
    try:
        uscc.validate(value)
    except StdnumError as exc:
        # python-stdnum's reasons are English only; say the same in the user's language.
        if isinstance(exc, InvalidLength):
            reason = _("it must have 18 characters")
        elif isinstance(exc, InvalidChecksum):
            reason = _("the check character does not match")
        else:
            reason = _("it contains characters that are not allowed")
        raise ValidationError(
            _("Enter a valid 18-character Unified Social Credit Code (%(reason)s)."),
            code="invalid_uscc",
            params={"reason": reason},
        ) from exc


class Account(ChoiceLabels, models.Model):
    legal_name_zh = models.CharField(_("legal name (Chinese)"), max_length=200, blank=True)
    legal_name_en = models.CharField(_("legal name (English)"), max_length=200, blank=True)
    uscc = models.CharField(
        _("Unified Social Credit Code"),
        max_length=18,
        null=True,
        blank=True,
        validators=[validate_uscc],
        help_text=_("18 characters; leave empty for foreign entities without one."),
    )
    account_type = models.CharField(
        _("type"), max_length=20, choices=AccountType.choices, default=AccountType.SPONSOR
    )
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=AccountStatus.choices, default=AccountStatus.PROSPECT
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.STANDARD)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner RM"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    team = models.ForeignKey(
        "kam.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        help_text=_("The organisational team that covers the account (the owner's team)."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="accounts.AccountMembership",
        related_name="member_accounts",
        verbose_name=_("account team"),
        blank=True,
    )
    credit_rating = models.CharField(
        _("internal credit rating"), max_length=4, choices=CreditRating.choices, blank=True
    )
    esg_rating = models.CharField(
        _("ESG rating"), max_length=3, choices=EsgRating.choices, blank=True
    )
    # Scoring inputs (tiering). Empty means unknown: each criterion says how unknown scores.
    relationship_revenue = models.DecimalField(
        _("relationship revenue (CNY, 12 months)"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Interest margin, fees and other income from the client over 12 months."),
    )
    wallet_size = models.DecimalField(
        _("client wallet (CNY a year)"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The client's estimated annual spend on banking services, all banks."),
    )
    growth_potential = models.CharField(
        _("growth potential"), max_length=10, choices=GrowthPotential.choices, blank=True
    )
    strategic_fit = models.CharField(
        _("strategic fit"), max_length=12, choices=StrategicFit.choices, blank=True
    )
    relationship_depth = models.CharField(
        _("relationship depth"), max_length=12, choices=RelationshipDepth.choices, blank=True
    )
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The end of the relationship, from which the retention of its contacts' information runs
    # (privacy): its own stamp, since ``updated_at`` moves with every edit and rescoring.
    exited_at = models.DateTimeField(_("exited"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["legal_name_en", "legal_name_zh", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"], condition=Q(uscc__isnull=False), name="account_uscc_unique"
            ),
            models.CheckConstraint(
                condition=~Q(legal_name_zh="") | ~Q(legal_name_en=""),
                name="account_has_legal_name",
            ),
            models.CheckConstraint(
                condition=Q(uscc__isnull=True) | Q(uscc__length=18),
                name="account_uscc_length",
            ),
            models.CheckConstraint(
                condition=choices_check("status", AccountStatus), name="account_status_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("tier", Tier), name="account_tier_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("account_type", AccountType), name="account_type_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("industry", Industry), name="account_industry_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("region", Region), name="account_region_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("credit_rating", CreditRating, blank=True),
                name="account_credit_rating_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("esg_rating", EsgRating, blank=True),
                name="account_esg_rating_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("growth_potential", GrowthPotential, blank=True),
                name="account_growth_potential_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("strategic_fit", StrategicFit, blank=True),
                name="account_strategic_fit_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("relationship_depth", RelationshipDepth, blank=True),
                name="account_relationship_depth_valid",
            ),
            models.CheckConstraint(
                condition=(Q(relationship_revenue__isnull=True) | Q(relationship_revenue__gte=0))
                & (Q(wallet_size__isnull=True) | Q(wallet_size__gte=0)),
                name="account_inputs_non_negative",
            ),
        ]
        indexes = [
            # The list's default order: a page of a large book reads 25 index entries.
            models.Index(fields=["legal_name_en", "legal_name_zh", "id"], name="account_order_idx"),
            models.Index(fields=["owner", "legal_name_en"], name="account_owner_name_idx"),
            models.Index(fields=["team", "legal_name_en"], name="account_team_name_idx"),
            models.Index(fields=["tier", "status"], name="account_tier_status_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return link("accounts:detail", self.pk)

    @property
    def display_name(self) -> str:
        if self.legal_name_en and self.legal_name_zh:
            return f"{self.legal_name_en} ({self.legal_name_zh})"
        return self.legal_name_en or self.legal_name_zh

    def get_additional_data(self) -> dict[str, Any]:
        """Tags the audit trail entry with the account, for filtering by account."""
        return {"account_id": self.pk}

    def clean(self) -> None:
        if not self.legal_name_zh and not self.legal_name_en:
            raise ValidationError(
                {"legal_name_en": _("Enter the legal name in Chinese, in English, or both.")}
            )
        if self.uscc == "":
            self.uscc = None
        self.stamp_exit()

    def stamp_exit(self) -> None:
        """Stamp when the account became exited, once (a later edit keeps the date); clear it
        when the account leaves that status, so that a second exit starts its own clock."""
        if self.status != AccountStatus.EXITED:
            self.exited_at = None
        elif self.exited_at is None:
            self.exited_at = timezone.now()


class TierPolicy(models.Model):
    """What a tier promises and demands; read by cadence, reviews, account plans and SLAs."""

    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, unique=True)
    cadence_days = models.PositiveSmallIntegerField(
        _("maximum days between interactions"),
        validators=[MinValueValidator(1)],
        help_text=_("A meaningful interaction is due at least this often."),
    )
    requires_quarterly_review = models.BooleanField(
        _("requires a quarterly executive review"), default=False
    )
    requires_account_plan = models.BooleanField(_("requires an account plan"), default=False)

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        ordering = ["cadence_days"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("tier", Tier), name="tierpolicy_tier_valid"
            ),
            models.CheckConstraint(
                condition=Q(cadence_days__gte=1), name="tierpolicy_cadence_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_tier_display())


class AccountMembership(models.Model):
    """A user on an account's team (besides the owner): they see and work the account."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("account")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="account_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.CO_RM
    )

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team members")
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=choices_check("role", MembershipRole), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "account"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}


class AccountUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's direct foreign-key permission model (users)."""

    content_object = models.ForeignKey(Account, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("account permission (user)")
        verbose_name_plural = _("account permissions (users)")


class AccountGroupObjectPermission(GroupObjectPermissionBase):
    """django-guardian's direct foreign-key permission model (groups); grants go to groups."""

    content_object = models.ForeignKey(Account, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("account permission (group)")
        verbose_name_plural = _("account permissions (groups)")


class ContactQuerySet(models.QuerySet["Contact"]):
    def with_phone(self, phone: str) -> ContactQuerySet:
        field = Contact._meta.get_field("phone_index")
        assert isinstance(field, BlindIndexField)
        return self.filter(phone_index=field.compute(phone))

    def with_email(self, email: str) -> ContactQuerySet:
        field = Contact._meta.get_field("email_index")
        assert isinstance(field, BlindIndexField)
        return self.filter(email_index=field.compute(email))


# What records a transfer abroad: that it happens, to whom, with which consent (art. 39).
CONTACT_TRANSFER_FIELDS = (
    "cross_border_transfer",
    "cross_border_recipient",
    "cross_border_consent_on",
)


class Contact(ChoiceLabels, models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("title"), max_length=120, blank=True)
    reports_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("reports to"),
        help_text=_("The contact's manager at the same client, for the relationship map."),
    )
    seniority = models.CharField(
        _("seniority"), max_length=20, choices=Seniority.choices, default=Seniority.SENIOR
    )
    influence = models.CharField(
        _("influence"), max_length=20, choices=Influence.choices, default=Influence.INFLUENCER
    )
    attitude = models.CharField(
        _("attitude towards us"), max_length=20, choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    channel_preferences = models.JSONField(
        _("preferred channels"),
        default=list,
        blank=True,
        help_text=_("Channels this contact prefers, most preferred first."),
    )
    # Personal information (PIPL): encrypted at rest, found by exact match through the index.
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = BlindIndexField(source="phone", normalizer="normalize_phone")
    email = EncryptedTextField(_("e-mail"), blank=True)
    email_index = BlindIndexField(source="email", normalizer="normalize_email")
    is_primary = models.BooleanField(_("primary contact"), default=False)
    # PIPL: on what ground, for what, told when, got from where (README, "PIPL handling").
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=20,
        choices=LegalBasis.choices,
        default=LegalBasis.CONTRACT,
        help_text=_("The ground of PIPL art. 13 on which we process this person's information."),
    )
    purpose = models.CharField(
        _("purpose of processing"),
        max_length=300,
        blank=True,
        help_text=_("What we use the information for, as the person was told."),
    )
    notice_given_on = models.DateField(
        _("notice given on"),
        null=True,
        blank=True,
        help_text=_("When the person was told who we are, why and how we process it (art. 17)."),
    )
    source = models.CharField(
        _("source"), max_length=20, choices=DataSource.choices, default=DataSource.CLIENT
    )
    consent_given_on = models.DateField(_("consent given on"), null=True, blank=True)
    consent_withdrawn_on = models.DateField(
        _("consent withdrawn on"),
        null=True,
        blank=True,
        help_text=_("Processing based on consent stops; the information is anonymised later."),
    )
    cross_border_transfer = models.BooleanField(
        _("provided outside mainland China"),
        default=False,
        help_text=_(
            "Tick when the information goes to a recipient outside mainland China; contacts "
            "of accounts outside the mainland always count as such."
        ),
    )
    cross_border_recipient = models.CharField(
        _("overseas recipient"),
        max_length=200,
        blank=True,
        help_text=_("Who receives it, and in which country or region."),
    )
    cross_border_consent_on = models.DateField(
        _("separate consent to the transfer on"), null=True, blank=True
    )
    cross_border_withdrawn_on = models.DateField(
        _("transfer consent withdrawn on"), null=True, blank=True
    )
    anonymised_at = models.DateTimeField(
        _("anonymised"), null=True, blank=True, editable=False, db_index=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["account", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("seniority", Seniority), name="contact_seniority_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("influence", Influence), name="contact_influence_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("attitude", Attitude), name="contact_attitude_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("legal_basis", LegalBasis),
                name="contact_legal_basis_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("source", DataSource), name="contact_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)

    @property
    def channel_preference_labels(self) -> list[str]:
        labels = dict(ContactChannel.choices)
        return [str(labels.get(code, code)) for code in self.channel_preferences]

    @property
    def leaves_mainland(self) -> bool:
        """Whether the person's information goes outside mainland China: marked so, or a
        contact of an account outside the mainland (Hong Kong and Macao included)."""
        if self.cross_border_transfer:
            return True
        account = self.account if self.account_id is not None else None
        return account is not None and account.region not in MAINLAND_REGIONS

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def consent_withdrawn(self) -> bool:
        """Consent is the legal basis and the person has withdrawn it."""
        return self.legal_basis == LegalBasis.CONSENT and self.consent_withdrawn_on is not None

    @property
    def processing_stopped(self) -> bool:
        """No more use of the person's information: anonymised, consent withdrawn where it is
        the basis, or the consent to a transfer abroad withdrawn. Reveals are refused."""
        return (
            self.is_anonymised
            or self.consent_withdrawn
            or (self.cross_border_withdrawn_on is not None and self.leaves_mainland)
        )

    @property
    def privacy_gaps(self) -> list[str]:
        """What the PIPL record of a contact still lacks, in the user's words."""
        if self.is_anonymised:
            return []
        gaps = []
        if not self.purpose:
            gaps.append(str(_("purpose missing")))
        if self.notice_given_on is None:
            gaps.append(str(_("notice date missing")))
        if self.leaves_mainland and self.cross_border_consent_on is None:
            gaps.append(str(_("separate consent to the transfer abroad missing")))
        if self.leaves_mainland and not self.cross_border_recipient.strip():
            gaps.append(str(_("overseas recipient missing")))
        return gaps

    @property
    def compliance_only_fields(self) -> list[str]:
        """The fields of the stored record that only compliance changes (a privacy request,
        README "PIPL handling"): a withdrawal once recorded, and so the legal basis it stopped
        or the transfer it ended — cleared by whoever edits contacts, processing would resume
        and the retention clock would move. Read on the row as loaded."""
        if self._state.adding:
            return []
        fields = []
        if self.consent_withdrawn_on is not None:
            fields += ["legal_basis", "consent_withdrawn_on"]
        if self.cross_border_withdrawn_on is not None:
            fields += ["cross_border_transfer", "cross_border_withdrawn_on"]
        return fields

    def clean(self) -> None:
        unknown = set(self.channel_preferences or []) - set(ContactChannel.values)
        if unknown:
            raise ValidationError(
                {"channel_preferences": _("Unknown channel: %(c)s") % {"c": ", ".join(unknown)}}
            )
        errors = self._pipl_errors()
        if self.reports_to_id is not None:
            if self.pk is not None and self.reports_to_id == self.pk:
                errors["reports_to"] = _("A contact cannot report to themselves.")
            elif self.reports_to is not None and self.reports_to.account_id != self.account_id:
                errors["reports_to"] = _("The manager must be a contact of the same account.")
        if errors:
            raise ValidationError(errors)

    def _transfer_being_set(self) -> bool:
        """Whether this save records the transfer abroad: a new contact, or one whose transfer
        fields differ from the stored row. Any other edit of a contact whose transfer lacks its
        consent or recipient (the account moved abroad, a contact from before the PIPL record)
        saves, and the gap shows among ``privacy_gaps``."""
        if self._state.adding or self.pk is None:
            return True
        stored = type(self)._base_manager.filter(pk=self.pk).values(*CONTACT_TRANSFER_FIELDS)
        row = stored.first()
        return row is None or any(row[name] != getattr(self, name) for name in row)

    def _pipl_errors(self) -> dict[str, Any]:
        """The PIPL record's own rules: consent as the basis needs the date it was given; a
        withdrawal comes after what it withdraws; information that leaves the mainland needs
        the person's separate consent and the recipient (art. 39) — refused when the transfer
        is being recorded, a gap otherwise; no date in the future."""
        if self.is_anonymised:
            return {}
        errors: dict[str, Any] = {}
        now = today()
        for name in (
            "notice_given_on",
            "consent_given_on",
            "consent_withdrawn_on",
            "cross_border_consent_on",
            "cross_border_withdrawn_on",
        ):
            value = getattr(self, name)
            if value is not None and value > now:
                errors[name] = _("This date is in the future.")
        if self.legal_basis == LegalBasis.CONSENT and self.consent_given_on is None:
            errors.setdefault(
                "consent_given_on",
                _("Consent is the legal basis: record when the person gave it."),
            )
        if self.consent_withdrawn_on is not None:
            if self.consent_given_on is None:
                errors.setdefault(
                    "consent_withdrawn_on", _("A withdrawal needs the consent it withdraws.")
                )
            elif self.consent_withdrawn_on < self.consent_given_on:
                errors.setdefault(
                    "consent_withdrawn_on", _("Consent cannot be withdrawn before it was given.")
                )
        if self.leaves_mainland and self._transfer_being_set():
            if self.cross_border_consent_on is None:
                errors.setdefault(
                    "cross_border_consent_on",
                    _(
                        "This information leaves mainland China: record the person's separate "
                        "consent to the transfer."
                    ),
                )
            if not self.cross_border_recipient.strip():
                errors["cross_border_recipient"] = _(
                    "Name the recipient outside mainland China and its country or region."
                )
        if self.cross_border_withdrawn_on is not None:
            if self.cross_border_consent_on is None:
                errors.setdefault(
                    "cross_border_withdrawn_on", _("A withdrawal needs the consent it withdraws.")
                )
            elif self.cross_border_withdrawn_on < self.cross_border_consent_on:
                errors.setdefault(
                    "cross_border_withdrawn_on",
                    _("Consent cannot be withdrawn before it was given."),
                )
        return errors


# Shared by the money fields below.
_MONEY_VALIDATORS = [MinValueValidator(Decimal("0"))]


class Project(ChoiceLabels, models.Model):
    """A financed project. ``account`` is the relationship the project is managed under (its
    lead account, whose book decides who may open the project); who the project's sponsors,
    borrower, contractors and lenders are is in its parties, and what we lend in its
    facilities (accounts/models/finance.py)."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="projects",
        verbose_name=_("lead account"),
        help_text=_("The relationship the project is managed under; its book decides access."),
    )
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    total_cost = models.DecimalField(
        _("total project cost"), max_digits=18, decimal_places=2, validators=_MONEY_VALIDATORS
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=ProjectStage.choices, default=ProjectStage.ORIGINATION
    )
    financial_close_date = models.DateField(_("financial close"), null=True, blank=True)
    planned_cod = models.DateField(_("planned commercial operation"), null=True, blank=True)
    forecast_cod = models.DateField(_("forecast commercial operation"), null=True, blank=True)
    equator_category = models.CharField(
        _("Equator Principles category"),
        max_length=1,
        choices=EquatorCategory.choices,
        blank=True,
    )
    green_category = models.CharField(
        _("green taxonomy category"),
        max_length=24,
        choices=GreenCategory.choices,
        blank=True,
        help_text=_(
            "The class of the green-industry guidance catalogue the project falls in; empty "
            "when the project is not green."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["account", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_cost__gte=0), name="project_total_cost_non_negative"
            ),
            models.CheckConstraint(
                condition=choices_check("green_category", GreenCategory, blank=True),
                name="project_green_category_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("sector", Sector), name="project_sector_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("region", Region), name="project_region_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("stage", ProjectStage), name="project_stage_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("currency", Currency), name="project_currency_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("equator_category", EquatorCategory, blank=True),
                name="project_equator_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if (
            self.planned_cod
            and self.financial_close_date
            and self.planned_cod < self.financial_close_date
        ):
            errors["planned_cod"] = _(
                "Commercial operation cannot be planned before financial close."
            )
        if errors:
            raise ValidationError(errors)
