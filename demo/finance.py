"""The project-finance layer of the demo book: the counterparties every project needs (contractors,
operators, off-takers, lenders, insurers, engineers, regional state investors), who owns whom,
and the facilities that finance a project. Plain data and pure functions; demo/accounts.py
chooses the parties of each project and applies everything.

Every name is fictional. Accounts are referred to by their English legal name (the book's key).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from accounts.choices import (
    AccountType,
    Currency,
    FacilityKind,
    Industry,
    LoanClass,
    PartyRole,
    ProjectStage,
    Region,
    Sector,
)

# ---------------------------------------------------------------- specifications


@dataclass(frozen=True, slots=True)
class PartySpec:
    account: str  # the account's key (English legal name)
    role: str
    equity_pct: Decimal | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ClassificationStep:
    """A change of a facility's five-category classification, ``days_ago`` before today."""

    classification: int
    days_ago: int
    reason: str


@dataclass(slots=True)
class FacilitySpec:
    name: str
    kind: str
    borrower: str  # the account's key
    currency: str
    commitment: Decimal
    drawn: Decimal
    undrawn: Decimal
    facility_size: Decimal | None
    maturity_date: date | None
    margin_pct: Decimal
    history: list[ClassificationStep] = field(default_factory=list)

    @property
    def classification(self) -> int:
        return self.history[-1].classification if self.history else int(LoanClass.NORMAL)

    @property
    def exposure(self) -> Decimal:
        return self.drawn + self.undrawn


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    account: str
    other: str
    reason: str  # groups.models.ConnectionReason
    note: str


# ---------------------------------------------------------------- counterparties


@dataclass(frozen=True, slots=True)
class Counterparty:
    zh: str
    en: str
    account_type: str
    industry: str
    region: str
    foreign: bool
    domain: str
    role: str  # the role it plays in projects
    sectors: frozenset[str] | None = None  # None: any sector
    regions: frozenset[str] | None = None  # None: projects in mainland China
    keyword: str = ""  # only projects whose English kind contains it


S = Sector
R = Region
A = AccountType
I = Industry  # noqa: E741
P = PartyRole
_ENERGY = frozenset({S.POWER, S.RENEWABLES})
_ABROAD = frozenset(
    {R.SOUTHEAST_ASIA, R.SOUTH_ASIA, R.CENTRAL_ASIA, R.MIDDLE_EAST, R.AFRICA, R.EUROPE,
     R.LATIN_AMERICA, R.OCEANIA, R.HK_MACAO}
)  # fmt: skip
_MAINLAND = frozenset(
    {R.NORTH_CHINA, R.NORTHEAST_CHINA, R.EAST_CHINA, R.CENTRAL_CHINA, R.SOUTH_CHINA,
     R.SOUTHWEST_CHINA, R.NORTHWEST_CHINA}
)  # fmt: skip
_EVERYWHERE = _ABROAD | _MAINLAND

