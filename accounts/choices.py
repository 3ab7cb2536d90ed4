"""Choice lists of the account domain. Stored values are stable English codes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountType(models.TextChoices):
    SPONSOR = "sponsor", _("Sponsor")
    BORROWER = "borrower", _("Borrower")
    EPC = "epc", _("EPC contractor")
    OFFTAKER = "offtaker", _("Off-taker")
    CO_LENDER = "co_lender", _("Co-lender")
    PARTNER = "partner", _("Strategic partner")


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    EXITED = "exited", _("Exited")


class Tier(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    KEY = "key", _("Key")
    CORE = "core", _("Core")
    STANDARD = "standard", _("Standard")


class Industry(models.TextChoices):
    POWER = "power", _("Power generation and grid")
    RENEWABLES = "renewables", _("Renewable energy")
    OIL_GAS = "oil_gas", _("Oil and gas")
    TRANSPORT = "transport", _("Transport infrastructure")
    WATER = "water", _("Water and environment")
    SOCIAL = "social", _("Social infrastructure")
    MINING = "mining", _("Mining and metals")
    TELECOM = "telecom", _("Telecom and digital")
    CONSTRUCTION = "construction", _("Engineering and construction")
    FINANCE = "finance", _("Financial institutions")
    INDUSTRY = "industry", _("Manufacturing and industry")
    REAL_ESTATE = "real_estate", _("Real estate and urban development")


class Region(models.TextChoices):
    NORTH_CHINA = "cn_north", _("North China")
    NORTHEAST_CHINA = "cn_northeast", _("Northeast China")
    EAST_CHINA = "cn_east", _("East China")
    CENTRAL_CHINA = "cn_central", _("Central China")
    SOUTH_CHINA = "cn_south", _("South China")
    SOUTHWEST_CHINA = "cn_southwest", _("Southwest China")
    NORTHWEST_CHINA = "cn_northwest", _("Northwest China")
    HK_MACAO = "hk_macao", _("Hong Kong and Macao")
    SOUTHEAST_ASIA = "se_asia", _("Southeast Asia")
    SOUTH_ASIA = "s_asia", _("South Asia")
    CENTRAL_ASIA = "c_asia", _("Central Asia")
    MIDDLE_EAST = "middle_east", _("Middle East")
    AFRICA = "africa", _("Africa")
    EUROPE = "europe", _("Europe")
    LATIN_AMERICA = "latam", _("Latin America")
    OCEANIA = "oceania", _("Oceania")


class CreditRating(models.TextChoices):
    """Internal credit rating, best first; ``rank`` orders them for downgrade checks."""

    AAA = "AAA", "AAA"
    AA_PLUS = "AA+", "AA+"
    AA = "AA", "AA"
    AA_MINUS = "AA-", "AA-"
    A_PLUS = "A+", "A+"
    A = "A", "A"
    A_MINUS = "A-", "A-"
    BBB_PLUS = "BBB+", "BBB+"
    BBB = "BBB", "BBB"
    BBB_MINUS = "BBB-", "BBB-"
    BB_PLUS = "BB+", "BB+"
    BB = "BB", "BB"
    BB_MINUS = "BB-", "BB-"
    B = "B", "B"
    CCC = "CCC", "CCC"
    CC = "CC", "CC"
    C = "C", "C"
    D = "D", "D"

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for AAA, growing as the rating worsens."""
        return cls.values.index(value)


class EsgRating(models.TextChoices):
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    BBB = "BBB", "BBB"
    BB = "BB", "BB"
    B = "B", "B"
    CCC = "CCC", "CCC"


class Seniority(models.TextChoices):
    BOARD = "board", _("Board / chairman")
    C_LEVEL = "c_level", _("C-level executive")
    SENIOR = "senior", _("Senior manager")
    MIDDLE = "middle", _("Middle manager")
    STAFF = "staff", _("Staff")


