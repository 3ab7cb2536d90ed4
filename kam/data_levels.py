"""Data-security levels of what the portal shows and exports, after the financial industry's
grading guide (JR/T 0197-2020, 金融数据安全 数据安全分级指南).

JR/T 0197 grades data from 1 to 5 by the harm its leak, alteration or loss would do:

5. data whose breach could affect national security (the portal holds none);
4. data whose breach seriously harms people or the institution: authentication data (personal
   financial information C3) and confidential deliberations;
3. personal financial information C2 — who a person is and how to reach them — and sensitive
   business records such as interaction notes and the audit trail;
2. internal data: business facts, ratings and figures of client companies, staff names;
1. public data: what a company's registration publishes.

Every export names the kinds of data it contains (``export_response(fields=...)``, keys of
``FIELD_LEVELS``); its highest level is logged with it, and one at or above
``settings.EXPORT_REASON_MIN_LEVEL`` asks why it is needed whatever its size. The README's
"Data-security levels" table is this registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DataLevel(IntEnum):
    PUBLIC = 1
    INTERNAL = 2
    SENSITIVE = 3
    HIGHLY_SENSITIVE = 4
    CORE = 5


LEVEL_LABELS: dict[DataLevel, Promise] = {
    DataLevel.PUBLIC: _("public"),
    DataLevel.INTERNAL: _("internal"),
    DataLevel.SENSITIVE: _("sensitive"),
    DataLevel.HIGHLY_SENSITIVE: _("highly sensitive"),
    DataLevel.CORE: _("core"),
}

# What each kind of data is, and its level. Keys are "<record>.<field or group of fields>".
FIELD_LEVELS: dict[str, DataLevel] = {
    # Accounts: registered names and codes are public; the bank's view of the client internal.
    "account.name": DataLevel.PUBLIC,  # legal names (Chinese, English)
    "account.uscc": DataLevel.PUBLIC,  # Unified Social Credit Code
    "account.profile": DataLevel.INTERNAL,  # type, industry, region, status, tier, owner, team
    "account.ratings": DataLevel.INTERNAL,  # internal credit and ESG ratings, score, risk level
    "account.financials": DataLevel.INTERNAL,  # revenue, wallet, exposure, project amounts
    # Contacts: the person's identity and how to reach them (C2).
    "contact.name": DataLevel.SENSITIVE,
    "contact.title": DataLevel.INTERNAL,
    "contact.stakeholder": DataLevel.INTERNAL,  # seniority, influence, attitude, channels
    "contact.phone": DataLevel.SENSITIVE,
    "contact.email": DataLevel.SENSITIVE,
    "contact.pipl": DataLevel.INTERNAL,  # legal basis, purpose, notice, source, consents
    # Interactions: facts are internal, notes say what clients told us.
    "interaction.facts": DataLevel.INTERNAL,  # when, channel, subject, who logged it
    "interaction.notes": DataLevel.SENSITIVE,  # summary, outcome
    "interaction.confidential_notes": DataLevel.HIGHLY_SENSITIVE,  # never exported
    "service_request.facts": DataLevel.INTERNAL,  # subject, state, clocks, satisfaction
    "risk_alert.facts": DataLevel.INTERNAL,  # severity, state, title, rule, dates
    "figures.aggregate": DataLevel.INTERNAL,  # dashboard, scorecard and report tables
    # Staff and the audit trail.
    "user.name": DataLevel.INTERNAL,
    "user.credentials": DataLevel.HIGHLY_SENSITIVE,  # password hashes: never shown or exported
    "audit.changes": DataLevel.SENSITIVE,  # who changed what, old and new values (PII masked)
    "audit.reads": DataLevel.SENSITIVE,  # sign-ins, reveals, exports, client addresses
    "privacy.request": DataLevel.SENSITIVE,  # a data-subject request and its handling
}


def level_of(fields: Iterable[str]) -> DataLevel | None:
    """The highest level among ``fields`` (keys of ``FIELD_LEVELS``); None for none. An
    unknown key is a programming error and raises ``KeyError``."""
    levels = [FIELD_LEVELS[name] for name in fields]
    return max(levels) if levels else None


def label(level: int) -> str:
    return str(LEVEL_LABELS[DataLevel(level)])


def needs_reason(level: int | None) -> bool:
    """Whether an export of data at ``level`` must say why, whatever its size."""
    return level is not None and level >= settings.EXPORT_REASON_MIN_LEVEL