COUNTERPARTIES: tuple[Counterparty, ...] = (
    # EPC contractors (the book has four more: Huaxia, Huaxin, Liaobin, Sunan PV).
    Counterparty("中路桥建工程集团有限公司", "Zhonglu Road & Bridge Engineering Group Co., Ltd.", A.EPC, I.CONSTRUCTION, R.NORTH_CHINA, False, "zlrbeg.com.cn", P.EPC, frozenset({S.TRANSPORT}), _EVERYWHERE),
    Counterparty("华水水利水电建设有限公司", "Huashui Water Resources & Hydropower Construction Co., Ltd.", A.EPC, I.CONSTRUCTION, R.CENTRAL_CHINA, False, "huashuijs.cn", P.EPC, frozenset({S.WATER, S.RENEWABLES}), _EVERYWHERE),
    Counterparty("中冶矿建工程有限公司", "Zhongye Mining Construction Engineering Co., Ltd.", A.EPC, I.CONSTRUCTION, R.NORTHEAST_CHINA, False, "zymce.com.cn", P.EPC, frozenset({S.MINING, S.INDUSTRIAL}), _EVERYWHERE),
    Counterparty("江南建工集团有限公司", "Jiangnan Construction Engineering Group Co., Ltd.", A.EPC, I.CONSTRUCTION, R.EAST_CHINA, False, "jnceg.cn", P.EPC, frozenset({S.SOCIAL, S.TELECOM, S.INDUSTRIAL}), _EVERYWHERE),
    # Operation and maintenance.
    Counterparty("中电运维技术服务有限公司", "Zhongdian O&M Technical Services Co., Ltd.", A.PARTNER, I.POWER, R.NORTH_CHINA, False, "zdomts.com.cn", P.OM_OPERATOR, frozenset({S.POWER, S.RENEWABLES, S.OIL_GAS, S.INDUSTRIAL})),
    Counterparty("清源水务运营有限公司", "Qingyuan Water Operations Co., Ltd.", A.PARTNER, I.WATER, R.EAST_CHINA, False, "qywater-ops.cn", P.OM_OPERATOR, frozenset({S.WATER})),
    Counterparty("通达交通运营管理有限公司", "Tongda Transport Operations Management Co., Ltd.", A.PARTNER, I.TRANSPORT, R.CENTRAL_CHINA, False, "tdtom.cn", P.OM_OPERATOR, frozenset({S.TRANSPORT})),
    Counterparty("城服设施管理有限公司", "Chengfu Facility Management Co., Ltd.", A.PARTNER, I.SOCIAL, R.SOUTH_CHINA, False, "chengfufm.cn", P.OM_OPERATOR, frozenset({S.SOCIAL, S.TELECOM, S.MINING})),
    Counterparty("阿特拉斯运维服务有限公司", "Atlas Operations & Maintenance Services Pte. Ltd.", A.PARTNER, I.POWER, R.SOUTHEAST_ASIA, True, "atlasom.com.sg", P.OM_OPERATOR, None, _ABROAD),
    # Off-takers (the book has two more: Nile Delta Water, Wanjiang Cement).
    Counterparty("华源电网有限公司", "Huayuan Power Grid Co., Ltd.", A.OFFTAKER, I.POWER, R.NORTH_CHINA, False, "hypowergrid.com.cn", P.OFFTAKER, _ENERGY),
    Counterparty("东江供水集团有限公司", "Dongjiang Water Supply Group Co., Ltd.", A.OFFTAKER, I.WATER, R.SOUTH_CHINA, False, "djwater.com.cn", P.OFFTAKER, frozenset({S.WATER})),
    Counterparty("海联集装箱航运有限公司", "Hailian Container Shipping Co., Ltd.", A.OFFTAKER, I.TRANSPORT, R.EAST_CHINA, False, "hailianship.com", P.OFFTAKER, frozenset({S.TRANSPORT}), _EVERYWHERE, "Terminal"),
    Counterparty("华铜冶炼有限公司", "Huatong Copper Smelting Co., Ltd.", A.OFFTAKER, I.MINING, R.CENTRAL_CHINA, False, "huatongcu.cn", P.OFFTAKER, frozenset({S.MINING}), _EVERYWHERE, "Copper"),
    Counterparty("宁川电池材料有限公司", "Ningchuan Battery Materials Co., Ltd.", A.OFFTAKER, I.INDUSTRY, R.EAST_CHINA, False, "ningchuanbm.com", P.OFFTAKER, frozenset({S.MINING}), _EVERYWHERE, "Li"),
    Counterparty("华燃城市燃气集团有限公司", "Huaran City Gas Group Co., Ltd.", A.OFFTAKER, I.OIL_GAS, R.EAST_CHINA, False, "huarangas.com.cn", P.OFFTAKER, frozenset({S.OIL_GAS})),
    Counterparty("东海化肥有限公司", "Donghai Fertiliser Co., Ltd.", A.OFFTAKER, I.INDUSTRY, R.EAST_CHINA, False, "dhfertiliser.cn", P.OFFTAKER, frozenset({S.INDUSTRIAL}), _EVERYWHERE, "Ammonia"),
    Counterparty("云海计算科技有限公司", "Yunhai Cloud Computing Technology Co., Ltd.", A.OFFTAKER, I.TELECOM, R.EAST_CHINA, False, "yunhaicloud.com", P.OFFTAKER, frozenset({S.TELECOM})),
    Counterparty("湄公河电力交易公司", "Mekong Electricity Trading Corporation", A.OFFTAKER, I.POWER, R.SOUTHEAST_ASIA, True, "mekongtrading.vn", P.OFFTAKER, _ENERGY, frozenset({R.SOUTHEAST_ASIA})),
    Counterparty("印度河电力采购局", "Indus Power Purchasing Agency (Private) Limited", A.OFFTAKER, I.POWER, R.SOUTH_ASIA, True, "induspower.pk", P.OFFTAKER, _ENERGY, frozenset({R.SOUTH_ASIA})),
    Counterparty("海湾电力与水采购公司", "Gulf Power & Water Procurement Company", A.OFFTAKER, I.POWER, R.MIDDLE_EAST, True, "gulfpwp.com.sa", P.OFFTAKER, _ENERGY | {S.WATER}, frozenset({R.MIDDLE_EAST})),
    Counterparty("伊比利亚能源销售公司", "Iberia Energía Comercializadora S.A.", A.OFFTAKER, I.POWER, R.EUROPE, True, "iberiaenergia.es", P.OFFTAKER, _ENERGY, frozenset({R.EUROPE})),
    Counterparty("赞比西电力公司", "Zambezi Power Utility plc", A.OFFTAKER, I.POWER, R.AFRICA, True, "zambezipower.co.zm", P.OFFTAKER, _ENERGY, frozenset({R.AFRICA})),
    Counterparty("草原能源结算中心", "Steppe Energy Settlement Centre LLP", A.OFFTAKER, I.POWER, R.CENTRAL_ASIA, True, "steppesettlement.kz", P.OFFTAKER, _ENERGY, frozenset({R.CENTRAL_ASIA})),
    # Lenders in the syndicates (the book has two more: Guoxing Leasing, Asia Infrastructure Fund).
    Counterparty("华商银行股份有限公司", "Huashang Bank Co., Ltd.", A.CO_LENDER, I.FINANCE, R.EAST_CHINA, False, "huashangbank.com.cn", P.CO_LENDER),
    Counterparty("长城商业银行股份有限公司", "Changcheng Commercial Bank Co., Ltd.", A.CO_LENDER, I.FINANCE, R.NORTH_CHINA, False, "ccbank-demo.cn", P.CO_LENDER, None, _EVERYWHERE),
    Counterparty("伊比利亚投资银行", "Banco Ibérico de Inversiones S.A.", A.CO_LENDER, I.FINANCE, R.EUROPE, True, "bancoiberico.es", P.CO_LENDER, None, frozenset({R.EUROPE, R.LATIN_AMERICA})),
    Counterparty("北方项目融资银行", "Nordbank Projektfinanz AG", A.CO_LENDER, I.FINANCE, R.EUROPE, True, "nordbank-pf.de", P.CO_LENDER, None, frozenset({R.EUROPE, R.AFRICA, R.OCEANIA})),
    Counterparty("海峡商业银行", "Straits Commercial Bank Ltd.", A.CO_LENDER, I.FINANCE, R.SOUTHEAST_ASIA, True, "straitsbank.com.sg", P.CO_LENDER, None, frozenset({R.SOUTHEAST_ASIA, R.SOUTH_ASIA, R.OCEANIA, R.HK_MACAO})),
    Counterparty("阿拉伯海湾银行", "Arabian Gulf Bank", A.CO_LENDER, I.FINANCE, R.MIDDLE_EAST, True, "arabiangulfbank.com.sa", P.CO_LENDER, None, frozenset({R.MIDDLE_EAST, R.AFRICA, R.CENTRAL_ASIA})),
    # Insurers and independent engineers.
    Counterparty("华安财产保险股份有限公司", "Hua'an Property & Casualty Insurance Co., Ltd.", A.PARTNER, I.FINANCE, R.EAST_CHINA, False, "huaanpc.com.cn", P.INSURER),
    Counterparty("丝路信用保险股份有限公司", "Silk Road Credit Insurance Co., Ltd.", A.PARTNER, I.FINANCE, R.NORTH_CHINA, False, "srcredit.com.cn", P.INSURER, None, _ABROAD),
    Counterparty("同衡工程咨询有限公司", "Tongheng Engineering Consulting Co., Ltd.", A.PARTNER, I.CONSTRUCTION, R.NORTH_CHINA, False, "tonghengec.cn", P.INDEPENDENT_ENGINEER),
    Counterparty("子午线技术顾问有限公司", "Meridian Technical Advisors Pte. Ltd.", A.PARTNER, I.CONSTRUCTION, R.SOUTHEAST_ASIA, True, "meridianta.com.sg", P.INDEPENDENT_ENGINEER, None, _ABROAD),
    # Regional state-owned investors: shareholders of the platform companies, local partners.
    Counterparty("燕赵投资集团有限公司", "Yanzhao Investment Group Co., Ltd.", A.SPONSOR, I.FINANCE, R.NORTH_CHINA, False, "yanzhaoinv.com.cn", P.SPONSOR, None, frozenset({R.NORTH_CHINA})),
    Counterparty("辽吉国有资本投资有限公司", "Liaoji State Capital Investment Co., Ltd.", A.SPONSOR, I.FINANCE, R.NORTHEAST_CHINA, False, "liaojicap.cn", P.SPONSOR, None, frozenset({R.NORTHEAST_CHINA})),
    Counterparty("江海国有资本投资控股集团有限公司", "Jianghai State Capital Investment Holding Group Co., Ltd.", A.SPONSOR, I.FINANCE, R.EAST_CHINA, False, "jianghaicap.com.cn", P.SPONSOR, None, frozenset({R.EAST_CHINA})),
    Counterparty("荆楚投资控股集团有限公司", "Jingchu Investment Holding Group Co., Ltd.", A.SPONSOR, I.FINANCE, R.CENTRAL_CHINA, False, "jingchuinv.cn", P.SPONSOR, None, frozenset({R.CENTRAL_CHINA})),
    Counterparty("岭南投资控股集团有限公司", "Lingnan Investment Holding Group Co., Ltd.", A.SPONSOR, I.FINANCE, R.SOUTH_CHINA, False, "lingnaninv.com.cn", P.SPONSOR, None, frozenset({R.SOUTH_CHINA})),
    Counterparty("巴蜀国有资本投资运营集团有限公司", "Bashu State Capital Investment & Operation Group Co., Ltd.", A.SPONSOR, I.FINANCE, R.SOUTHWEST_CHINA, False, "bashucap.cn", P.SPONSOR, None, frozenset({R.SOUTHWEST_CHINA})),
    Counterparty("西部丝路投资集团有限公司", "Western Silk Road Investment Group Co., Ltd.", A.SPONSOR, I.FINANCE, R.NORTHWEST_CHINA, False, "wsrinv.com.cn", P.SPONSOR, None, frozenset({R.NORTHWEST_CHINA})),
)  # fmt: skip