class Influence(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    USER = "user", _("User")


class Attitude(models.TextChoices):
    CHAMPION = "champion", _("Champion")
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    SKEPTIC = "skeptic", _("Skeptic")
    OPPONENT = "opponent", _("Opponent")


class ContactChannel(models.TextChoices):
    MEETING = "meeting", _("In-person meeting")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    VIDEO = "video", _("Video conference")
    SITE_VISIT = "site_visit", _("Site visit")
    WECHAT = "wechat", _("WeChat / WeCom")
    EVENT = "event", _("Event")


class MembershipRole(models.TextChoices):
    CO_RM = "co_rm", _("Co-relationship manager")
    ANALYST = "analyst", _("Credit analyst")
    PRODUCT = "product", _("Product specialist")
    ESG = "esg", _("ESG specialist")
    ASSISTANT = "assistant", _("Assistant")


class Sector(models.TextChoices):
    POWER = "power", _("Power")
    RENEWABLES = "renewables", _("Renewables")
    TRANSPORT = "transport", _("Transport")
    WATER = "water", _("Water")
    SOCIAL = "social", _("Social infrastructure")
    MINING = "mining", _("Mining")
    OIL_GAS = "oil_gas", _("Oil and gas")
    TELECOM = "telecom", _("Telecom and digital")
    INDUSTRIAL = "industrial", _("Industrial")


class ProjectStage(models.TextChoices):
    ORIGINATION = "origination", _("Origination")
    DUE_DILIGENCE = "due_diligence", _("Due diligence")
    CREDIT_APPROVAL = "credit_approval", _("Credit approval")
    FINANCIAL_CLOSE = "financial_close", _("Financial close")
    CONSTRUCTION = "construction", _("Construction")
    OPERATION = "operation", _("Operation")
    CLOSED = "closed", _("Repaid / closed")


class EquatorCategory(models.TextChoices):
    A = "A", _("A — significant adverse impacts")
    B = "B", _("B — limited adverse impacts")
    C = "C", _("C — minimal or no adverse impacts")


class PartyRole(models.TextChoices):
    """What an account is to a project: the roles a project-finance deal gives its parties."""

    SPONSOR = "sponsor", _("Sponsor")
    BORROWER = "borrower", _("Borrower")
    EPC = "epc", _("EPC contractor")
    OM_OPERATOR = "om_operator", _("O&M operator")
    OFFTAKER = "offtaker", _("Off-taker")
    MLA = "mla", _("Mandated lead arranger")
    CO_LENDER = "co_lender", _("Co-lender")
    GUARANTOR = "guarantor", _("Guarantor")
    INSURER = "insurer", _("Insurer")
    INDEPENDENT_ENGINEER = "independent_engineer", _("Independent engineer")


# The role a project's parties took from the one account a project had before parties: what
# the account is (its type) is the best evidence of what it is to the project.
PARTY_ROLE_OF_ACCOUNT_TYPE = {
    "sponsor": PartyRole.SPONSOR,
    "borrower": PartyRole.BORROWER,
    "epc": PartyRole.EPC,
    "offtaker": PartyRole.OFFTAKER,
    "co_lender": PartyRole.CO_LENDER,
    "partner": PartyRole.SPONSOR,
}

# Roles whose account may borrow under a project's facility (the obligor of the exposure).
OBLIGOR_ROLES = frozenset({PartyRole.BORROWER, PartyRole.SPONSOR, PartyRole.GUARANTOR})


class FacilityKind(models.TextChoices):
    TERM_LOAN = "term_loan", _("Term loan")
    REVOLVING = "revolving", _("Revolving credit facility")
    GUARANTEE = "guarantee", _("Guarantee")
    LETTER_OF_CREDIT = "letter_of_credit", _("Letter of credit")
    BRIDGE = "bridge", _("Bridge loan")


class LoanClass(models.IntegerChoices):
    """The regulator's five-category loan classification (贷款五级分类); higher is worse."""

    NORMAL = 1, _("Normal")
    SPECIAL_MENTION = 2, _("Special mention")
    SUBSTANDARD = 3, _("Substandard")
    DOUBTFUL = 4, _("Doubtful")
    LOSS = 5, _("Loss")


# Substandard, doubtful and loss are non-performing (不良贷款).
NON_PERFORMING_CLASSES = frozenset({LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS})


class GreenCategory(models.TextChoices):
    """The first-level classes of China's green-industry guidance catalogue (绿色产业指导目录),
    which the green-bond endorsed project catalogue shares; blank: not green."""

    ENERGY_SAVING = "energy_saving", _("Energy saving and environmental protection")
    CLEAN_PRODUCTION = "clean_production", _("Clean production")
    CLEAN_ENERGY = "clean_energy", _("Clean energy")
    ECOLOGY = "ecology", _("Ecological environment")
    GREEN_INFRASTRUCTURE = "green_infrastructure", _("Green upgrading of infrastructure")
    GREEN_SERVICES = "green_services", _("Green services")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    JPY = "JPY", _("Japanese yen (JPY)")
    GBP = "GBP", _("Pound sterling (GBP)")
    SGD = "SGD", _("Singapore dollar (SGD)")


# ---------------------------------------------------------------- tiering inputs


class GrowthPotential(models.TextChoices):
    HIGH = "high", _("High: pipeline well above today's business")
    MEDIUM = "medium", _("Medium: steady pipeline")
    LOW = "low", _("Low: flat or shrinking")


class StrategicFit(models.TextChoices):
    CORE = "core", _("Core to our strategy")
    ALIGNED = "aligned", _("Aligned with our strategy")
    PERIPHERAL = "peripheral", _("Peripheral")
    OUTSIDE = "outside", _("Outside our strategy")


class RelationshipDepth(models.TextChoices):
    PRINCIPAL = "principal", _("Principal bank / lead arranger")
    MAJOR = "major", _("Major lender, several products")
    PARTICIPANT = "participant", _("Syndicate participant, single product")
    NEW = "new", _("New or transactional relationship")


# ---------------------------------------------------------------- tiering model


class ScoringModelStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published (in use)")
    SUPERSEDED = "superseded", _("Superseded")


class MissingPolicy(models.TextChoices):
    ZERO = "zero", _("Score zero")
    NEUTRAL = "neutral", _("Score the neutral points")
    EXCLUDE = "exclude", _("Leave out and re-weight the others")


class TierChangeCause(models.TextChoices):
    MODEL = "model", _("Scoring model")
    OVERRIDE_APPROVED = "override_approved", _("Manual override approved")
    OVERRIDE_REVOKED = "override_revoked", _("Manual override revoked")
    OVERRIDE_LAPSED = "override_lapsed", _("Manual override lapsed")


class OverrideStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved, in force")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVOKED = "revoked", _("Revoked")
    LAPSED = "lapsed", _("Lapsed: the model reached it")
    SUPERSEDED = "superseded", _("Superseded by a later override")


class RecomputeTrigger(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly schedule")
    PUBLISH = "publish", _("Model published")
    MANUAL = "manual", _("Started by hand")


# ---------------------------------------------------------------- account plans


class ProductLine(models.TextChoices):
    PROJECT_LOANS = "project_loans", _("Project loans")
    SYNDICATION = "syndication", _("Arranging and syndication")
    GREEN_FINANCE = "green_finance", _("Green loans and bonds")
    BONDS = "bonds", _("Bond underwriting (DCM)")
    TRADE = "trade", _("Trade finance and guarantees")
    HEDGING = "hedging", _("FX and interest-rate hedging")
    CASH = "cash", _("Cash management and deposits")
    ADVISORY = "advisory", _("Financial advisory")
    LEASING = "leasing", _("Leasing")
    CROSS_BORDER = "cross_border", _("Cross-border and ECA-covered finance")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")


class ServiceItemStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    AGREED = "agreed", _("Agreed with the client")
    DELIVERED = "delivered", _("Being delivered")
    DECLINED = "declined", _("Declined by the client")


class PlanActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# ---------------------------------------------------------------- PIPL (个人信息保护法)


class LegalBasis(models.TextChoices):
    """The grounds of PIPL art. 13 on which a contact's personal information is processed."""

    CONSENT = "consent", _("Consent of the person")
    CONTRACT = "contract", _("Necessary for a contract with the person")
    HR = "hr", _("Human-resources management")
    LEGAL_DUTY = "legal_duty", _("Legal duty or obligation")
    HEALTH_EMERGENCY = "health_emergency", _("Public-health emergency or protection of life")
    PUBLIC_INTEREST = "public_interest", _("News reporting in the public interest")
    PUBLICLY_DISCLOSED = "publicly_disclosed", _("Information the person has made public")
    OTHER_LAW = "other_law", _("Other ground provided by law")


class DataSource(models.TextChoices):
    """Where the portal got a contact's personal information from (PIPL arts. 17 and 27)."""

    PERSON = "person", _("From the person")
    CLIENT = "client", _("From their employer (the client)")
    PUBLIC = "public", _("Public sources")
    THIRD_PARTY = "third_party", _("From a third party")


# The regions of mainland China: personal information of contacts at accounts anywhere else
# (Hong Kong and Macao included) leaves the mainland, which needs separate consent (PIPL art. 39).
MAINLAND_REGIONS = frozenset(
    {
        Region.NORTH_CHINA,
        Region.NORTHEAST_CHINA,
        Region.EAST_CHINA,
        Region.CENTRAL_CHINA,
        Region.SOUTH_CHINA,
        Region.SOUTHWEST_CHINA,
        Region.NORTHWEST_CHINA,
    }
)
