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


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    JPY = "JPY", _("Japanese yen (JPY)")
    GBP = "GBP", _("Pound sterling (GBP)")
    SGD = "SGD", _("Singapore dollar (SGD)")