# The book's own contractors, lenders and off-takers play their part in other projects too.
BOOK_COUNTERPARTIES: tuple[Counterparty, ...] = (
    Counterparty("", "Huaxia Power Construction Group Co., Ltd.", A.EPC, I.CONSTRUCTION, R.NORTH_CHINA, False, "", P.EPC, _ENERGY, _EVERYWHERE),
    Counterparty("", "Huaxin Engineering EPC Co., Ltd.", A.EPC, I.CONSTRUCTION, R.EAST_CHINA, False, "", P.EPC),
    Counterparty("", "Liaobin Oil & Gas Services Co., Ltd.", A.EPC, I.OIL_GAS, R.NORTHEAST_CHINA, False, "", P.EPC, frozenset({S.OIL_GAS}), _EVERYWHERE),
    Counterparty("", "Sunan Photovoltaic Technology Co., Ltd.", A.EPC, I.INDUSTRY, R.EAST_CHINA, False, "", P.EPC, frozenset({S.RENEWABLES}), _EVERYWHERE, "Solar"),
    Counterparty("", "Guoxing Financial Leasing Co., Ltd.", A.CO_LENDER, I.FINANCE, R.EAST_CHINA, False, "", P.CO_LENDER),
    Counterparty("", "Asia Infrastructure Fund Management (HK) Limited", A.CO_LENDER, I.FINANCE, R.HK_MACAO, True, "", P.CO_LENDER, None, _EVERYWHERE),
    Counterparty("", "Nile Delta Water Company S.A.E.", A.OFFTAKER, I.WATER, R.AFRICA, True, "", P.OFFTAKER, frozenset({S.WATER}), frozenset({R.AFRICA})),
    Counterparty("", "Wanjiang Cement & Building Materials Group Co., Ltd.", A.OFFTAKER, I.INDUSTRY, R.EAST_CHINA, False, "", P.OFFTAKER, _ENERGY, frozenset({R.EAST_CHINA})),
)  # fmt: skip
del S, R, A, I, P

