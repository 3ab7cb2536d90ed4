"""Change history of the accounts app (django-auditlog): accounts, their teams and handovers,
contacts, projects, per-account grants, tier policies, the scoring models, tier overrides and
account plans with their lines.

Personal data is masked in the log (138****1234, 王***) and a contact is named by pseudonym
("Contact #12"); blind indexes are never logged; the "last changed" stamps are left out (the
entry has its own time). Each entry carries the account id in ``additional_data`` where the
model knows it, so compliance can filter by account.
"""

from auditlog.registry import auditlog

from kam.pseudonyms import register_pseudonym

from .models import (
    Account,
    AccountGroupObjectPermission,
    AccountHandover,
    AccountMembership,
    AccountPlan,
    AccountUserObjectPermission,
    ChoicePoints,
    Contact,
    Criterion,
    FxRate,
    PlanAction,
    PlanServiceItem,
    PlanWalletLine,
    Project,
    ScoreBand,
    ScoringModel,
    TierOverride,
    TierPolicy,
)

_STAMPS = ["updated_at"]

auditlog.register(Account, exclude_fields=_STAMPS, m2m_fields={"members"})
auditlog.register(AccountMembership)
auditlog.register(AccountHandover)
auditlog.register(AccountUserObjectPermission)
auditlog.register(AccountGroupObjectPermission)
auditlog.register(Project, exclude_fields=_STAMPS)
# A contact is a person: the log names the record "Contact #12" and masks the name and title
# as it masks the phone and e-mail (kam.masking.mask_value: "王***"), so nothing of the person
# outlives their anonymisation in the log (README, "Audit trail").
register_pseudonym(Contact, "Contact")
auditlog.register(
    Contact,
    mask_fields=["name", "title", "phone", "email"],
    exclude_fields=["phone_index", "email_index", *_STAMPS],
)
auditlog.register(TierPolicy)
auditlog.register(FxRate, exclude_fields=_STAMPS)
auditlog.register(ScoringModel, exclude_fields=_STAMPS)
auditlog.register(Criterion)
auditlog.register(ScoreBand)
auditlog.register(ChoicePoints)
auditlog.register(TierOverride)
auditlog.register(AccountPlan, exclude_fields=_STAMPS)
auditlog.register(PlanWalletLine)
auditlog.register(PlanServiceItem)
auditlog.register(PlanAction)

# Models of this app that are not in the change log, and why (tests/kam/test_audit_coverage).
NOT_AUDITED: dict[str, str] = {
    "accounts.AccountScore": "computed by the tiering recompute from audited inputs",
    "accounts.TierChange": "the tier history itself, written with every tier change",
    "accounts.TieringRun": "a record of a recompute job",
    "accounts.TieringChunk": "a record of a recompute job",
}
