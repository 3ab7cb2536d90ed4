"""The accounts app's models, one module per area; import them from here
(``from accounts.models import Account``).

- ``core``: accounts, tier policies, account teams, contacts, projects
- ``accounts.tiering.models``: scoring models, scores, tier history, overrides, FX rates,
  recompute runs (in the tiering package; imported here so Django registers them)
- ``plans``: account plans with wallet lines, service bundle and actions
- ``finance``: project parties with their roles, facilities and their loan classification
- ``handovers``: an owner's request to hand an account over, and the lead's decision
"""

from ..tiering.models import (
    AccountScore,
    ChoicePoints,
    Criterion,
    FxRate,
    ScoreBand,
    ScoringModel,
    TierChange,
    TieringChunk,
    TieringRun,
    TierOverride,
)
from .core import (
    Account,
    AccountGroupObjectPermission,
    AccountMembership,
    AccountUserObjectPermission,
    Contact,
    ContactQuerySet,
    Project,
    TierPolicy,
    validate_uscc,
)
from .finance import Facility, FacilityClassificationChange, ProjectParty
from .handovers import AccountHandover, HandoverStatus
from .plans import AccountPlan, PlanAction, PlanServiceItem, PlanWalletLine

__all__ = [
    "Account",
    "AccountHandover",
    "AccountGroupObjectPermission",
    "AccountMembership",
    "HandoverStatus",
    "AccountPlan",
    "AccountScore",
    "AccountUserObjectPermission",
    "ChoicePoints",
    "Contact",
    "ContactQuerySet",
    "Criterion",
    "Facility",
    "FacilityClassificationChange",
    "FxRate",
    "PlanAction",
    "PlanServiceItem",
    "PlanWalletLine",
    "Project",
    "ProjectParty",
    "ScoreBand",
    "ScoringModel",
    "TierChange",
    "TierOverride",
    "TierPolicy",
    "TieringChunk",
    "TieringRun",
    "validate_uscc",
]