REGIONAL_INVESTOR: dict[str, str] = {
    next(iter(c.regions)): c.en for c in COUNTERPARTIES if c.role == PartyRole.SPONSOR and c.regions
}

# Who owns the book's platform and subsidiary companies: (owner, %), the direct parent first.
# A majority owner is the direct parent in the client group; a platform company's shareholders
# are the sponsors of the projects it borrows for.
GUONENG = "Guoneng United Power Investment Group Co., Ltd."
SOUTH_CHINA_TRANSPORT = "South China Transport Investment Holding Group Co., Ltd."
TIANFU = "Tianfu Infrastructure Investment Group Co., Ltd."
OWNERSHIP: dict[str, tuple[tuple[str, Decimal], ...]] = {
    # Borrowers (platform and project companies that borrow in their own name).
    SOUTH_CHINA_TRANSPORT: (("Lingnan Investment Holding Group Co., Ltd.", Decimal("100")),),
    TIANFU: (("Bashu State Capital Investment & Operation Group Co., Ltd.", Decimal("100")),),
    "Zhongyuan Grid Construction Investment Co., Ltd.": (("Jingchu Investment Holding Group Co., Ltd.", Decimal("51")), (GUONENG, Decimal("49"))),
    "Greater Bay Urban Development Group Co., Ltd.": (("Lingnan Investment Holding Group Co., Ltd.", Decimal("100")),),
    "Dongbei Zhenxing Thermal Power Group Co., Ltd.": ((GUONENG, Decimal("60")), ("Liaoji State Capital Investment Co., Ltd.", Decimal("40"))),
    "Jiangnan Smart Healthcare Investment Co., Ltd.": (("Jianghai State Capital Investment Holding Group Co., Ltd.", Decimal("70")),),
    "Xiangjiang Urban Construction Investment Group Co., Ltd.": (("Jingchu Investment Holding Group Co., Ltd.", Decimal("100")),),
    "Straits Natural Gas Pipeline Co., Ltd.": (("Jianghai State Capital Investment Holding Group Co., Ltd.", Decimal("51")), ("Xinjiang Tianshan Energy & Chemical Co., Ltd.", Decimal("30"))),
    "Qiannan Expressway Investment Co., Ltd.": ((TIANFU, Decimal("51")), ("Bashu State Capital Investment & Operation Group Co., Ltd.", Decimal("49"))),
    "Jibei Energy Storage Investment Co., Ltd.": ((GUONENG, Decimal("70")), ("Yanzhao Investment Group Co., Ltd.", Decimal("30"))),
    "East China Urban Rail Transit Investment Co., Ltd.": (("Jianghai State Capital Investment Holding Group Co., Ltd.", Decimal("100")),),
    "Mekong Delta Power JSC": (("Changjiang Clean Energy Development Co., Ltd.", Decimal("40")), ("Lion Gate Port Holdings Pte. Ltd.", Decimal("20"))),
    "Karachi Coastal Energy (Private) Limited": ((GUONENG, Decimal("74")),),
    "Liangjiang International Logistics Park Development Co., Ltd.": ((TIANFU, Decimal("60")), ("Eurasia Landbridge Logistics Investment Co., Ltd.", Decimal("40"))),
    "Jinbei Coal & Power Integration Co., Ltd.": ((GUONENG, Decimal("51")), ("Yanzhao Investment Group Co., Ltd.", Decimal("49"))),
    "Hainan FTP Infrastructure Investment Co., Ltd.": ((SOUTH_CHINA_TRANSPORT, Decimal("51")), ("Lingnan Investment Holding Group Co., Ltd.", Decimal("49"))),
    "Guangxi Guijiang Water Conservancy Development Co., Ltd.": (("Lingnan Investment Holding Group Co., Ltd.", Decimal("51")), ("Dongfang Water & Environment Group Co., Ltd.", Decimal("25"))),
    "Harbin Bingcheng District Heating Co., Ltd.": (("Dongbei Zhenxing Thermal Power Group Co., Ltd.", Decimal("80")),),
    "Cotai Convention Centre Development Limited": (("Greater Bay Urban Development Group Co., Ltd.", Decimal("60")),),
    "Exibei Highway Construction Co., Ltd.": (("Jingchu Investment Holding Group Co., Ltd.", Decimal("100")),),
    "Tianjin Lingang Chemical Park Development Co., Ltd.": (("Yanzhao Investment Group Co., Ltd.", Decimal("100")),),
    # Sponsors' subsidiaries.
    "Mengxi Wind-Solar-Storage Development Co., Ltd.": (("Zhongneng Lvyuan New Energy Co., Ltd.", Decimal("60")),),
    "Hexi Corridor New Energy Co., Ltd.": (("Zhongneng Lvyuan New Energy Co., Ltd.", Decimal("75")),),
    "Yunling Hydropower Development Co., Ltd.": (("Changjiang Clean Energy Development Co., Ltd.", Decimal("55")),),
    "Huaxin Engineering EPC Co., Ltd.": (("Huaxia Power Construction Group Co., Ltd.", Decimal("100")),),
    "Minjiang Environmental Technology Co., Ltd.": (("Dongfang Water & Environment Group Co., Ltd.", Decimal("67")),),
    "Beibu Gulf Port & Shipping Development Co., Ltd.": ((SOUTH_CHINA_TRANSPORT, Decimal("55")),),
    "Zhonglian Data Centre Operations Co., Ltd.": (("Beifang Shulian Digital Infrastructure Co., Ltd.", Decimal("65")),),
    "Chuanxi Lithium New Materials Co., Ltd.": (("Xichui Mining Resources Group Co., Ltd.", Decimal("51")),),
}  # fmt: skip

