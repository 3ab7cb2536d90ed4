"""The demo book: a fixed, realistic project-finance portfolio for `manage.py seed_demo`.

The book is built as plain specifications by a seeded random generator (the same book
every time, dates relative to the day it is loaded), then applied idempotently: users
are keyed by username, teams by name, accounts by credit code (or legal name when
foreign and without one), contacts and projects by (account, name), memberships by
(account, user). Rows that already exist are left as they are. Rows are saved one by
one through the ORM so django-auditlog records their creation.
"""

from __future__ import annotations

import os
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc as uscc_std

from accounts.choices import (
    MAINLAND_REGIONS,
    AccountStatus,
    AccountType,
    Attitude,
    ContactChannel,
    CreditRating,
    Currency,
    DataSource,
    EsgRating,
    GreenCategory,
    Industry,
    Influence,
    LegalBasis,
    LoanClass,
    MembershipRole,
    PartyRole,
    ProjectStage,
    Region,
    Sector,
    Seniority,
    Tier,
)
from accounts.models import (
    Account,
    AccountMembership,
    Contact,
    Facility,
    FacilityClassificationChange,
    Project,
    ProjectParty,
)
from demo.finance import (
    BOOK_COUNTERPARTIES,
    CONNECTIONS,
    COUNTERPARTIES,
    OWNERSHIP,
    REGIONAL_INVESTOR,
    SECTOR_INDUSTRY,
    SPV_SUFFIX,
    ClassificationStep,
    ConnectionSpec,
    Counterparty,
    FacilitySpec,
    PartySpec,
    brand,
    build_facilities,
    fits,
    money,
    spv_words,
)
from demo.groups import GroupSeedResult, build_groups, seed_groups
from kam.models import Team, User
from kam.roles import Role

DEMO_SEED = 20261128
DEFAULT_DEMO_PASSWORD = "kam-demo-2026"  # noqa: S105 - a published demo login, not a secret


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


# ---------------------------------------------------------------- credit codes

_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def org_code_check_char(body: str) -> str:
    """The check character of an 8-character organisation code body (GB 11714)."""
    total = sum(_ORG_CODE_VALUES[c] * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(*, division: str, org_body: str, registrant: str = "91", check: bool = True) -> str:
    """A Unified Social Credit Code: registrant and entity type, 6-digit administrative
    division, organisation code with its own check character, then the USCC check."""
    stem = f"{registrant}{division}{org_body}{org_code_check_char(org_body)}"
    code = stem + uscc_std.calc_check_digit(stem)
    if check:
        uscc_std.validate(code)
    return code


# Administrative division codes (GB/T 2260) of places where sponsors are registered.
DIVISIONS: dict[str, tuple[str, ...]] = {
    Region.NORTH_CHINA: ("110101", "110105", "110108", "120116", "130100", "140100", "150100"),
    Region.NORTHEAST_CHINA: ("210100", "210200", "220100", "230100"),
    Region.EAST_CHINA: ("310115", "310104", "320100", "330100", "340100", "350100", "370200"),
    Region.CENTRAL_CHINA: ("410100", "420100", "420500", "430100", "360100"),
    Region.SOUTH_CHINA: ("440300", "440106", "450100", "460100"),
    Region.SOUTHWEST_CHINA: ("500112", "510100", "520100", "530100"),
    Region.NORTHWEST_CHINA: ("610100", "620100", "630100", "640100", "650100"),
}
CHINA_REGIONS = frozenset(DIVISIONS)


# ---------------------------------------------------------------- people

SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"),
    ("徐", "xu"), ("孙", "sun"), ("胡", "hu"), ("朱", "zhu"), ("高", "gao"),
    ("林", "lin"), ("何", "he"), ("郭", "guo"), ("马", "ma"), ("罗", "luo"),
    ("梁", "liang"), ("宋", "song"), ("郑", "zheng"), ("谢", "xie"), ("韩", "han"),
    ("唐", "tang"), ("冯", "feng"), ("董", "dong"), ("程", "cheng"), ("曹", "cao"),
    ("袁", "yuan"), ("邓", "deng"), ("沈", "shen"), ("曾", "zeng"), ("彭", "peng"),
)  # fmt: skip
GIVEN_NAMES = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"),
    ("建华", "jianhua"), ("志强", "zhiqiang"), ("海燕", "haiyan"), ("国栋", "guodong"),
    ("晓东", "xiaodong"), ("文博", "wenbo"), ("子涵", "zihan"), ("思远", "siyuan"),
    ("嘉怡", "jiayi"), ("振华", "zhenhua"), ("立新", "lixin"), ("春梅", "chunmei"),
    ("宏伟", "hongwei"), ("雪梅", "xuemei"), ("志刚", "zhigang"), ("永红", "yonghong"),
    ("佳琪", "jiaqi"), ("浩然", "haoran"), ("欣怡", "xinyi"), ("俊杰", "junjie"),
    ("建国", "jianguo"), ("鹏", "peng"), ("琳", "lin"), ("颖", "ying"), ("婷", "ting"),
)  # fmt: skip

# Contacts of foreign accounts by the country of their domain: mobile prefix, digits after
# it, and names.
# An empty name list means Chinese names (Hong Kong, Macao).
PEOPLE_BY_COUNTRY: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "es": ("+34 6", 8, ("Javier Morales Ruiz", "Lucía Fernández Gil", "Carlos Navarro",
                     "Elena Vidal", "Miguel Ángel Torres", "Pablo Serrano", "Marta Iglesias")),
    "de": ("+49 151", 8, ("Katrin Hoffmann", "Jan Petersen", "Stefan Brandt", "Anna Vogel",
                       "Henrik Jensen")),
    "sa": ("+966 5", 8, ("Faisal Al-Qahtani", "Noura Al-Harbi", "Khalid Al-Otaibi",
                      "Omar Al-Zahrani", "Reem Al-Shehri", "Abdullah Al-Ghamdi")),
    "sg": ("+65 9", 7, ("Tan Wei Ming", "Priya Raman", "Lim Hui Ling", "Goh Kian Seng",
                     "Ahmad Faizal", "Rachel Ong")),
    "vn": ("+84 9", 8, ("Nguyen Van Thanh", "Tran Thi Mai", "Le Minh Tuan", "Pham Thu Ha")),
    "pk": ("+92 3", 9, ("Imran Qureshi", "Ayesha Siddiqui", "Bilal Ahmed", "Farah Naqvi",
                     "Usman Malik")),
    "kz": ("+7 701", 7, ("Nurlan Abenov", "Aigerim Sadykova", "Yerlan Zhaksybekov",
                      "Dana Mukhamedova", "Timur Iskakov")),
    "eg": ("+20 10", 8, ("Ahmed Hassan", "Mona El-Sayed", "Karim Mansour", "Yasmin Fawzy",
                      "Tarek Abdel-Rahman", "Heba Soliman")),
    "zm": ("+260 97", 7, ("Chanda Mwila", "Mutale Banda", "Grace Phiri", "Joseph Tembo")),
    "cl": ("+56 9", 8, ("Andrés Soto", "Camila Rojas", "Felipe Muñoz", "Valentina Herrera",
                     "Diego Fuentes")),
    "au": ("+61 4", 8, ("Jack Thompson", "Olivia Wilson", "Liam Mitchell", "Charlotte Nguyen",
                     "Ethan Clarke")),
    "hk": ("+852 9", 7, ()),
    "mo": ("+853 6", 7, ()),
}  # fmt: skip

# (title, seniority, typical influence), from the top of the organisation down.
TITLES_ZH = (
    ("董事长", Seniority.BOARD, Influence.DECISION_MAKER),
    ("总经理", Seniority.C_LEVEL, Influence.DECISION_MAKER),
    ("总会计师", Seniority.C_LEVEL, Influence.DECISION_MAKER),
    ("财务总监", Seniority.C_LEVEL, Influence.INFLUENCER),
    ("资金部总经理", Seniority.SENIOR, Influence.INFLUENCER),
    ("投资发展部总经理", Seniority.SENIOR, Influence.INFLUENCER),
    ("融资管理处处长", Seniority.MIDDLE, Influence.GATEKEEPER),
    ("项目开发部经理", Seniority.MIDDLE, Influence.USER),
    ("融资专员", Seniority.STAFF, Influence.USER),
)
TITLES_EN = (
    ("Chairman", Seniority.BOARD, Influence.DECISION_MAKER),
    ("Chief Executive Officer", Seniority.C_LEVEL, Influence.DECISION_MAKER),
    ("Chief Financial Officer", Seniority.C_LEVEL, Influence.DECISION_MAKER),
    ("Head of Project Finance", Seniority.SENIOR, Influence.INFLUENCER),
    ("Treasury Director", Seniority.SENIOR, Influence.INFLUENCER),
    ("Business Development Director", Seniority.SENIOR, Influence.INFLUENCER),
    ("Financing Manager", Seniority.MIDDLE, Influence.GATEKEEPER),
    ("Project Director", Seniority.MIDDLE, Influence.USER),
    ("Treasury Analyst", Seniority.STAFF, Influence.USER),
)

MOBILE_PREFIXES = ("138", "139", "136", "137", "135", "150", "158", "186", "189", "133", "177")


# ---------------------------------------------------------------- projects