# Links other than ownership (集团外关联方), besides those the projects make (guarantees,
# a sole off-taker).
CONNECTIONS: tuple[ConnectionSpec, ...] = (
    ConnectionSpec(
        "Zhonghai Silk Road Port Investment Co., Ltd.",
        "Eurasia Landbridge Logistics Investment Co., Ltd.",
        "common_control",
        "Both controlled by the same central state-owned logistics group.",
    ),
    ConnectionSpec(
        "Beifang Shulian Digital Infrastructure Co., Ltd.",
        "Yangtze Delta Smart City Operations Co., Ltd.",
        "common_control",
        "Same controlling shareholder: a municipal state-owned capital operator.",
    ),
    ConnectionSpec(
        "Ruineng Electrical Equipment Manufacturing Co., Ltd.",
        "Sunan Photovoltaic Technology Co., Ltd.",
        "family",
        "The founders are brothers and sit on each other's boards.",
    ),
)

# The words of a project company's name, by the English name of the project's kind.
SPV_WORDS: tuple[tuple[str, str, str], ...] = (
    ("Wind-Solar", "风光储能源", "Clean Energy"),
    ("Solar", "光伏发电", "Solar Power"),
    ("Offshore Wind", "海上风电", "Offshore Wind Power"),
    ("Wind", "风力发电", "Wind Power"),
    ("Hydropower", "水电开发", "Hydropower"),
    ("Coal", "发电", "Power Generation"),
    ("CCGT", "燃机发电", "Gas Power"),
    ("Transmission", "输变电", "Power Transmission"),
    ("Pumped Storage", "抽水蓄能", "Pumped Storage"),
    ("Heat and Power", "热电", "Heat & Power"),
    ("Expressway", "高速公路", "Expressway"),
    ("Container Terminal", "集装箱码头", "Container Terminal"),
    ("Intercity Railway", "城际铁路", "Intercity Railway"),
    ("Metro", "轨道交通", "Metro"),
    ("Airport", "机场建设", "Airport Development"),
    ("Desalination", "海水淡化", "Desalination"),
    ("Wastewater", "水质净化", "Water Treatment"),
    ("Water Transfer", "引调水", "Water Transfer"),
    ("Hospital", "医院投资建设", "Hospital PPP"),
    ("University", "教育园区建设", "Education PPP"),
    ("Convention", "会展", "Convention Centre"),
    ("Copper", "铜业", "Copper"),
    ("Lithium", "锂业", "Lithium"),
    ("Rare Earth", "稀土", "Rare Earth"),
    ("LNG", "液化天然气", "LNG Terminal"),
    ("Pipeline", "天然气管道", "Gas Pipeline"),
    ("Refinery", "石化", "Refining"),
    ("Data Centre", "数据中心", "Data Centre"),
    ("Fibre", "光网", "Fibre Networks"),
    ("Ammonia", "绿氢", "Green Hydrogen"),
    ("Industrial Park", "产业园开发", "Industrial Park"),
)

SPV_SUFFIX: dict[str, str] = {
    Region.SOUTHEAST_ASIA: "Co., Ltd.",
    Region.SOUTH_ASIA: "(Private) Limited",
    Region.CENTRAL_ASIA: "LLP",
    Region.MIDDLE_EAST: "Company LLC",
    Region.AFRICA: "Limited",
    Region.EUROPE: "S.L.",
    Region.LATIN_AMERICA: "SpA",
    Region.OCEANIA: "Pty Ltd",
    Region.HK_MACAO: "Limited",
}

SECTOR_INDUSTRY: dict[str, str] = {
    Sector.RENEWABLES: Industry.RENEWABLES,
    Sector.POWER: Industry.POWER,
    Sector.TRANSPORT: Industry.TRANSPORT,
    Sector.WATER: Industry.WATER,
    Sector.SOCIAL: Industry.SOCIAL,
    Sector.MINING: Industry.MINING,
    Sector.OIL_GAS: Industry.OIL_GAS,
    Sector.TELECOM: Industry.TELECOM,
    Sector.INDUSTRIAL: Industry.INDUSTRY,
}


def spv_words(kind_en: str) -> tuple[str, str]:
    for keyword, zh, en in SPV_WORDS:
        if keyword in kind_en:
            return zh, en
    return "项目", "Project"