# Places per region, as (Chinese, English).
PLACES: dict[str, tuple[tuple[str, str], ...]] = {
    Region.NORTH_CHINA: (("张家口", "Zhangjiakou"), ("乌兰察布", "Ulanqab"), ("唐山", "Tangshan"),
                         ("大同", "Datong"), ("鄂尔多斯", "Ordos"), ("雄安", "Xiong'an")),
    Region.NORTHEAST_CHINA: (("大连", "Dalian"), ("吉林", "Jilin"), ("齐齐哈尔", "Qiqihar"),
                             ("白城", "Baicheng")),
    Region.EAST_CHINA: (("盐城", "Yancheng"), ("舟山", "Zhoushan"), ("连云港", "Lianyungang"),
                        ("宁德", "Ningde"), ("青岛", "Qingdao"), ("芜湖", "Wuhu")),
    Region.CENTRAL_CHINA: (("宜昌", "Yichang"), ("信阳", "Xinyang"), ("岳阳", "Yueyang"),
                           ("赣州", "Ganzhou"), ("襄阳", "Xiangyang")),
    Region.SOUTH_CHINA: (("阳江", "Yangjiang"), ("湛江", "Zhanjiang"), ("钦州", "Qinzhou"),
                         ("海口", "Haikou"), ("汕尾", "Shanwei")),
    Region.SOUTHWEST_CHINA: (("凉山", "Liangshan"), ("雅砻江", "Yalong River"), ("毕节", "Bijie"),
                             ("楚雄", "Chuxiong"), ("甘孜", "Garze")),
    Region.NORTHWEST_CHINA: (("格尔木", "Golmud"), ("哈密", "Hami"), ("酒泉", "Jiuquan"),
                             ("宁东", "Ningdong"), ("榆林", "Yulin"), ("库布其", "Kubuqi")),
    Region.HK_MACAO: (("将军澳", "Tseung Kwan O"), ("大屿山", "Lantau"), ("路氹", "Cotai")),
    Region.SOUTHEAST_ASIA: (("", "Ba Ria-Vung Tau"), ("", "Batang"), ("", "Johor"),
                            ("", "Tuas"), ("", "Nakhon Ratchasima")),
    Region.SOUTH_ASIA: (("", "Port Qasim"), ("", "Thar"), ("", "Hambantota"), ("", "Payra")),
    Region.CENTRAL_ASIA: (("", "Zhanatas"), ("", "Navoi"), ("", "Turkestan")),
    Region.MIDDLE_EAST: (("", "Al Shuaibah"), ("", "Jizan"), ("", "Ras Al Khair"),
                         ("", "Sudair"), ("", "Duqm")),
    Region.AFRICA: (("", "Benban"), ("", "Kafue Gorge"), ("", "Lamu"), ("", "Solwezi")),
    Region.EUROPE: (("", "Extremadura"), ("", "Castilla-La Mancha"), ("", "Andalusia"),
                    ("", "Alentejo"), ("", "Borkum")),
    Region.LATIN_AMERICA: (("", "Atacama"), ("", "Antofagasta"), ("", "Arequipa")),
    Region.OCEANIA: (("", "Pilbara"), ("", "Gladstone")),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _ProjectKind:
    zh: str
    en: str
    green: str  # its green-industry catalogue class (GreenCategory), "" when not green
    equator: tuple[str, ...]  # likely Equator Principles categories
    scale: float = 1.0  # relative size of the total cost


G = GreenCategory
PROJECT_KINDS: dict[str, tuple[_ProjectKind, ...]] = {
    Sector.RENEWABLES: (
        _ProjectKind("{p}{n}MW光伏电站", "{p} {n} MW Solar PV Plant", G.CLEAN_ENERGY, ("B", "C")),
        _ProjectKind("{p}{n}MW风电场", "{p} {n} MW Onshore Wind Farm", G.CLEAN_ENERGY, ("B",)),
        _ProjectKind("{p}海上风电{k}期项目", "{p} Offshore Wind Phase {k}", G.CLEAN_ENERGY, ("A", "B"), 2.5),
        _ProjectKind("{p}水电站", "{p} Hydropower Station", G.CLEAN_ENERGY, ("A",), 3.0),
        _ProjectKind("{p}风光储一体化基地", "{p} Wind-Solar-Storage Hub", G.CLEAN_ENERGY, ("B",), 2.0),
    ),
    Sector.POWER: (
        _ProjectKind("{p}2×660MW超超临界燃煤电厂", "{p} 2x660 MW Coal Power Plant", "", ("A",), 2.0),
        _ProjectKind("{p}{n}MW燃气联合循环电厂", "{p} {n} MW CCGT Power Plant", "", ("B",)),
        _ProjectKind("{p}500kV输变电工程", "{p} 500 kV Transmission Line", "", ("B",)),
        _ProjectKind("{p}抽水蓄能电站", "{p} Pumped Storage Station", G.CLEAN_ENERGY, ("A", "B"), 2.5),
        _ProjectKind("{p}热电联产项目", "{p} Combined Heat and Power Plant", "", ("B",)),
    ),
    Sector.TRANSPORT: (
        _ProjectKind("{p}高速公路", "{p} Expressway", "", ("A", "B"), 2.0),
        _ProjectKind("{p}港区{k}号集装箱码头", "{p} Container Terminal {k}", "", ("B",)),
        _ProjectKind("{p}城际铁路", "{p} Intercity Railway", G.GREEN_INFRASTRUCTURE, ("A", "B"), 3.0),
        _ProjectKind("{p}城市轨道交通{k}号线", "{p} Metro Line {k}", G.GREEN_INFRASTRUCTURE, ("B",), 3.0),
        _ProjectKind("{p}机场扩建工程", "{p} Airport Expansion", "", ("B",)),
    ),
    Sector.WATER: (
        _ProjectKind("{p}海水淡化厂", "{p} Desalination Plant", G.ENERGY_SAVING, ("B",)),
        _ProjectKind("{p}污水处理厂提标改造", "{p} Wastewater Treatment Upgrade", G.ENERGY_SAVING, ("C", "B"), 0.4),
        _ProjectKind("{p}引调水工程", "{p} Water Transfer Scheme", G.ECOLOGY, ("A", "B"), 1.5),
    ),
    Sector.SOCIAL: (
        _ProjectKind("{p}三甲医院PPP项目", "{p} Hospital PPP", "", ("C",), 0.5),
        _ProjectKind("{p}大学城PPP项目", "{p} University Campus PPP", "", ("C",), 0.5),
        _ProjectKind("{p}国际会展中心", "{p} Convention Centre", "", ("C", "B"), 0.8),
    ),
    Sector.MINING: (
        _ProjectKind("{p}铜矿开发项目", "{p} Copper Mine Development", "", ("A",), 2.0),
        _ProjectKind("{p}锂辉石矿项目", "{p} Lithium Project", "", ("A", "B")),
        _ProjectKind("{p}稀土分离项目", "{p} Rare Earth Separation Plant", "", ("A",)),
    ),
    Sector.OIL_GAS: (
        _ProjectKind("{p}LNG接收站", "{p} LNG Import Terminal", "", ("A", "B"), 1.5),
        _ProjectKind("{p}天然气长输管道", "{p} Gas Transmission Pipeline", "", ("A", "B")),
        _ProjectKind("{p}炼化一体化改造", "{p} Refinery Upgrade", "", ("A",), 2.0),
    ),
    Sector.TELECOM: (
        _ProjectKind("{p}数据中心集群", "{p} Data Centre Campus", "", ("C",), 0.6),
        _ProjectKind("{p}骨干光纤网络", "{p} Fibre Backbone", "", ("C",), 0.4),
    ),
    Sector.INDUSTRIAL: (
        _ProjectKind("{p}绿氢合成氨项目", "{p} Green Ammonia Plant", G.CLEAN_ENERGY, ("A", "B"), 1.5),
        _ProjectKind("{p}产业园基础设施", "{p} Industrial Park Infrastructure", "", ("B",), 0.6),
    ),
}  # fmt: skip
del G

# Which sectors an account of an industry finances.
INDUSTRY_SECTORS: dict[str, tuple[str, ...]] = {
    Industry.POWER: (Sector.POWER, Sector.POWER, Sector.RENEWABLES),
    Industry.RENEWABLES: (Sector.RENEWABLES,),
    Industry.OIL_GAS: (Sector.OIL_GAS,),
    Industry.TRANSPORT: (Sector.TRANSPORT,),
    Industry.WATER: (Sector.WATER,),
    Industry.SOCIAL: (Sector.SOCIAL,),
    Industry.MINING: (Sector.MINING,),
    Industry.TELECOM: (Sector.TELECOM,),
    Industry.CONSTRUCTION: (Sector.POWER, Sector.TRANSPORT, Sector.WATER, Sector.RENEWABLES),
    Industry.FINANCE: (Sector.RENEWABLES, Sector.TRANSPORT, Sector.POWER, Sector.SOCIAL),
    Industry.INDUSTRY: (Sector.INDUSTRIAL,),
    Industry.REAL_ESTATE: (Sector.SOCIAL, Sector.TRANSPORT, Sector.INDUSTRIAL),
}

# Where Chinese sponsors build abroad (Belt and Road), by sector.
OVERSEAS_REGIONS = (
    Region.SOUTHEAST_ASIA,
    Region.MIDDLE_EAST,
    Region.AFRICA,
    Region.CENTRAL_ASIA,
    Region.SOUTH_ASIA,
    Region.LATIN_AMERICA,
)

# Units of foreign currency per CNY 1, near enough for a demo.
FX_FROM_CNY: dict[str, float] = {Currency.CNY: 1.0, Currency.USD: 1 / 7.1, Currency.EUR: 1 / 7.8}

TIER_COST_FACTOR: dict[str, float] = {
    Tier.STRATEGIC: 1.6,
    Tier.KEY: 1.2,
    Tier.CORE: 1.0,
    Tier.STANDARD: 0.7,
}

STAGE_WEIGHTS = (
    (ProjectStage.ORIGINATION, 12),
    (ProjectStage.DUE_DILIGENCE, 10),
    (ProjectStage.CREDIT_APPROVAL, 8),
    (ProjectStage.FINANCIAL_CLOSE, 6),
    (ProjectStage.CONSTRUCTION, 30),
    (ProjectStage.OPERATION, 29),
    (ProjectStage.CLOSED, 5),
)
_STAGES = tuple(stage for stage, _weight in STAGE_WEIGHTS)
_STAGE_WEIGHTS = tuple(weight for _stage, weight in STAGE_WEIGHTS)


# ---------------------------------------------------------------- the accounts

# (Chinese legal name, English legal name, type, industry, region, foreign, domain).
# Listed by strategic weight: the first 8 are Strategic, then 14 Key, 20 Core, 18 Standard.
# Every name is fictional.
A = AccountType
I = Industry  # noqa: E741
R = Region
ACCOUNTS: tuple[tuple[str, str, str, str, str, bool, str], ...] = (
    ("华夏电力建设集团有限公司", "Huaxia Power Construction Group Co., Ltd.", A.EPC, I.CONSTRUCTION, R.NORTH_CHINA, False, "hxpcg.com.cn"),
    ("国能联合电力投资集团有限公司", "Guoneng United Power Investment Group Co., Ltd.", A.SPONSOR, I.POWER, R.NORTH_CHINA, False, "gnupi.com.cn"),
    ("中能绿源新能源股份有限公司", "Zhongneng Lvyuan New Energy Co., Ltd.", A.SPONSOR, I.RENEWABLES, R.NORTH_CHINA, False, "znlvyuan.com"),
    ("华南交通投资控股集团有限公司", "South China Transport Investment Holding Group Co., Ltd.", A.BORROWER, I.TRANSPORT, R.SOUTH_CHINA, False, "sctih.com.cn"),
    ("长江清洁能源开发有限公司", "Changjiang Clean Energy Development Co., Ltd.", A.SPONSOR, I.RENEWABLES, R.CENTRAL_CHINA, False, "cjcleanenergy.cn"),
    ("伊比利亚太阳能可再生能源公司", "Iberia Solar Renovables S.A.", A.SPONSOR, I.RENEWABLES, R.EUROPE, True, "iberiasolar.es"),
    ("努尔电力与水务公司", "Al-Noor Power & Water Company", A.SPONSOR, I.POWER, R.MIDDLE_EAST, True, "alnoor-pw.com.sa"),
    ("中海丝路港口投资有限公司", "Zhonghai Silk Road Port Investment Co., Ltd.", A.SPONSOR, I.TRANSPORT, R.EAST_CHINA, False, "zhsrport.com"),
    ("西陲矿业资源集团有限公司", "Xichui Mining Resources Group Co., Ltd.", A.SPONSOR, I.MINING, R.NORTHWEST_CHINA, False, "xcmining.com.cn"),
    ("东方水务环境集团股份有限公司", "Dongfang Water & Environment Group Co., Ltd.", A.SPONSOR, I.WATER, R.EAST_CHINA, False, "dfwater.com.cn"),
    ("天府基础设施投资集团有限公司", "Tianfu Infrastructure Investment Group Co., Ltd.", A.BORROWER, I.TRANSPORT, R.SOUTHWEST_CHINA, False, "tfiig.cn"),
    ("北方数联信息基础设施有限公司", "Beifang Shulian Digital Infrastructure Co., Ltd.", A.SPONSOR, I.TELECOM, R.NORTH_CHINA, False, "bfshulian.com"),
    ("狮门港口控股有限公司", "Lion Gate Port Holdings Pte. Ltd.", A.SPONSOR, I.TRANSPORT, R.SOUTHEAST_ASIA, True, "liongateports.com.sg"),
    ("齐海海上风电开发有限公司", "Qihai Offshore Wind Development Co., Ltd.", A.SPONSOR, I.RENEWABLES, R.EAST_CHINA, False, "qihaiwind.com"),
    ("中原电网建设投资有限公司", "Zhongyuan Grid Construction Investment Co., Ltd.", A.BORROWER, I.POWER, R.CENTRAL_CHINA, False, "zygrid.com.cn"),
    ("国兴融资租赁有限公司", "Guoxing Financial Leasing Co., Ltd.", A.CO_LENDER, I.FINANCE, R.EAST_CHINA, False, "guoxingleasing.com"),
    ("安第斯山脉矿业公司", "Minera Cordillera Andina S.A.", A.SPONSOR, I.MINING, R.LATIN_AMERICA, True, "mineracordillera.cl"),
    ("粤港澳大湾区城市发展集团有限公司", "Greater Bay Urban Development Group Co., Ltd.", A.BORROWER, I.REAL_ESTATE, R.SOUTH_CHINA, False, "gbudg.com"),
    ("新疆天山能源化工有限公司", "Xinjiang Tianshan Energy & Chemical Co., Ltd.", A.SPONSOR, I.OIL_GAS, R.NORTHWEST_CHINA, False, "tsenergychem.cn"),
    ("亚欧陆桥物流投资有限公司", "Eurasia Landbridge Logistics Investment Co., Ltd.", A.SPONSOR, I.TRANSPORT, R.NORTHWEST_CHINA, False, "ealandbridge.com"),
    ("东北振兴热电集团有限公司", "Dongbei Zhenxing Thermal Power Group Co., Ltd.", A.BORROWER, I.POWER, R.NORTHEAST_CHINA, False, "dbzxpower.cn"),
    ("尼罗河三角洲水务公司", "Nile Delta Water Company S.A.E.", A.OFFTAKER, I.WATER, R.AFRICA, True, "niledeltawater.com.eg"),
    ("江南智慧医养投资有限公司", "Jiangnan Smart Healthcare Investment Co., Ltd.", A.BORROWER, I.SOCIAL, R.EAST_CHINA, False, "jnhealthcare.cn"),
    ("云岭水电开发有限公司", "Yunling Hydropower Development Co., Ltd.", A.SPONSOR, I.RENEWABLES, R.SOUTHWEST_CHINA, False, "ylhydro.com.cn"),
    ("湘江城投建设集团有限公司", "Xiangjiang Urban Construction Investment Group Co., Ltd.", A.BORROWER, I.REAL_ESTATE, R.CENTRAL_CHINA, False, "xjuci.cn"),
    ("华信工程总承包有限公司", "Huaxin Engineering EPC Co., Ltd.", A.EPC, I.CONSTRUCTION, R.EAST_CHINA, False, "huaxinepc.com"),
    ("蒙西风光储一体化开发有限公司", "Mengxi Wind-Solar-Storage Development Co., Ltd.", A.SPONSOR, I.RENEWABLES, R.NORTH_CHINA, False, "mengxiwss.cn"),
    ("海峡天然气管网有限公司", "Straits Natural Gas Pipeline Co., Ltd.", A.BORROWER, I.OIL_GAS, R.EAST_CHINA, False, "straitsgas.com.cn"),
    ("黔南高速公路投资有限公司", "Qiannan Expressway Investment Co., Ltd.", A.BORROWER, I.TRANSPORT, R.SOUTHWEST_CHINA, False, "qnexpressway.cn"),
    ("北部湾港航发展有限公司", "Beibu Gulf Port & Shipping Development Co., Ltd.", A.SPONSOR, I.TRANSPORT, R.SOUTH_CHINA, False, "bbgport.com.cn"),
    ("中科绿氢能源科技有限公司", "Zhongke Green Hydrogen Energy Technology Co., Ltd.", A.SPONSOR, I.INDUSTRY, R.NORTH_CHINA, False, "zkgreenh2.com"),
    ("冀北储能电站投资有限公司", "Jibei Energy Storage Investment Co., Ltd.", A.BORROWER, I.POWER, R.NORTH_CHINA, False, "jbstorage.cn"),
    ("河西走廊新能源有限公司", "Hexi Corridor New Energy Co., Ltd.", A.SPONSOR, I.RENEWABLES, R.NORTHWEST_CHINA, False, "hexine.cn"),
    ("华东城市轨道交通投资有限公司", "East China Urban Rail Transit Investment Co., Ltd.", A.BORROWER, I.TRANSPORT, R.EAST_CHINA, False, "ecurti.com.cn"),
    ("闽江环保科技股份有限公司", "Minjiang Environmental Technology Co., Ltd.", A.SPONSOR, I.WATER, R.EAST_CHINA, False, "mjenvtech.cn"),
    ("中联数据中心运营有限公司", "Zhonglian Data Centre Operations Co., Ltd.", A.SPONSOR, I.TELECOM, R.EAST_CHINA, False, "zldatacentre.com"),
    ("湄公河三角洲电力股份公司", "Mekong Delta Power JSC", A.BORROWER, I.POWER, R.SOUTHEAST_ASIA, True, "mekongpower.vn"),
    ("卡拉奇海岸能源有限公司", "Karachi Coastal Energy (Private) Limited", A.BORROWER, I.POWER, R.SOUTH_ASIA, True, "karachicoastal.pk"),
    ("草原风能有限责任合伙企业", "Steppe Wind Energy LLP", A.SPONSOR, I.RENEWABLES, R.CENTRAL_ASIA, True, "steppewind.kz"),
    ("瑞能电气装备制造有限公司", "Ruineng Electrical Equipment Manufacturing Co., Ltd.", A.PARTNER, I.INDUSTRY, R.CENTRAL_CHINA, False, "ruineng-electric.com"),
    ("皖江水泥建材集团有限公司", "Wanjiang Cement & Building Materials Group Co., Ltd.", A.OFFTAKER, I.INDUSTRY, R.EAST_CHINA, False, "wjcement.cn"),
    ("两江国际物流园区开发有限公司", "Liangjiang International Logistics Park Development Co., Ltd.", A.BORROWER, I.REAL_ESTATE, R.SOUTHWEST_CHINA, False, "ljlogipark.cn"),
    ("晋北煤电一体化有限公司", "Jinbei Coal & Power Integration Co., Ltd.", A.BORROWER, I.POWER, R.NORTH_CHINA, False, "jbcoalpower.cn"),
    ("辽滨油气服务有限公司", "Liaobin Oil & Gas Services Co., Ltd.", A.EPC, I.OIL_GAS, R.NORTHEAST_CHINA, False, "liaobinog.cn"),
    ("赣南稀土资源开发有限公司", "Gannan Rare Earth Resources Development Co., Ltd.", A.SPONSOR, I.MINING, R.CENTRAL_CHINA, False, "gnrareearth.cn"),
    ("海南自贸港基础设施投资有限公司", "Hainan FTP Infrastructure Investment Co., Ltd.", A.BORROWER, I.TRANSPORT, R.SOUTH_CHINA, False, "hnftpinfra.cn"),
    ("苏南光伏科技有限公司", "Sunan Photovoltaic Technology Co., Ltd.", A.EPC, I.INDUSTRY, R.EAST_CHINA, False, "sunanpv.com"),
    ("青藏高原清洁能源有限公司", "Qinghai-Tibet Plateau Clean Energy Co., Ltd.", A.SPONSOR, I.RENEWABLES, R.NORTHWEST_CHINA, False, "qtpclean.cn"),
    ("广西桂江水利开发有限公司", "Guangxi Guijiang Water Conservancy Development Co., Ltd.", A.BORROWER, I.WATER, R.SOUTH_CHINA, False, "gjwater.cn"),
    ("哈尔滨冰城供热有限公司", "Harbin Bingcheng District Heating Co., Ltd.", A.BORROWER, I.POWER, R.NORTHEAST_CHINA, False, "bcheating.cn"),
    ("路氹会展中心发展有限公司", "Cotai Convention Centre Development Limited", A.BORROWER, I.SOCIAL, R.HK_MACAO, True, "cotaiconvention.mo"),
    ("亚洲基建基金管理（香港）有限公司", "Asia Infrastructure Fund Management (HK) Limited", A.CO_LENDER, I.FINANCE, R.HK_MACAO, True, "aifm.com.hk"),
    ("澳洲内陆绿氢有限公司", "Outback Green Hydrogen Pty Ltd", A.SPONSOR, I.RENEWABLES, R.OCEANIA, True, "outbackh2.com.au"),
    ("铜带矿业赞比亚有限公司", "Copperbelt Minerals Zambia Limited", A.SPONSOR, I.MINING, R.AFRICA, True, "copperbeltminerals.co.zm"),
    ("北海海上风电有限公司", "Nordsee Offshore Wind GmbH", A.SPONSOR, I.RENEWABLES, R.EUROPE, True, "nordsee-offshore.de"),
    ("鄂西北公路建设有限公司", "Exibei Highway Construction Co., Ltd.", A.BORROWER, I.TRANSPORT, R.CENTRAL_CHINA, False, "exbhighway.cn"),
    ("川西锂业新材料有限公司", "Chuanxi Lithium New Materials Co., Ltd.", A.SPONSOR, I.MINING, R.SOUTHWEST_CHINA, False, "cxlithium.com"),
    ("天津临港化工园区发展有限公司", "Tianjin Lingang Chemical Park Development Co., Ltd.", A.BORROWER, I.INDUSTRY, R.NORTH_CHINA, False, "tjlgchempark.cn"),
    ("宁夏沙漠光伏治沙发展有限公司", "Ningxia Desert PV & Sand Control Development Co., Ltd.", A.SPONSOR, I.RENEWABLES, R.NORTHWEST_CHINA, False, "nxdesertpv.cn"),
    ("长三角智慧城市运营有限公司", "Yangtze Delta Smart City Operations Co., Ltd.", A.PARTNER, I.TELECOM, R.EAST_CHINA, False, "ydsmartcity.com"),
)  # fmt: skip
del A, I, R

TIER_SPLIT = ((Tier.STRATEGIC, 8), (Tier.KEY, 14), (Tier.CORE, 20), (Tier.STANDARD, 18))

CREDIT_BY_TIER: dict[str, tuple[str, ...]] = {
    Tier.STRATEGIC: ("AAA", "AAA", "AA+", "AA+", "AA"),
    Tier.KEY: ("AA+", "AA", "AA", "AA-", "A+"),
    Tier.CORE: ("AA-", "A+", "A", "A", "A-", "BBB+"),
    Tier.STANDARD: ("A-", "BBB+", "BBB", "BBB", "BBB-", "BB+", "BB"),
}
ESG_BY_INDUSTRY: dict[str, tuple[str, ...]] = {
    Industry.RENEWABLES: ("AAA", "AA", "AA", "A"),
    Industry.WATER: ("AA", "A", "A", "BBB"),
    Industry.MINING: ("BBB", "BB", "BB", "B"),
    Industry.OIL_GAS: ("BBB", "BB", "B"),
    Industry.POWER: ("A", "BBB", "BBB", "BB"),
}
DEFAULT_ESG = ("AA", "A", "A", "BBB", "BBB", "BB")

ENERGY_INDUSTRIES = frozenset(
    {Industry.POWER, Industry.RENEWABLES, Industry.OIL_GAS, Industry.MINING}
)


# ---------------------------------------------------------------- users and teams


@dataclass(frozen=True, slots=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    role: str | None
    team: str | None = None
    is_staff: bool = False
    is_superuser: bool = False


@dataclass(frozen=True, slots=True)
class TeamSpec:
    name: str
    lead: str
    rms: tuple[str, ...]
    industries: frozenset[str] | None  # None: every industry the other teams do not cover


ENERGY_TEAM = "Energy & Power"
INFRA_TEAM = "Infrastructure"

TEAMS = (
    TeamSpec(ENERGY_TEAM, "lead.zhao", ("rm.wang", "rm.li"), ENERGY_INDUSTRIES),
    TeamSpec(INFRA_TEAM, "lead.huang", ("rm.zhang", "rm.chen"), None),
)

USERS = (
    UserSpec("rm.wang", "Wei", "Wang", Role.RM, ENERGY_TEAM),
    UserSpec("rm.li", "Na", "Li", Role.RM, ENERGY_TEAM),
    UserSpec("rm.zhang", "Lei", "Zhang", Role.RM, INFRA_TEAM),
    UserSpec("rm.chen", "Jing", "Chen", Role.RM, INFRA_TEAM),
    UserSpec("lead.zhao", "Jianguo", "Zhao", Role.TEAM_LEAD, ENERGY_TEAM),
    UserSpec("lead.huang", "Haiyan", "Huang", Role.TEAM_LEAD, INFRA_TEAM),
    UserSpec("exec.chen", "Zhenhua", "Chen", Role.EXECUTIVE),
    UserSpec("risk.liu", "Min", "Liu", Role.RISK),
    UserSpec("compliance.sun", "Li", "Sun", Role.COMPLIANCE, is_staff=True),
    # A credit analyst holds no role: they see exactly the accounts whose team they are on.
    UserSpec("analyst.ma", "Xiaodong", "Ma", None),
    UserSpec("admin", "Portal", "Administrator", Role.ADMIN, is_staff=True, is_superuser=True),
)


# ---------------------------------------------------------------- specifications


@dataclass(slots=True)
class ContactSpec:
    name: str
    title: str
    seniority: str
    influence: str
    attitude: str
    channel_preferences: list[str]
    phone: str
    email: str
    is_primary: bool


@dataclass(slots=True)
class ProjectSpec:
    name: str
    sector: str
    region: str
    currency: str
    total_cost: Decimal
    stage: str
    financial_close_date: date | None
    planned_cod: date | None
    forecast_cod: date | None
    equator_category: str
    green_category: str
    place: tuple[str, str]  # (Chinese, English)
    kind: str  # the English name pattern of its kind of asset
    # Our financing as planned: split into facilities by ``demo.finance.build_facilities``.
    commitment: Decimal
    outstanding: Decimal
    parties: list[PartySpec] = field(default_factory=list)
    facilities: list[FacilitySpec] = field(default_factory=list)


@dataclass(slots=True)
class AccountSpec:
    legal_name_zh: str
    legal_name_en: str
    uscc: str | None
    account_type: str
    industry: str
    region: str
    status: str
    tier: str
    owner: str
    team: str
    credit_rating: str
    esg_rating: str
    website: str
    notes: str
    contacts: list[ContactSpec] = field(default_factory=list)
    projects: list[ProjectSpec] = field(default_factory=list)
    members: list[tuple[str, str]] = field(default_factory=list)  # (username, MembershipRole)
    # Its direct parent in a client group (the majority owner) and the parent's share.
    parent: str | None = None
    parent_pct: Decimal | None = None

    @property
    def key(self) -> str:
        return self.legal_name_en

    @property
    def domain(self) -> str:
        return self.website.removeprefix("https://www.")


def _months(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=30 * rng.randint(low, high))


def _money(value_cny: float, currency: str) -> Decimal:
    """An amount in ``currency``, rounded to 100,000 units."""
    amount = value_cny * FX_FROM_CNY[currency]
    return Decimal(int(round(amount / 100_000)) * 100_000).quantize(Decimal("0.01"))


def build_project(
    *,
    rng: random.Random,
    sector: str,
    region: str,
    currency: str,
    today: date,
    tier: str,
    taken: set[str],
) -> ProjectSpec:
    """One financed project with consistent amounts, stage and dates."""
    places = PLACES[region]
    for _attempt in range(20):
        kind = rng.choice(PROJECT_KINDS[sector])
        place_zh, place_en = rng.choice(places)
        capacity = rng.choice((100, 200, 300, 400, 500, 600, 800, 1000, 1200))
        phase = rng.randint(1, 4)
        if region in CHINA_REGIONS:
            name = kind.zh.format(p=place_zh, n=capacity, k=phase)
        else:
            name = kind.en.format(p=place_en, n=capacity, k=phase)
        if name not in taken:
            break
    taken.add(name)

    # Total cost between CNY 0.5bn and 20bn, log-uniform, scaled by the kind of asset
    # and a little by the account's weight.
    cost_cny = 10 ** rng.uniform(8.7, 9.9) * kind.scale * TIER_COST_FACTOR[tier]
    cost_cny = min(max(cost_cny, 5e8), 2e10)
    share = rng.uniform(0.08, 0.4)  # our part of a syndicated financing
    total_cost = _money(cost_cny, currency)
    commitment = min(_money(cost_cny * share, currency), total_cost)

    stage = rng.choices(_STAGES, _STAGE_WEIGHTS)[0]
    fc: date | None
    planned: date | None
    forecast: date | None
    drawn = 0.0
    if stage in (
        ProjectStage.ORIGINATION,
        ProjectStage.DUE_DILIGENCE,
        ProjectStage.CREDIT_APPROVAL,
    ):
        fc = today + timedelta(days=rng.randint(45, 360))
        planned = fc + _months(rng, 18, 42)
        forecast = planned if stage != ProjectStage.ORIGINATION else None
    elif stage == ProjectStage.FINANCIAL_CLOSE:
        fc = today - timedelta(days=rng.randint(0, 75))
        planned = fc + _months(rng, 20, 40)
        forecast = planned
        drawn = rng.uniform(0.0, 0.1)
    elif stage == ProjectStage.CONSTRUCTION:
        fc = today - timedelta(days=rng.randint(150, 1100))
        planned = fc + _months(rng, 22, 48)
        slips = rng.random() < 0.35
        forecast = planned + timedelta(days=rng.randint(45, 420)) if slips else planned
        if forecast < today + timedelta(days=30):
            # Still building: the forecast cannot be in the past, so it has slipped.
            forecast = today + timedelta(days=rng.randint(30, 240))
        drawn = rng.uniform(0.25, 0.9)
    elif stage == ProjectStage.OPERATION:
        fc = today - timedelta(days=rng.randint(4 * 365, 11 * 365))
        planned = fc + _months(rng, 22, 40)
        forecast = planned + timedelta(days=rng.randint(20, 300) if rng.random() < 0.3 else 0)
        drawn = rng.uniform(0.45, 0.95)
    else:  # closed
        fc = today - timedelta(days=rng.randint(12 * 365, 18 * 365))
        planned = fc + _months(rng, 22, 36)
        forecast = planned
    outstanding = _money(float(commitment) * drawn / FX_FROM_CNY[currency], currency)
    outstanding = min(outstanding, commitment)

    equator = rng.choice(kind.equator)
    if stage == ProjectStage.ORIGINATION and rng.random() < 0.5:
        equator = ""  # not yet categorised
    return ProjectSpec(
        name=name,
        sector=sector,
        region=region,
        currency=currency,
        total_cost=total_cost,
        stage=stage,
        financial_close_date=fc,
        planned_cod=planned,
        forecast_cod=forecast,
        equator_category=equator,
        # Not every eligible asset is financed under the green loan framework.
        green_category=kind.green if kind.green and rng.random() < 0.75 else "",
        place=(place_zh, place_en),
        kind=kind.en,
        commitment=commitment,
        outstanding=outstanding,
    )


def _phone(rng: random.Random, prefix: str | None = None, digits: int = 8) -> str:
    """A mainland mobile number (138xxxxxxxx), or a foreign one after ``prefix``."""
    return (prefix or rng.choice(MOBILE_PREFIXES)) + "".join(rng.choices("0123456789", k=digits))


def _email_local(name: str) -> str:
    """javier.morales from "Javier Morales Ruiz"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    parts = re.findall(r"[a-z]+", plain)
    return ".".join(parts[:2]) if parts else "contact"


def _chinese_name(rng: random.Random) -> tuple[str, str]:
    surname, surname_py = rng.choice(SURNAMES)
    given, given_py = rng.choice(GIVEN_NAMES)
    return surname + given, f"{given_py}.{surname_py}"


def build_contacts(
    *, rng: random.Random, foreign: bool, domain: str, count: int
) -> list[ContactSpec]:
    """``count`` contacts from the top of the organisation down, with distinct names."""
    country = domain.rsplit(".", 1)[-1]
    phone_prefix, phone_digits, people = PEOPLE_BY_COUNTRY[country] if foreign else (None, 8, ())
    titles = TITLES_EN if people else TITLES_ZH
    if people:
        count = min(count, len(people))
    # The chairman or the chief executive, then a spread of finance and project people.
    picks = [rng.choice((0, 1)), *sorted(rng.sample(range(2, len(titles)), count - 1))]
    contacts: list[ContactSpec] = []
    names: set[str] = set()
    for position, index in enumerate(picks):
        title, seniority, influence = titles[index]
        name, local = "", ""
        while not name or name in names:
            if people:
                name = rng.choice(people)
                local = _email_local(name)
            else:
                name, local = _chinese_name(rng)
        names.add(name)
        channels = rng.sample(ContactChannel.values, rng.randint(1, 3))
        if (
            seniority in (Seniority.BOARD, Seniority.C_LEVEL)
            and ContactChannel.MEETING not in channels
        ):
            channels.insert(0, ContactChannel.MEETING)
        if not people and rng.random() < 0.6 and ContactChannel.WECHAT not in channels:
            channels.append(ContactChannel.WECHAT)
        attitude = rng.choices(
            Attitude.values, weights=(2, 4, 4, 2, 1) if position else (3, 4, 2, 1, 0)
        )[0]
        contacts.append(
            ContactSpec(
                name=name,
                title=title,
                seniority=seniority,
                influence=influence,
                attitude=attitude,
                channel_preferences=channels,
                phone=_phone(rng, phone_prefix, phone_digits),
                email=f"{local}@{domain}",
                is_primary=False,
            )
        )
    # The day-to-day contact is the most senior finance person below the top.
    contacts[1 if len(contacts) > 1 else 0].is_primary = True
    return contacts


def _notes(tier: str, industry: str, foreign: bool) -> str:
    if tier == Tier.STRATEGIC:
        return "Group-level relationship; quarterly strategic dialogue with the chairman's office."
    if foreign:
        return "Overseas sponsor; financing usually alongside ECA cover and multilateral lenders."
    if industry in (Industry.RENEWABLES, Industry.WATER):
        return "Green-finance pipeline; eligible for the green loan framework."
    return ""


def build_demo_book(*, today: date, seed: int = DEMO_SEED) -> list[AccountSpec]:
    """The demo accounts with their contacts, projects and account teams; pure and repeatable."""
    rng = random.Random(seed)
    tiers = [tier for tier, count in TIER_SPLIT for _ in range(count)]
    assert len(tiers) == len(ACCOUNTS)
    # Each team's RMs take their accounts in turn.
    turn = {team.name: 0 for team in TEAMS}
    used_uscc: set[str] = set()
    book: list[AccountSpec] = []
    for (zh, en, account_type, industry, region, foreign, domain), tier in zip(
        ACCOUNTS, tiers, strict=True
    ):
        team = next(t for t in TEAMS if t.industries is None or industry in t.industries)
        owner = team.rms[turn[team.name] % len(team.rms)]
        turn[team.name] += 1

        code: str | None = None
        if not foreign:
            while code is None or code in used_uscc:
                body = "".join(rng.choices("0123456789", k=8))
                code = make_uscc(division=rng.choice(DIVISIONS[region]), org_body=body)
            used_uscc.add(code)

        status: str = AccountStatus.ACTIVE
        if tier in (Tier.CORE, Tier.STANDARD):
            status = rng.choices(AccountStatus.values, weights=(3, 12, 2, 0))[0]
        if "Coal" in en:
            status = AccountStatus.EXITED  # coal exit under the green-finance policy
        credit = (
            ""
            if status == AccountStatus.PROSPECT and rng.random() < 0.5
            else rng.choice(CREDIT_BY_TIER[tier])
        )
        if credit:
            assert credit in CreditRating.values
        esg = rng.choice(ESG_BY_INDUSTRY.get(industry, DEFAULT_ESG))
        assert esg in EsgRating.values

        spec = AccountSpec(
            legal_name_zh=zh,
            legal_name_en=en,
            uscc=code,
            account_type=account_type,
            industry=industry,
            region=region,
            status=status,
            tier=tier,
            owner=owner,
            team=team.name,
            credit_rating=credit,
            esg_rating=esg,
            website=f"https://www.{domain}",
            notes=_notes(tier, industry, foreign),
        )

        contact_count = {Tier.STRATEGIC: (4, 6), Tier.KEY: (3, 5), Tier.CORE: (2, 4)}.get(
            tier, (2, 3)
        )
        spec.contacts = build_contacts(
            rng=rng, foreign=foreign, domain=domain, count=rng.randint(*contact_count)
        )

        project_count = {Tier.STRATEGIC: (3, 4), Tier.KEY: (2, 3), Tier.CORE: (1, 3)}.get(
            tier, (1, 2)
        )
        taken: set[str] = set()
        for _ in range(rng.randint(*project_count)):
            sector = rng.choice(INDUSTRY_SECTORS[industry])
            project_region = region
            if not foreign and rng.random() < 0.2 and region != Region.HK_MACAO:
                project_region = rng.choice(OVERSEAS_REGIONS)
            if project_region in CHINA_REGIONS or project_region == Region.HK_MACAO:
                currency = Currency.CNY
            elif project_region == Region.EUROPE:
                currency = Currency.EUR
            else:
                currency = Currency.USD
            spec.projects.append(
                build_project(
                    rng=rng,
                    sector=sector,
                    region=project_region,
                    currency=currency,
                    today=today,
                    tier=tier,
                    taken=taken,
                )
            )

        # Account teams: the teammate as co-RM on the larger accounts, the analyst on the top ones.
        teammate = next(rm for rm in team.rms if rm != owner)
        if tier == Tier.STRATEGIC or (tier == Tier.KEY and rng.random() < 0.5):
            spec.members.append((teammate, MembershipRole.CO_RM))
        if tier == Tier.STRATEGIC or (tier == Tier.KEY and rng.random() < 0.25):
            spec.members.append(("analyst.ma", MembershipRole.ANALYST))
        book.append(spec)
    # Its own generator: the relationship accounts above come out as they always have.
    _add_project_finance(book, rng=random.Random(f"{seed}-project-finance"), today=today)
    return book


# ---------------------------------------------------------------- project finance

# The role a project's lead account plays in it, by the account's type.
LEAD_ROLE: dict[str, str] = {
    AccountType.SPONSOR: PartyRole.SPONSOR,
    AccountType.PARTNER: PartyRole.SPONSOR,
    AccountType.BORROWER: PartyRole.BORROWER,
    AccountType.EPC: PartyRole.EPC,
    AccountType.OFFTAKER: PartyRole.OFFTAKER,
    AccountType.CO_LENDER: PartyRole.CO_LENDER,
}
_BEFORE_CLOSE = (ProjectStage.ORIGINATION, ProjectStage.DUE_DILIGENCE)
_HUNDRED = Decimal("100")


@dataclass(slots=True)
class _FinanceContext:
    rng: random.Random
    today: date
    book: list[AccountSpec]
    by_key: dict[str, AccountSpec]
    used_uscc: set[str]
    pools: tuple[Counterparty, ...]
    sponsors: tuple[AccountSpec, ...]  # the relationship accounts that invest in projects


def _owner_of(industry: str, turn: dict[str, int]) -> tuple[str, str]:
    team = next(t for t in TEAMS if t.industries is None or industry in t.industries)
    owner = team.rms[turn[team.name] % len(team.rms)]
    turn[team.name] += 1
    return owner, team.name


def _new_uscc(rng: random.Random, region: str, used: set[str]) -> str:
    code: str | None = None
    while code is None or code in used:
        body = "".join(rng.choices("0123456789", k=8))
        code = make_uscc(division=rng.choice(DIVISIONS[region]), org_body=body)
    used.add(code)
    return code


def _is_foreign(domain: str, uscc: str | None) -> bool:
    return uscc is None and domain.rsplit(".", 1)[-1] in PEOPLE_BY_COUNTRY


_COUNTERPARTY_NOTES: dict[str, str] = {
    PartyRole.EPC: "EPC contractor on projects we finance; a counterparty, not a borrower.",
    PartyRole.OM_OPERATOR: "O&M operator on projects we finance.",
    PartyRole.OFFTAKER: "Off-taker under long-term purchase agreements with projects we finance.",
    PartyRole.CO_LENDER: "Lends alongside us in project syndicates.",
    PartyRole.INSURER: "Insurer (construction all risks, political risk) of projects we finance.",
    PartyRole.INDEPENDENT_ENGINEER: "The lenders' independent engineer on projects we finance.",
    PartyRole.SPONSOR: "Provincial state-owned investor: shareholder of platform companies and "
    "local partner in projects.",
}


def _counterparty_spec(
    party: Counterparty, rng: random.Random, turn: dict[str, int], used_uscc: set[str]
) -> AccountSpec:
    owner, team = _owner_of(party.industry, turn)
    tier = Tier.KEY if party.role == PartyRole.SPONSOR else Tier.STANDARD
    uscc = None if party.foreign else _new_uscc(rng, party.region, used_uscc)
    spec = AccountSpec(
        legal_name_zh=party.zh,
        legal_name_en=party.en,
        uscc=uscc,
        account_type=party.account_type,
        industry=party.industry,
        region=party.region,
        status=AccountStatus.ACTIVE,
        tier=tier,
        owner=owner,
        team=team,
        credit_rating=rng.choice(CREDIT_BY_TIER[tier]),
        esg_rating=rng.choice(ESG_BY_INDUSTRY.get(party.industry, DEFAULT_ESG)),
        website=f"https://www.{party.domain}",
        notes=_COUNTERPARTY_NOTES[party.role],
    )
    spec.contacts = build_contacts(rng=rng, foreign=party.foreign, domain=party.domain, count=2)
    return spec


def _spv_spec(
    ctx: _FinanceContext, lead: AccountSpec, project: ProjectSpec, sponsor: AccountSpec
) -> AccountSpec:
    """The project company (SPV) that borrows for the project, named after its main sponsor."""
    brand_zh, brand_en = brand(sponsor.legal_name_zh, sponsor.legal_name_en)
    word_zh, word_en = spv_words(project.kind)
    place_zh, place_en = project.place
    suffix = SPV_SUFFIX.get(project.region, "Co., Ltd.")
    number = 1
    while True:
        phase_zh, phase_en = (
            ("", "") if number == 1 else ("二三四五"[number - 2] + "期", f" {number}")
        )
        en = f"{brand_en} {place_en} {word_en}{phase_en} {suffix}"
        if en not in ctx.by_key:
            break
        number += 1
    zh = f"{brand_zh}{place_zh}{word_zh}{phase_zh}有限公司" if place_zh else ""
    mainland = project.region in CHINA_REGIONS
    before_close = project.stage in _BEFORE_CLOSE
    status = (
        AccountStatus.PROSPECT
        if before_close
        else AccountStatus.DORMANT
        if project.stage == ProjectStage.CLOSED
        else AccountStatus.ACTIVE
    )
    industry = SECTOR_INDUSTRY[project.sector]
    rng = ctx.rng
    spec = AccountSpec(
        legal_name_zh=zh,
        legal_name_en=en,
        uscc=_new_uscc(rng, project.region, ctx.used_uscc) if mainland else None,
        account_type=AccountType.BORROWER,
        industry=industry,
        region=project.region,
        status=status,
        tier=Tier.STANDARD,
        owner=lead.owner,
        team=lead.team,
        credit_rating="" if before_close else rng.choice(CREDIT_BY_TIER[Tier.CORE]),
        esg_rating=rng.choice(ESG_BY_INDUSTRY.get(industry, DEFAULT_ESG)),
        website="",
        notes=f"Project company (SPV) of {project.name}; sponsored by {sponsor.legal_name_en}.",
    )
    domain = sponsor.domain
    spec.contacts = build_contacts(
        rng=rng, foreign=_is_foreign(domain, sponsor.uscc), domain=domain, count=2
    )
    return spec


def _pick(ctx: _FinanceContext, role: str, project: ProjectSpec, taken: set[str]) -> str | None:
    pool_role = PartyRole.CO_LENDER if role == PartyRole.MLA else role  # banks do either
    candidates = [
        party.en
        for party in ctx.pools
        if party.role == pool_role
        and party.en not in taken
        and fits(party, sector=project.sector, region=project.region, kind=project.kind)
    ]
    return ctx.rng.choice(candidates) if candidates else None


def _co_sponsor(ctx: _FinanceContext, project: ProjectSpec, taken: set[str]) -> str:
    """A partner in the project company: an investor of the book in the sector, or the local
    state investor at home."""
    at_home = project.region in CHINA_REGIONS
    candidates = [
        s.key
        for s in ctx.sponsors
        if s.key not in taken
        and project.sector in INDUSTRY_SECTORS[s.industry]
        and (s.uscc is not None or not at_home)  # foreign investors build abroad here
    ]
    local = REGIONAL_INVESTOR.get(project.region)
    if local and local not in taken:
        candidates += [local, local]  # the usual local partner at home
    if not candidates:
        candidates = [s.key for s in ctx.sponsors if s.key not in taken]
    return ctx.rng.choice(candidates)


def _equity(ctx: _FinanceContext, main: str, project: ProjectSpec) -> list[tuple[str, Decimal]]:
    """The sponsors and their shares: a sole owner, a majority owner with a partner, three
    partners with no one in control, or a majority owner beside investors outside the book."""
    rng = ctx.rng
    roll = rng.random()
    taken = {main}
    if roll < 0.35:
        return [(main, _HUNDRED)]
    if roll < 0.70:
        share = Decimal(rng.choice((51, 55, 60, 65, 70, 75, 80)))
        return [(main, share), (_co_sponsor(ctx, project, taken), _HUNDRED - share)]
    if roll < 0.85:
        first = Decimal(rng.choice((40, 45, 50)))
        second = Decimal(rng.choice((25, 30)))
        partner = _co_sponsor(ctx, project, taken)
        taken.add(partner)
        third = _co_sponsor(ctx, project, taken)
        return [(main, first), (partner, second), (third, _HUNDRED - first - second)]
    return [(main, Decimal(rng.choice((51, 60, 70, 80, 90))))]


def _finance_project(ctx: _FinanceContext, lead: AccountSpec, project: ProjectSpec) -> None:
    """The project's parties (five to eight) and our facilities in it."""
    rng = ctx.rng
    lead_role = LEAD_ROLE[lead.account_type]
    parties: list[PartySpec] = []
    if lead_role == PartyRole.BORROWER:
        # A platform or project company borrowing in its own name: its shareholders sponsor.
        borrower = lead.key
        equity = list(OWNERSHIP[lead.key])
    else:
        sponsor = lead.key if lead_role == PartyRole.SPONSOR else None
        main = sponsor or _co_sponsor(ctx, project, {lead.key})
        equity = _equity(ctx, main, project)
        spv = _spv_spec(ctx, lead, project, ctx.by_key[equity[0][0]])
        if equity[0][1] > 50:
            spv.parent, spv.parent_pct = equity[0][0], equity[0][1]
        ctx.book.append(spv)
        ctx.by_key[spv.key] = spv
        borrower = spv.key
    main, main_pct = equity[0]
    held = sum(pct for _k, pct in equity)
    for n, (key, pct) in enumerate(equity):
        note = f"{_HUNDRED - held}% held by other investors" if n == 0 and held < _HUNDRED else ""
        parties.append(PartySpec(key, PartyRole.SPONSOR, pct, note))
    started = project.stage not in _BEFORE_CLOSE
    if main_pct <= 50 and started:
        # No sponsor controls the company: the largest one guarantees completion.
        parties.append(
            PartySpec(main, PartyRole.GUARANTOR, note="Completion guarantee until the COD")
        )
    parties.append(PartySpec(borrower, PartyRole.BORROWER))
    if lead_role not in (PartyRole.SPONSOR, PartyRole.BORROWER):
        parties.append(PartySpec(lead.key, lead_role))
    taken = {p.account for p in parties}

    def add(role: str, note: str = "") -> bool:
        key = _pick(ctx, role, project, taken)
        if key is None:
            return False
        parties.append(PartySpec(key, role, note=note))
        taken.add(key)
        return True

    if lead_role != PartyRole.EPC:
        add(PartyRole.EPC)
    lenders = 0
    if started or project.stage == ProjectStage.CREDIT_APPROVAL:
        lead_arranger = rng.random() < 0.5
        lenders += add(PartyRole.MLA if lead_arranger else PartyRole.CO_LENDER)
    optional = [PartyRole.OFFTAKER, PartyRole.INDEPENDENT_ENGINEER, PartyRole.INSURER]
    if started:
        optional += [PartyRole.OM_OPERATOR, PartyRole.CO_LENDER]
    rng.shuffle(optional)
    target = rng.randint(5, 8)
    for role in optional:
        if len(parties) >= target:
            break
        if add(role) and role == PartyRole.CO_LENDER:
            lenders += 1
    for role in (PartyRole.INDEPENDENT_ENGINEER, PartyRole.INSURER, PartyRole.OFFTAKER):
        if len(parties) >= 5:
            break
        add(role)
    project.parties = parties
    project.facilities = build_facilities(
        rng=rng,
        stage=project.stage,
        currency=project.currency,
        total_cost=project.total_cost,
        commitment=project.commitment,
        outstanding=project.outstanding,
        borrower=borrower,
        sponsor=main,
        syndicated=lenders > 0,
        chinese=project.region in CHINA_REGIONS,
        financial_close=project.financial_close_date,
        planned_cod=project.planned_cod,
        today=ctx.today,
    )


_SLIPPED = (
    "Construction behind schedule: COD slipped by {months} months; the cost overrun is under "
    "the independent engineer's review."
)
_UNDERPERFORMING = (
    "Revenue 18% below the base case for two quarters (tariff dispute with the off-taker); "
    "DSCR at the lock-up level."
)
_WATCH = "Off-taker paying 60+ days late; DSCR fell below the lock-up level."
_SUBSTANDARD = (
    "Principal instalment 95 days past due; DSCR below 1.0x for two quarters; restructuring "
    "talks with the lenders started."
)


def _classify(ctx: _FinanceContext, projects: list[tuple[AccountSpec, ProjectSpec]]) -> None:
    """A few facilities in special mention (关注), one borrower substandard (次级) with its
    history, and one term loan drawn above its commitment (capitalised interest)."""
    rng = ctx.rng
    financed = [(a, p) for a, p in projects if p.facilities]
    operating = [
        p
        for a, p in financed
        if p.stage == ProjectStage.OPERATION and a.tier in (Tier.CORE, Tier.STANDARD)
    ]
    building = [p for _a, p in financed if p.stage == ProjectStage.CONSTRUCTION]
    bad = rng.choice(operating)
    for facility in bad.facilities:
        facility.history = [
            ClassificationStep(LoanClass.SPECIAL_MENTION, 300, _WATCH),
            ClassificationStep(LoanClass.SUBSTANDARD, 45, _SUBSTANDARD),
        ]
    weak = rng.choice([p for p in operating if p is not bad])
    weak.facilities[0].history = [
        ClassificationStep(LoanClass.SPECIAL_MENTION, 120, _UNDERPERFORMING)
    ]
    slipped = [
        p
        for p in building
        if p.forecast_cod and p.planned_cod and (p.forecast_cod - p.planned_cod).days > 180
    ]
    for project in rng.sample(slipped, k=min(3, len(slipped))):
        assert project.forecast_cod and project.planned_cod
        months = (project.forecast_cod - project.planned_cod).days // 30
        project.facilities[0].history = [
            ClassificationStep(
                LoanClass.SPECIAL_MENTION, rng.randint(30, 150), _SLIPPED.format(months=months)
            )
        ]
    # Interest capitalised during construction took one term loan above its commitment.
    drawn_most = max(
        (p for p in building if not p.facilities[0].history),
        key=lambda p: p.facilities[0].drawn / p.facilities[0].commitment,
    )
    term = drawn_most.facilities[0]
    term.drawn = money(term.commitment * Decimal("1.03"))
    term.undrawn = Decimal("0.00")


def _add_project_finance(book: list[AccountSpec], *, rng: random.Random, today: date) -> None:
    """Counterparties, project companies, parties, ownership and facilities for the book."""
    relationship = list(book)
    by_key = {spec.key: spec for spec in book}
    used_uscc = {spec.uscc for spec in book if spec.uscc}
    turn = {team.name: 0 for team in TEAMS}
    for party in COUNTERPARTIES:
        spec = _counterparty_spec(party, rng, turn, used_uscc)
        book.append(spec)
        by_key[spec.key] = spec
    for child, owners in OWNERSHIP.items():
        parent, pct = owners[0]
        if pct > 50:
            by_key[child].parent, by_key[child].parent_pct = parent, pct
    ctx = _FinanceContext(
        rng=rng,
        today=today,
        book=book,
        by_key=by_key,
        used_uscc=used_uscc,
        pools=COUNTERPARTIES + BOOK_COUNTERPARTIES,
        sponsors=tuple(
            s
            for s in relationship
            if s.account_type == AccountType.SPONSOR and "Coal" not in s.legal_name_en
        ),
    )
    projects = [(spec, project) for spec in relationship for project in spec.projects]
    for spec, project in projects:
        _finance_project(ctx, spec, project)
    _classify(ctx, projects)


def demo_connections(book: list[AccountSpec]) -> list[ConnectionSpec]:
    """Connected parties: the fixed links, each completion guarantee (guarantor and borrower)
    and each sole off-taker from the book itself (off-taker and borrower)."""
    links = list(CONNECTIONS)
    book_offtakers = {
        spec.key for spec in book[: len(ACCOUNTS)] if spec.account_type == AccountType.OFFTAKER
    }
    for spec in book:
        for project in spec.projects:
            borrower = next(p.account for p in project.parties if p.role == PartyRole.BORROWER)
            for party in project.parties:
                if party.role == PartyRole.GUARANTOR:
                    links.append(
                        ConnectionSpec(
                            party.account,
                            borrower,
                            "guarantee",
                            f"Completion guarantee for the {project.name}.",
                        )
                    )
                elif party.role == PartyRole.OFFTAKER and party.account in book_offtakers:
                    links.append(
                        ConnectionSpec(
                            party.account,
                            borrower,
                            "economic_dependence",
                            f"Sole off-taker of the {project.name}.",
                        )
                    )
    return links


# ---------------------------------------------------------------- applying the book


@dataclass(slots=True)
class SeedResult:
    users: int = 0
    teams: int = 0
    accounts: int = 0
    contacts: int = 0
    projects: int = 0
    memberships: int = 0
    parties: int = 0
    facilities: int = 0
    groups: GroupSeedResult = field(default_factory=GroupSeedResult)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, role label)

    @property
    def created_anything(self) -> bool:
        return any(
            (
                self.users,
                self.teams,
                self.accounts,
                self.contacts,
                self.projects,
                self.parties,
                self.facilities,
                self.groups.groups,
                self.groups.members,
                self.groups.connections,
            )
        )


def _ensure_users(*, password: str, result: SeedResult) -> dict[str, User]:
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    teams: dict[str, Team] = {}
    for team_spec in TEAMS:
        team, created = Team.objects.get_or_create(name=team_spec.name)
        teams[team_spec.name] = team
        result.teams += created

    # One hash for every demo user: hashing is deliberately slow, and this is a demo password.
    password_hash = ""
    users: dict[str, User] = {}
    for user_spec in USERS:
        user = User.objects.filter(username=user_spec.username).first()
        if user is None:
            user = User(
                username=user_spec.username,
                first_name=user_spec.first_name,
                last_name=user_spec.last_name,
                email=f"{user_spec.username}@kam.example",
                team=teams[user_spec.team] if user_spec.team else None,
                is_staff=user_spec.is_staff,
                is_superuser=user_spec.is_superuser,
            )
            # The password is set only when the user is made: a changed password survives re-runs.
            password_hash = password_hash or make_password(password)
            user.password = password_hash
            user.save()
            result.users += 1
        if user_spec.role:
            user.groups.add(groups[user_spec.role])  # a no-op when already there
        users[user_spec.username] = user
        result.logins.append(
            (user_spec.username, str(Role(user_spec.role).label) if user_spec.role else "—")
        )

    for team_spec in TEAMS:
        team = teams[team_spec.name]
        if team.lead_id is None:
            team.lead = users[team_spec.lead]
            team.save(update_fields=["lead"])
    return users


DEMO_PURPOSE = "Managing the bank's relationship with the client as its business contact"


def pipl_record(*, n: int, account: Account, seniority: str, today: date) -> dict[str, object]:
    """The PIPL record of the book's ``n``-th contact, so that the book shows every state:
    contract basis with the notice given or (every seventh) missing; consent, given and for
    some withdrawn (within the 30 days before the retention job anonymises them); legal duty;
    information the person made public; and for accounts outside the mainland the separate
    consent to the transfer, withdrawn for a few."""
    notice = None if n % 7 == 3 else today - timedelta(days=30 + n % 300)
    record: dict[str, object] = {
        "legal_basis": LegalBasis.CONTRACT,
        "purpose": DEMO_PURPOSE,
        "source": DataSource.CLIENT,
        "notice_given_on": notice,
    }
    if n % 6 == 1:
        given = today - timedelta(days=60 + n % 200)
        record.update(
            legal_basis=LegalBasis.CONSENT,
            source=DataSource.PERSON,
            consent_given_on=given,
            notice_given_on=given,
            purpose="Invitations to the bank's project-finance events and briefings",
        )
        if n % 24 == 1:
            record["consent_withdrawn_on"] = today - timedelta(days=20 if n % 48 == 1 else 10)
    elif n % 6 == 4:
        record.update(
            legal_basis=LegalBasis.LEGAL_DUTY,
            purpose="Client due diligence: the client's authorised signatory (AML law)",
        )
    elif seniority == Seniority.BOARD and n % 2 == 0:
        record.update(legal_basis=LegalBasis.PUBLICLY_DISCLOSED, source=DataSource.PUBLIC)
    if account.region not in MAINLAND_REGIONS:
        consented = today - timedelta(days=90 + n % 200)
        record.update(
            cross_border_transfer=True,
            cross_border_recipient=f"{account.legal_name_en} ({account.get_region_display()})",
            cross_border_consent_on=consented,
        )
        if n % 11 == 5:
            record["cross_border_withdrawn_on"] = today - timedelta(days=5)
    return record


@transaction.atomic
def seed_demo(*, password: str, today: date | None = None) -> SeedResult:
    """Load the demo book; rows that already exist are left untouched."""
    result = SeedResult()
    users = _ensure_users(password=password, result=result)
    teams = {team.name: team for team in Team.objects.filter(name__in=[t.name for t in TEAMS])}
    today = today or timezone.localdate()
    book = build_demo_book(today=today)

    by_uscc = {a.uscc: a for a in Account.objects.filter(uscc__in=[s.uscc for s in book if s.uscc])}
    by_name = {
        a.legal_name_en: a
        for a in Account.objects.filter(
            uscc__isnull=True, legal_name_en__in=[s.legal_name_en for s in book if not s.uscc]
        )
    }
    accounts: list[tuple[AccountSpec, Account]] = []
    for spec in book:
        account = by_uscc.get(spec.uscc) if spec.uscc else by_name.get(spec.legal_name_en)
        if account is None:
            owner = users[spec.owner]
            account = Account(
                legal_name_zh=spec.legal_name_zh,
                legal_name_en=spec.legal_name_en,
                uscc=spec.uscc,
                account_type=spec.account_type,
                industry=spec.industry,
                region=spec.region,
                status=spec.status,
                tier=spec.tier,
                owner=owner,
                team=teams[spec.team],
                credit_rating=spec.credit_rating,
                esg_rating=spec.esg_rating,
                website=spec.website,
                notes=spec.notes,
            )
            account.full_clean(validate_constraints=False)  # the database checks them
            account.save()
            result.accounts += 1
        accounts.append((spec, account))

    account_ids = [account.pk for _spec, account in accounts]
    contact_keys = set(
        Contact.objects.filter(account_id__in=account_ids).values_list("account_id", "name")
    )
    project_keys = set(
        Project.objects.filter(account_id__in=account_ids).values_list("account_id", "name")
    )
    member_keys = set(
        AccountMembership.objects.filter(account_id__in=account_ids).values_list(
            "account_id", "user_id"
        )
    )
    n = 0  # the contact's place in the book: its PIPL state
    for spec, account in accounts:
        for c in spec.contacts:
            n += 1
            if (account.pk, c.name) in contact_keys:
                continue
            contact = Contact(
                account=account,
                name=c.name,
                title=c.title,
                seniority=c.seniority,
                influence=c.influence,
                attitude=c.attitude,
                channel_preferences=c.channel_preferences,
                phone=c.phone,
                email=c.email,
                is_primary=c.is_primary,
                **pipl_record(n=n, account=account, seniority=c.seniority, today=today),
            )
            contact.full_clean(validate_constraints=False)
            contact.save()
            result.contacts += 1
        for p in spec.projects:
            if (account.pk, p.name) in project_keys:
                continue
            project = Project(
                account=account,
                name=p.name,
                sector=p.sector,
                region=p.region,
                currency=p.currency,
                total_cost=p.total_cost,
                stage=p.stage,
                financial_close_date=p.financial_close_date,
                planned_cod=p.planned_cod,
                forecast_cod=p.forecast_cod,
                equator_category=p.equator_category,
                green_category=p.green_category,
            )
            project.full_clean(validate_constraints=False)
            project.save()
            result.projects += 1
        for username, role in spec.members:
            user = users[username]
            if (account.pk, user.pk) in member_keys:
                continue
            AccountMembership(account=account, user=user, role=role).save()
            result.memberships += 1
    by_key = {spec.key: account for spec, account in accounts}
    _seed_project_finance(book=book, accounts=by_key, today=today, result=result)
    result.groups = seed_groups(
        groups=build_groups({s.key: (s.parent, s.parent_pct) for s in book if s.parent}),
        connections=demo_connections(book),
        accounts=by_key,
        today=today,
    )
    return result


def _seed_project_finance(
    *, book: list[AccountSpec], accounts: dict[str, Account], today: date, result: SeedResult
) -> None:
    """Parties and facilities of the book's projects. Parties are keyed by (project, account,
    role); a project that has any facility already (one migrated from the project's old
    amounts, say) gets none from the book, so that nothing is counted twice."""
    leads = [accounts[spec.key] for spec in book if spec.projects]
    projects = {(p.account_id, p.name): p for p in Project.objects.filter(account__in=leads)}
    project_ids = [p.pk for p in projects.values()]
    party_keys = set(
        ProjectParty.objects.filter(project_id__in=project_ids).values_list(
            "project_id", "account_id", "role"
        )
    )
    financed = set(
        Facility.objects.filter(project_id__in=project_ids).values_list("project_id", flat=True)
    )
    risk_officer = User.objects.filter(username="risk.liu").first()
    now = timezone.now()
    for spec in book:
        for p in spec.projects:
            project = projects[(accounts[spec.key].pk, p.name)]
            for party in p.parties:
                account = accounts[party.account]
                if (project.pk, account.pk, party.role) in party_keys:
                    continue
                row = ProjectParty(
                    project=project,
                    account=account,
                    role=party.role,
                    equity_pct=party.equity_pct,
                    note=party.note,
                )
                row.full_clean(validate_constraints=False)
                row.save()
                result.parties += 1
            if project.pk in financed:
                continue
            for f in p.facilities:
                _seed_facility(
                    project=project,
                    spec=f,
                    borrower=accounts[f.borrower],
                    by=risk_officer,
                    now=now,
                    today=today,
                )
                result.facilities += 1


def _seed_facility(
    *,
    project: Project,
    spec: FacilitySpec,
    borrower: Account,
    by: User | None,
    now: datetime,
    today: date,
) -> Facility:
    """One facility with its classification history: recorded as normal when it was signed,
    then each change on its day (the history rows are dated after they are written)."""
    facility = Facility(
        project=project,
        borrower=borrower,
        name=spec.name,
        kind=spec.kind,
        currency=spec.currency,
        commitment=spec.commitment,
        drawn=spec.drawn,
        undrawn=spec.undrawn,
        facility_size=spec.facility_size,
        maturity_date=spec.maturity_date,
        margin_pct=spec.margin_pct,
        classification=spec.classification,
    )
    signed = project.financial_close_date or today
    steps: list[tuple[int | None, int, str, User | None, date]] = [
        (None, LoanClass.NORMAL, "Classified when the facility was recorded.", None, signed)
    ]
    previous: int = LoanClass.NORMAL
    for step in spec.history:
        day = today - timedelta(days=step.days_ago)
        steps.append((previous, step.classification, step.reason, by, day))
        previous = step.classification
    last_day = steps[-1][4]
    facility.classified_at = _at_noon(min(last_day, today), now)
    facility.classified_by = by if spec.history else None
    facility.full_clean(validate_constraints=False)
    facility.save()
    for before, after, reason, who, day in steps:
        change = FacilityClassificationChange.objects.create(
            facility=facility, previous=before, classification=after, reason=reason, changed_by=who
        )
        FacilityClassificationChange.objects.filter(pk=change.pk).update(
            changed_at=_at_noon(min(day, today), now)
        )
    return facility


def _at_noon(day: date, now: datetime) -> datetime:
    """Noon on ``day`` in the current time zone; never later than now."""
    moment = timezone.make_aware(datetime.combine(day, time(12)))
    return min(moment, now)