def brand(zh: str, en: str) -> tuple[str, str]:
    """The short name a group uses on its subsidiaries: 国能 / Guoneng."""
    words = en.replace(",", "").split()
    short_en = (
        " ".join(words[:2])
        if words[0] in {"South", "East", "Greater", "Lion", "Al-Noor"}
        else words[0]
    )
    return zh[:2], short_en


# ---------------------------------------------------------------- facilities

_MARGIN: dict[str, tuple[float, float]] = {
    Currency.CNY: (0.30, 1.20),  # over the LPR
    Currency.USD: (1.60, 3.20),  # over SOFR
    Currency.EUR: (1.20, 2.40),  # over EURIBOR
}
_FEE = (0.40, 1.20)  # guarantees and letters of credit, % a year

_NAMES_ZH = {
    "term": "银团项目贷款",
    "rcf": "流动资金循环贷款",
    "lc": "进口设备信用证",
    "dsra": "偿债准备金备用信用证",
    "bond": "履约保函",
    "bridge": "股东股本过桥贷款",
}
_NAMES_EN = {
    "term": "Senior term loan",
    "rcf": "Working capital revolving facility",
    "lc": "Equipment import letter of credit",
    "dsra": "DSRA standby letter of credit",
    "bond": "Performance guarantee",
    "bridge": "Equity bridge loan",
}

_UNIT = Decimal("100000")
_CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: float | Decimal) -> Decimal:
    """Rounded to 100,000 units, never negative."""
    amount = (Decimal(str(value)) / _UNIT).quantize(Decimal("1")) * _UNIT
    return max(amount, Decimal("0")).quantize(_CENTS)


def _years(start: date, years: float) -> date:
    return start + timedelta(days=round(365.25 * years))


def _margin(rng: random.Random, currency: str, *, fee: bool = False) -> Decimal:
    low, high = _FEE if fee else _MARGIN.get(currency, _MARGIN[Currency.USD])
    return Decimal(str(round(rng.uniform(low, high), 2))).quantize(Decimal("0.001"))


def build_facilities(
    *,
    rng: random.Random,
    stage: str,
    currency: str,
    total_cost: Decimal,
    commitment: Decimal,
    outstanding: Decimal,
    borrower: str,
    sponsor: str,
    syndicated: bool,
    chinese: bool,
    financial_close: date | None,
    planned_cod: date | None,
    today: date,
) -> list[FacilitySpec]:
    """Our facilities in a project: a syndicated senior term loan, and by stage an import
    letter of credit or a performance guarantee (building), a working-capital revolver and a
    DSRA standby letter of credit (operating), now and then an equity bridge loan to the
    sponsor. None before credit approval: there is nothing signed to be exposed to."""
    if stage in (ProjectStage.ORIGINATION, ProjectStage.DUE_DILIGENCE) or commitment <= 0:
        return []
    names = _NAMES_ZH if chinese else _NAMES_EN
    start = financial_close or today
    cod = planned_cod or _years(start, 3)
    facilities: list[FacilitySpec] = []

    def add(key: str, kind: str, amount: Decimal, drawn: Decimal, undrawn: Decimal,
            maturity: date, size: Decimal | None = None, who: str = borrower) -> None:  # fmt: skip
        facilities.append(
            FacilitySpec(
                name=names[key],
                kind=kind,
                borrower=who,
                currency=currency,
                commitment=amount,
                drawn=drawn,
                undrawn=undrawn,
                facility_size=size,
                maturity_date=maturity,
                margin_pct=_margin(rng, currency, fee=kind in (FacilityKind.GUARANTEE, FacilityKind.LETTER_OF_CREDIT)),
            )
        )  # fmt: skip

    term = (
        commitment
        if stage == ProjectStage.CREDIT_APPROVAL
        else money(commitment * Decimal(rng.choice(("0.75", "0.8", "0.85"))))
    )
    rest = commitment - term
    share = Decimal(str(rng.choice((0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5))))
    size = (
        min(max(money(term / share), term), max(money(total_cost * Decimal("0.8")), term))
        if syndicated
        else None
    )
    tenor = rng.randint(12, 18) if chinese else rng.randint(10, 15)
    maturity = _years(start, tenor)
    if stage == ProjectStage.CREDIT_APPROVAL:
        add("term", FacilityKind.TERM_LOAN, term, ZERO, term, maturity, size)
    elif stage == ProjectStage.CLOSED:
        add("term", FacilityKind.TERM_LOAN, commitment, ZERO, ZERO, min(maturity, today - timedelta(days=rng.randint(60, 900))), size)  # fmt: skip
    elif stage == ProjectStage.OPERATION:
        # Availability ended at COD: what is left is the amortising balance.
        drawn = min(outstanding, term)
        add("term", FacilityKind.TERM_LOAN, term, drawn, ZERO, maturity, size)
        rcf = money(rest * Decimal("0.6"))
        rcf_drawn = money(rcf * Decimal(str(rng.choice((0, 0.2, 0.35, 0.5)))))
        add(
            "rcf",
            FacilityKind.REVOLVING,
            rcf,
            rcf_drawn,
            rcf - rcf_drawn,
            _years(today, rng.randint(1, 3)),
        )
        dsra = rest - rcf
        add("dsra", FacilityKind.LETTER_OF_CREDIT, dsra, dsra, ZERO, _years(today, 1))
    else:  # financial close or construction: drawing down
        drawn = min(outstanding, term)
        add("term", FacilityKind.TERM_LOAN, term, drawn, term - drawn, maturity, size)
        if rng.random() < 0.5:
            issued = money(rest * Decimal(str(rng.uniform(0.3, 0.9))))
            add("lc", FacilityKind.LETTER_OF_CREDIT, rest, issued, rest - issued, _years(today, 1))
        else:
            add("bond", FacilityKind.GUARANTEE, rest, rest, ZERO, _years(cod, 1))
        if stage == ProjectStage.CONSTRUCTION and rng.random() < 0.25 and sponsor != borrower:
            bridge = money(total_cost * Decimal("0.04"))
            if bridge > 0:
                add(
                    "bridge",
                    FacilityKind.BRIDGE,
                    bridge,
                    bridge,
                    ZERO,
                    _years(cod, 0.5),
                    who=sponsor,
                )
    return [f for f in facilities if f.commitment > 0]


def fits(party: Counterparty, *, sector: str, region: str, kind: str) -> bool:
    """Whether a counterparty works on a project of this sector, place and kind."""
    return (
        (party.sectors is None or sector in party.sectors)
        and region in (party.regions if party.regions is not None else _MAINLAND)
        and party.keyword in kind
    )
