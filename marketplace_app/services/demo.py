"""The demo town: categories, staff, shops, residents, listings with drawn photos.

:func:`seed_demo` fills an empty database with a small town that looks lived
in: four approved shops with their products, twelve residents selling
second-hand things, a few completed orders with their timelines, and reviews.
Every listing photo is drawn here with Pillow (no files shipped, no network)
and stored through :mod:`marketplace_app.services.media` like an upload.

Text content is fixed; positions, colours and timestamps come from
``random.Random(seed)`` relative to the time of seeding. Keys, order numbers
and idempotency keys come from :mod:`secrets`, as in real use.
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from sqlalchemy import delete, func
from sqlmodel import Session, select

from marketplace_app.models import (
    BlockedTerm,
    Category,
    Conversation,
    Listing,
    ListingImage,
    ListingVariant,
    Message,
    Offer,
    OfferTransition,
    Order,
    Shop,
    ShopMember,
    User,
)
from marketplace_app.models.notifications import InboxItem, OutboxEmail
from marketplace_app.models.types import utcnow
from marketplace_app.services import (
    addresses,
    carts,
    checkout,
    fulfilment,
    geo,
    media,
    orders,
    products,
    reviews,
    search,
)
from marketplace_app.services.passwords import hash_password
from marketplace_app.services.payments import checkout as payment_checkout
from marketplace_app.services.payments import webhooks
from marketplace_app.settings import settings

DEFAULT_SEED = 20250601
# The phone and city on demo buyers' delivery addresses.
DEMO_PHONE = "+86 138 0000 0000"
TOWN_CITY = "Riverside"

# slug -> lucide icon name; positions follow this order.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("produce", "apple"),
    ("bakery", "croissant"),
    ("crafts", "scissors"),
    ("electronics", "smartphone"),
    ("furniture", "armchair"),
    ("clothing", "shirt"),
    ("books", "book-open"),
    ("kids", "baby"),
    ("sports", "bike"),
    ("home", "house"),
    ("garden", "flower-2"),
    ("services", "wrench"),
)

ADMIN_EMAIL = "admin@demo.town"
ADMIN_PASSWORD = "demo-admin-pass"
MODERATOR_EMAIL = "moderator@demo.town"
MODERATOR_PASSWORD = "demo-mod-pass"
# Blocklist terms of the demo town: a listing containing one waits for review.
DEMO_BLOCKED_TERMS = ("replica", "高仿")
RESIDENT_PASSWORD = "demo-pass-123"


# The legal path of each delivery method, from creation to completion.
class DemoConflict(Exception):
    """The database already holds demo accounts or shops; nothing was written."""


@dataclass(frozen=True)
class DemoAccount:
    """One demo login, printed by ``cli seed-demo``."""

    email: str
    password: str
    role: str
    name: str


@dataclass
class DemoSummary:
    """What :func:`seed_demo` created."""

    accounts: list[DemoAccount] = field(default_factory=list)
    categories: int = 0
    users: int = 0
    shops: int = 0
    listings: int = 0
    images: int = 0
    orders: int = 0
    reviews: int = 0


# ---------------------------------------------------------------------------
# The town's content
# ---------------------------------------------------------------------------


class _Product(NamedTuple):
    category: str
    motif: str
    title: str
    description: str
    price: int
    stock: int
    sale: int | None = None
    local_fee: int | None = None
    courier_fee: int | None = None


class _Item(NamedTuple):
    category: str
    motif: str
    title: str
    description: str
    price: int
    condition: str
    negotiable: bool = False
    courier_fee: int | None = None
    local_fee: int | None = None


class _ShopSpec(NamedTuple):
    slug: str
    name: str
    latin: str
    owner: str
    owner_email: str
    owner_locale: str
    district: str
    address: str
    pickup_point: str
    phone: str
    description: str
    hours: dict[str, list[list[str]]]
    colour: tuple[int, int, int]
    logo_motif: str
    products: tuple[_Product, ...]


class _Resident(NamedTuple):
    name: str
    email: str
    locale: str
    district: str
    bio: str
    items: tuple[_Item, ...]


class _OrderSpec(NamedTuple):
    buyer: str
    lines: tuple[tuple[str, int], ...]
    delivery: str
    days_ago: float
    buyer_review: tuple[int, str]
    seller_review: tuple[int, str] | None
    address: str = ""


def _week(weekdays: list[list[str]], sat: list[list[str]], sun: list[list[str]]) -> dict:
    days = ("mon", "tue", "wed", "thu", "fri")
    return {**{d: [list(r) for r in weekdays] for d in days}, "sat": sat, "sun": sun}


_BAKERY_HOURS = {
    **_week([["07:00", "18:30"]], [["07:00", "16:00"]], [["08:00", "12:00"]]),
    "mon": [],
}
_FARM_HOURS = {
    "mon": [],
    "tue": [],
    "wed": [["14:00", "18:00"]],
    "thu": [],
    "fri": [["14:00", "18:00"]],
    "sat": [["08:00", "13:00"]],
    "sun": [["09:00", "12:00"]],
}
_REPAIR_HOURS = _week([["10:00", "12:30"], ["13:30", "19:00"]], [["10:00", "16:00"]], [])
_STUDIO_HOURS = {
    **_week([["11:00", "19:00"]], [["10:00", "18:00"]], [["12:00", "17:00"]]),
    "tue": [],
}

SHOPS: tuple[_ShopSpec, ...] = (
    _ShopSpec(
        slug="maixiang-bakery",
        name="麦香面包坊",
        latin="Maixiang Bakery",
        owner="林晓峰",
        owner_email="bakery@demo.town",
        owner_locale="zh-CN",
        district="Old Town",
        address="钟楼街 12 号（Old Town）",
        pickup_point="钟楼街 12 号店内收银台，报订单号取货",
        phone="0571-8650-1234",
        description=(
            "老城区的街角面包房，每天清晨五点开炉。坚持用石磨面粉、天然酵种和长时间低温发酵，"
            "招牌是全麦酸种面包和黄油可颂。周末限量供应肉桂卷，卖完即止。"
            "下单后可在营业时间内到店自取，3 公里内可以同城配送。"
        ),
        hours=_BAKERY_HOURS,
        colour=(196, 132, 70),
        logo_motif="loaf",
        products=(
            _Product(
                "bakery",
                "loaf",
                "全麦酸种面包（800 g）",
                "天然酵种发酵 18 小时，外皮脆、内里湿润有韧性，带一点淡淡的酸味。"
                "配料只有面粉、水、盐和酵种。切片后冷冻可保存两周，吃之前烤一下就好。",
                2800,
                20,
                local_fee=500,
            ),
            _Product(
                "bakery",
                "croissant",
                "黄油可颂（4 个装）",
                "法国发酵黄油，27 层起酥，每天早上七点前出炉。"
                "当天吃最香，隔天用烤箱 180 度回烤 3 分钟也很酥。",
                2400,
                30,
                sale=1990,
                local_fee=500,
            ),
            _Product(
                "bakery",
                "bun",
                "肉桂卷（周末限定）",
                "锡兰肉桂加红糖，顶上淋一层奶油奶酪糖霜，不会太甜。"
                "只在周六周日做，建议提前下单，到店报订单号取货。",
                1200,
                24,
            ),
            _Product(
                "bakery",
                "baguette",
                "法式长棍",
                "传统法棍，只用面粉、水、盐和酵母。外壳金黄酥脆，适合配汤或者做三明治。",
                900,
                40,
            ),
            _Product(
                "bakery",
                "loaf",
                "蜂蜜核桃面包",
                "加入本地溪谷农场的百花蜂蜜和烤香的核桃仁，口感松软，早餐配牛奶正好。",
                3200,
                12,
                local_fee=500,
            ),
            _Product(
                "bakery",
                "cake",
                "6 寸草莓奶油蛋糕",
                "动物奶油加当季草莓，戚风蛋糕胚，每天只做五个。"
                "需要提前一天预订，可以免费写一句生日祝福（请在留言里告诉我们）。",
                16800,
                5,
                local_fee=800,
            ),
            _Product(
                "bakery",
                "cookie",
                "Dark chocolate cookies (6 pcs)",
                "Thick, chewy cookies with 70% dark chocolate chunks and a pinch of sea salt. "
                "Baked every afternoon; they keep for three days in a tin.",
                1800,
                30,
            ),
        ),
    ),
    _ShopSpec(
        slug="millbrook-farm",
        name="溪谷有机农场",
        latin="Millbrook Farm",
        owner="黄秀英",
        owner_email="farm@demo.town",
        owner_locale="zh-CN",
        district="Millbrook",
        address="溪谷路 88 号农场大门（Millbrook）",
        pickup_point="农场大门旁的小木屋，周三周五下午和周末上午有人",
        phone="0571-8650-5678",
        description=(
            "镇子西北边的家庭农场，种了二十多种时令蔬果，还养了一群散养鸡和几箱蜜蜂。"
            "不用化学农药，采摘当天上架。周六上午农场开放，欢迎带孩子来看小鸡。"
        ),
        hours=_FARM_HOURS,
        colour=(96, 160, 80),
        logo_motif="greens",
        products=(
            _Product(
                "produce",
                "eggs",
                "散养土鸡蛋（30 枚）",
                "鸡在果园里散养，吃虫子和玉米，蛋黄颜色深、味道香。"
                "每天早上捡蛋，三天内的新鲜蛋。自带蛋托可以便宜 2 元（请留言）。",
                4500,
                25,
                local_fee=600,
            ),
            _Product(
                "produce",
                "tomato",
                "有机番茄（1 kg）",
                "露天种植的老品种番茄，沙瓤多汁，生吃、炒蛋都好吃。按斤称，可能有一两个长得不太规整。",
                1200,
                40,
                sale=990,
                local_fee=600,
            ),
            _Product(
                "produce",
                "strawberry",
                "当季草莓（500 g）",
                "早上摘的草莓，个头不大但是很甜，没有催熟。当天吃完最好，放冰箱最多两天。",
                2500,
                18,
            ),
            _Product(
                "produce",
                "jar",
                "百花蜂蜜（500 g）",
                "农场自己的蜂箱，春夏两季的百花蜜，没有兑水加糖。天冷会结晶，是正常现象。",
                5800,
                16,
                local_fee=600,
                courier_fee=1200,
            ),
            _Product(
                "produce",
                "greens",
                "羽衣甘蓝（一把）",
                "嫩叶适合做沙拉或者打果蔬汁，老一点的叶子炒蒜蓉很香。大约 300 克一把。",
                800,
                30,
                local_fee=600,
            ),
            _Product(
                "produce",
                "apple",
                "Crisp farm apples (2.5 kg box)",
                "A mixed box of our own apples, picked this week: sweet, crisp and a little "
                "tart. Not waxed, so they look like real apples. Great for baking too.",
                3900,
                20,
                courier_fee=1500,
            ),
            _Product(
                "garden",
                "seedlings",
                "番茄苗（3 盆）",
                "自己育的番茄苗，三个品种各一盆：樱桃番茄、牛心番茄和黄番茄。"
                "阳台向南就能种，附赠一张种植小卡片。",
                1500,
                12,
            ),
        ),
    ),
    _ShopSpec(
        slug="eastfield-fix-it",
        name="Eastfield 快修铺",
        latin="Eastfield Fix-It",
        owner="Jonas Weber",
        owner_email="repair@demo.town",
        owner_locale="en",
        district="Eastfield",
        address="东田路 5 号底商（Eastfield）",
        pickup_point="东田路 5 号店内，维修完成后短信通知取件",
        phone="0571-8650-2468",
        description=(
            "手机、电脑、小家电和自行车维修。大部分手机换屏和电池当天可取，"
            "电脑清灰保养一小时。修不好不收费，所有维修提供 90 天保修。"
            "We speak English and Chinese."
        ),
        hours=_REPAIR_HOURS,
        colour=(70, 110, 170),
        logo_motif="wrench",
        products=(
            _Product(
                "services",
                "phone",
                "手机换屏（含配件）",
                "支持常见的 iPhone、华为、小米和三星机型，原厂品质屏幕，约 1 小时完成。"
                "价格为起步价，具体机型请先发消息询价。数据不会丢失，保修 90 天。",
                29900,
                10,
            ),
            _Product(
                "services",
                "laptop",
                "笔记本电脑清灰保养",
                "拆机清理风扇和散热片灰尘，更换硅脂，检查电池健康度。"
                "电脑发烫、风扇很吵的话建议做一次，一般一小时内完成。",
                8000,
                8,
            ),
            _Product(
                "electronics",
                "charger",
                "20W USB-C 快充充电器",
                "支持 PD 快充，适用于 iPhone 和大多数安卓手机。3C 认证，保修一年。",
                5900,
                25,
                courier_fee=800,
            ),
            _Product(
                "electronics",
                "cable",
                "编织数据线 USB-C 1.5 m",
                "尼龙编织线身，弯折一万次测试，支持 60W 快充和数据传输。颜色随机发货。",
                2900,
                40,
                sale=1990,
                courier_fee=800,
            ),
            _Product(
                "electronics",
                "speaker",
                "翻新蓝牙音箱",
                "店里翻新的二手蓝牙音箱，更换了新电池，续航 10 小时以上。"
                "外观有轻微使用痕迹，功能全部测试正常，保修 90 天。",
                15900,
                6,
                local_fee=500,
            ),
            _Product(
                "services",
                "bike",
                "Bicycle tune-up and brake check",
                "We adjust gears and brakes, true the wheels, oil the chain and check the "
                "tyres. Most bikes are ready the same day; parts are charged extra.",
                6000,
                10,
            ),
        ),
    ),
    _ShopSpec(
        slug="linen-and-clay",
        name="布与陶手作",
        latin="Linen & Clay",
        owner="许可",
        owner_email="studio@demo.town",
        owner_locale="zh-CN",
        district="University Quarter",
        address="学府路 21 号二楼（University Quarter）",
        pickup_point="学府路 21 号二楼工作室，按门铃即可",
        phone="0571-8650-1357",
        description=(
            "大学城里的小工作室，做陶瓷、编织和布艺。每件东西都是手工做的，"
            "颜色和形状会有一点点不同，这正是手作的乐趣。每月最后一个周六开陶艺体验课。"
        ),
        hours=_STUDIO_HOURS,
        colour=(176, 110, 130),
        logo_motif="vase",
        products=(
            _Product(
                "crafts",
                "mug",
                "手拉坯陶瓷马克杯",
                "手工拉坯、釉下彩，容量约 350 ml。可以进微波炉和洗碗机。"
                "每只颜色略有不同，随机发货。",
                8800,
                14,
                courier_fee=1500,
            ),
            _Product(
                "clothing",
                "scarf",
                "手织羊毛围巾",
                "百分之百美丽诺羊毛，不扎脖子。长 180 cm、宽 30 cm，两端有流苏。"
                "建议手洗，平铺晾干。",
                19800,
                6,
                sale=15800,
                courier_fee=1000,
            ),
            _Product(
                "home",
                "basket",
                "藤编收纳篮",
                "本地手艺人用藤条编的，结实耐用，放水果、毛线或者杂物都合适。直径约 35 cm。",
                12800,
                8,
                local_fee=600,
            ),
            _Product(
                "home",
                "pillow",
                "亚麻抱枕套 45×45",
                "水洗亚麻，越洗越软。隐形拉链，不含枕芯。有燕麦色、雾蓝和陶土红三种颜色。",
                6800,
                20,
                courier_fee=1000,
            ),
            _Product(
                "crafts",
                "candle",
                "大豆香薰蜡烛",
                "天然大豆蜡和木芯，味道是雪松和橙花，燃烧时间约 40 小时。玻璃杯用完可以当笔筒。",
                5800,
                25,
            ),
            _Product(
                "crafts",
                "cards",
                "手绘明信片（5 张）",
                "工作室画的小镇风景：钟楼、河边、农场、大学城和火车站，每套五张，附牛皮纸信封。",
                2500,
                40,
                courier_fee=600,
            ),
            _Product(
                "crafts",
                "vase",
                "Hand-thrown stoneware vase",
                "A small stoneware vase with a speckled glaze, about 20 cm tall. Watertight "
                "and food safe. Each one is unique; the flowers are not included.",
                15800,
                3,
                courier_fee=1500,
            ),
        ),
    ),
)

RESIDENTS: tuple[_Resident, ...] = (
    _Resident(
        "李梅",
        "mei@demo.town",
        "zh-CN",
        "Riverside",
        "住在河边，两个孩子的妈妈，家里东西太多了，慢慢清一清。",
        (
            _Item(
                "furniture",
                "armchair",
                "宜家 POÄNG 扶手椅",
                "搬家出，用了三年，坐垫套刚洗过，家里没有猫狗。扶手有一点轻微划痕（见第二张图）。"
                "需要自提，小车后座放倒能装下。",
                15000,
                "good",
                negotiable=True,
            ),
            _Item(
                "kids",
                "bike",
                "儿童自行车 16 寸",
                "孩子长高了骑不了，带辅助轮，刹车灵敏，轮胎气是足的。"
                "适合 4 到 7 岁，身高 105-125 cm。",
                20000,
                "like_new",
                local_fee=1000,
            ),
            _Item(
                "home",
                "box",
                "免费送：搬家纸箱 12 个",
                "搬完家剩下的纸箱，大中小都有，已经压平捆好。周末下午来拿，先到先得，拿走就行。",
                0,
                "good",
            ),
        ),
    ),
    _Resident(
        "王磊",
        "lei@demo.town",
        "zh-CN",
        "Northgate",
        "程序员，喜欢骑车和折腾电子产品。",
        (
            _Item(
                "electronics",
                "phone",
                "iPhone 12 64GB 蓝色",
                "电池健康 84%，屏幕一直贴膜没有划痕，边框有两处小磕碰。"
                "原装盒子和数据线都在，没有拆修过，可以当面验机。",
                180000,
                "good",
                negotiable=True,
            ),
            _Item(
                "sports",
                "helmet",
                "公路车头盔 M 码",
                "买大了一号，只戴过两次。头围 54-58 cm，带后灯。没有摔过，放心用。",
                12000,
                "like_new",
            ),
            _Item(
                "sports",
                "dumbbell",
                "可调哑铃一对 2×10 kg",
                "家里练了半年，后来办了健身卡就闲置了。杠片有点掉漆，不影响使用。比较重，需要自提。",
                15000,
                "good",
            ),
        ),
    ),
    _Resident(
        "陈静",
        "jing@demo.town",
        "zh-CN",
        "Westend",
        "喜欢逛集市和养多肉。",
        (
            _Item(
                "clothing",
                "dress",
                "碎花连衣裙 M 码",
                "只穿过一次拍照，面料是棉麻的，夏天很凉快。身高 165 穿到膝盖下面一点。",
                6000,
                "like_new",
            ),
            _Item(
                "clothing",
                "coat",
                "驼色羊毛大衣 S 码",
                "前年冬天买的，羊毛含量 70%，穿过一季，干洗过。袖口有一点点起球，已经修剪。",
                25000,
                "good",
                negotiable=True,
            ),
            _Item(
                "books",
                "books",
                "儿童绘本 10 本打包",
                "侄子看完的绘本，有《猜猜我有多爱你》《好饿的毛毛虫》等，页面干净，没有撕页。",
                5000,
                "good",
                courier_fee=800,
            ),
            _Item(
                "garden",
                "plant",
                "多肉植物连盆",
                "自己砍头繁殖的多肉，连陶土盆一起出，已经服盆了，放在阳光好的窗台就行。",
                1500,
                "good",
            ),
        ),
    ),
    _Resident(
        "张伟",
        "wei@demo.town",
        "zh-CN",
        "Station Quarter",
        "在火车站附近上班，周末在家。",
        (
            _Item(
                "electronics",
                "monitor",
                "27 寸 2K 显示器",
                "IPS 屏，75Hz，没有坏点和漏光。换了带鱼屏所以出掉，带原装 HDMI 线和底座。",
                60000,
                "good",
            ),
            _Item(
                "electronics",
                "keyboard",
                "机械键盘 茶轴 87 键",
                "用了不到半年，键帽是原装 PBT 的。所有按键都正常，附送拔键器。",
                18000,
                "like_new",
            ),
            _Item(
                "furniture",
                "shelf",
                "白色书架 五层",
                "有使用痕迹，侧板底部有一点磨损。已经拆开，螺丝和说明书都在。高 200 cm，宽 80 cm。",
                8000,
                "fair",
                local_fee=800,
            ),
        ),
    ),
    _Resident(
        "刘洋",
        "yang@demo.town",
        "zh-CN",
        "University Quarter",
        "研究生，快毕业了，清理宿舍。",
        (
            _Item(
                "books",
                "books",
                "考研英语资料全套",
                "真题、词汇书和作文模板都在，笔记不多，用铅笔写的可以擦掉。祝学弟学妹上岸！",
                3000,
                "good",
                courier_fee=800,
            ),
            _Item(
                "home",
                "lamp",
                "LED 护眼台灯",
                "三档色温可调，USB 供电。宿舍用了一年，灯光没有频闪。毕业带不走，便宜出。",
                2500,
                "like_new",
                local_fee=500,
            ),
            _Item(
                "home",
                "teapot",
                "电热水壶 1.5 L",
                "不锈钢内胆，烧水很快，自动断电功能正常。壶底有一点水垢，已经用柠檬酸清过。",
                3000,
                "fair",
                local_fee=500,
            ),
        ),
    ),
    _Resident(
        "赵敏",
        "min@demo.town",
        "zh-CN",
        "Oakridge",
        "新手妈妈，宝宝的东西长得比用得快。",
        (
            _Item(
                "kids",
                "stroller",
                "可折叠婴儿推车",
                "可坐可躺，一键收车，能带上飞机。用了一年多，布料拆洗过，轮子顺滑。",
                35000,
                "good",
                negotiable=True,
            ),
            _Item(
                "kids",
                "blocks",
                "木制积木 100 块",
                "榉木积木，水性漆，边角打磨得很圆。少了两三块，不影响玩。装在原来的布袋里。",
                4000,
                "like_new",
            ),
            _Item(
                "clothing",
                "shirt",
                "孕期衣服 5 件打包",
                "孕期穿的 T 恤和打底衫，都是 L 码，洗干净了。象征性收一点，送给有需要的准妈妈。",
                3000,
                "fair",
            ),
        ),
    ),
    _Resident(
        "孙丽",
        "li@demo.town",
        "zh-CN",
        "Harborside",
        "退休教师，爱织毛线、喝茶、做瑜伽。",
        (
            _Item(
                "crafts",
                "hat",
                "手织毛线帽",
                "自己织的，多织了两顶，纯羊毛，一顶灰色一顶燕麦色，成人均码。",
                3000,
                "new",
                courier_fee=600,
            ),
            _Item(
                "sports",
                "mat",
                "瑜伽垫加瑜伽砖",
                "TPE 瑜伽垫 6 mm 厚，送一块瑜伽砖。垫子表面有一点压痕，防滑还是很好。",
                5000,
                "good",
            ),
            _Item(
                "home",
                "teapot",
                "陶瓷茶具一套",
                "一壶四杯，朋友送的，只用过几次。青瓷釉色很好看，没有磕碰。",
                12000,
                "like_new",
                negotiable=True,
            ),
        ),
    ),
    _Resident(
        "周杰",
        "jie@demo.town",
        "zh-CN",
        "Southpark",
        "户外爱好者，周末常去爬山露营。",
        (
            _Item(
                "sports",
                "bike",
                "山地车 27.5 寸",
                "铝合金车架，27 速，油压碟刹。"
                "骑了两年，去年换过链条和刹车片。M 码，适合身高 170-180。",
                80000,
                "good",
                negotiable=True,
            ),
            _Item(
                "sports",
                "tent",
                "双人帐篷",
                "双层防雨，用过四五次，没有破洞，收纳袋和地钉都齐全。重 2.3 kg，适合徒步。",
                15000,
                "good",
            ),
            _Item(
                "electronics",
                "speaker",
                "防水蓝牙音箱",
                "露营时用的，IPX7 防水，续航大概 12 小时。外壳有点划痕，声音没问题。",
                9000,
                "good",
            ),
        ),
    ),
    _Resident(
        "吴芳",
        "fang@demo.town",
        "zh-CN",
        "Hillcrest",
        "住在山坡上的小院子，喜欢种花种菜。",
        (
            _Item(
                "furniture",
                "table",
                "实木餐桌加四把椅子",
                "橡木餐桌 140×80 cm，配四把椅子。桌面有几道使用痕迹，整体很结实。"
                "因为换了小户型才出，需要自己搬运，可以帮忙拆桌腿。",
                120000,
                "good",
                negotiable=True,
                local_fee=3000,
            ),
            _Item(
                "garden",
                "plant",
                "陶土花盆 5 个",
                "大小不一的陶土盆，最大的口径 25 cm。有的有青苔，洗洗就好，种花种菜都行。",
                2000,
                "good",
                local_fee=600,
            ),
            _Item(
                "home",
                "pan",
                "铸铁煎锅 24 cm",
                "已经开好锅，养得很好，不粘。煎牛排、烙饼都好用。换了电磁炉锅具所以出。",
                15000,
                "like_new",
                local_fee=500,
            ),
        ),
    ),
    _Resident(
        "Emma Fischer",
        "emma@demo.town",
        "en",
        "Old Town",
        "Photographer and book hoarder, living above the bakery.",
        (
            _Item(
                "electronics",
                "camera",
                "Vintage film camera (Olympus OM-10)",
                "Fully working, with a 50 mm f/1.8 lens. Light seals replaced last year and a "
                "test roll came out sharp. Small scuffs on the top plate. Happy to show it.",
                22000,
                "good",
                negotiable=True,
            ),
            _Item(
                "books",
                "books",
                "Free: children's picture books",
                "A box of about 15 picture books in English and German. Some covers are worn "
                "but all pages are there. Free to a good home; pick up any evening.",
                0,
                "fair",
            ),
            _Item(
                "home",
                "pillow",
                "Wool throw blanket and cushion",
                "A soft grey wool throw (130 x 170 cm) and a matching cushion. Dry-cleaned, "
                "no pets, no smoke.",
                4500,
                "like_new",
                local_fee=600,
            ),
        ),
    ),
    _Resident(
        "Tom Becker",
        "tom@demo.town",
        "en",
        "Eastfield",
        "Tennis on Sundays, repairs things on Saturdays.",
        (
            _Item(
                "electronics",
                "headphones",
                "Noise-cancelling headphones",
                "Over-ear, Bluetooth, about 30 hours of battery. Bought last year, used on a "
                "few flights. Comes with the case and the cable.",
                45000,
                "like_new",
                negotiable=True,
            ),
            _Item(
                "sports",
                "racket",
                "Tennis racket with cover",
                "Graphite frame, grip size 3, strung at 24 kg last month. A few marks on the "
                "frame from play; includes a cover and three balls.",
                6000,
                "good",
            ),
            _Item(
                "clothing",
                "boot",
                "Leather boots, size 43",
                "Brown leather lace-up boots, resoled once, plenty of life left. Waxed and "
                "cleaned. They are a bit too narrow for me.",
                9000,
                "good",
            ),
        ),
    ),
    _Resident(
        "Anna Schmidt",
        "anna@demo.town",
        "en",
        "Millbrook",
        "Gardener and weekend potter near the farm.",
        (
            _Item(
                "garden",
                "planter",
                "Raised garden bed kit (cedar)",
                "Untreated cedar boards for a 120 x 60 cm raised bed, 30 cm high. Assembled "
                "once for one season, then stored dry. All screws included.",
                7000,
                "like_new",
                local_fee=1000,
            ),
            _Item(
                "crafts",
                "vase",
                "Hand-thrown ceramic vase",
                "Made in my evening class: blue glaze, about 18 cm tall, watertight. New and "
                "never used.",
                4500,
                "new",
                courier_fee=1200,
            ),
            _Item(
                "garden",
                "wateringcan",
                "Galvanised watering can, 10 l",
                "Old-fashioned metal watering can with a brass rose. A small dent on one "
                "side, does not leak.",
                1500,
                "good",
            ),
        ),
    ),
)

STAFF: tuple[tuple[str, str, str, str, str], ...] = (
    # name, email, password, role, district
    ("周海", ADMIN_EMAIL, ADMIN_PASSWORD, "admin", "Old Town"),
    ("何琳", MODERATOR_EMAIL, MODERATOR_PASSWORD, "moderator", "Station Quarter"),
)

# (buyer, item title, offer in cents, hours ago): lei haggles for mei's armchair.
DEMO_OFFERS: tuple[tuple[str, str, int, int], ...] = (
    ("lei@demo.town", "宜家 POÄNG 扶手椅", 12000, 3),
)

# (buyer, item title, [(from the buyer?, text, minutes ago)]): chats a newcomer can open.
# The seller has not read the last message of the second one yet.
DEMO_CHATS: tuple[tuple[str, str, tuple[tuple[bool, str, int], ...]], ...] = (
    (
        "lei@demo.town",
        "宜家 POÄNG 扶手椅",
        (
            (True, "你好，扶手椅还在吗？周六下午可以来取吗？", 200),
            (False, "在的，周六下午两点以后都可以。", 185),
            (True, "好的，我刚出了个价，看看合不合适。", 180),
        ),
    ),
    (
        "emma@demo.town",
        "宜家 POÄNG 扶手椅",
        ((True, "Hi! Is the cushion cover washable?", 25),),
    ),
)

ORDERS: tuple[_OrderSpec, ...] = (
    _OrderSpec(
        "mei@demo.town",
        (("全麦酸种面包（800 g）", 1), ("黄油可颂（4 个装）", 2)),
        "pickup",
        12,
        (5, "面包外皮特别脆，孩子们抢着吃。可颂层次很多，下次还会再来。"),
        None,
    ),
    _OrderSpec(
        "emma@demo.town",
        (("散养土鸡蛋（30 枚）", 1), ("百花蜂蜜（500 g）", 1)),
        "local",
        9,
        (5, "Eggs arrived the same afternoon, well packed, and the honey is lovely."),
        None,
        "钟楼街 14 号 3 单元 502（Old Town）",
    ),
    _OrderSpec(
        "jing@demo.town",
        (("笔记本电脑清灰保养", 1),),
        "pickup",
        7,
        (4, "一个小时就弄好了，风扇安静多了。就是周六人有点多，等了一会儿。"),
        None,
    ),
    _OrderSpec(
        "anna@demo.town",
        (("手拉坯陶瓷马克杯", 2),),
        "courier",
        15,
        (5, "Beautiful mugs, carefully wrapped. The glaze is even nicer than in the photos."),
        None,
        "Millbrook Lane 7, Millbrook",
    ),
    _OrderSpec(
        "wei@demo.town",
        (("可调哑铃一对 2×10 kg", 1),),
        "pickup",
        6,
        (4, "东西和描述一致，就是比想象中重，幸亏开了车。卖家人很好。"),
        (5, "买家很准时，交易愉快。"),
    ),
    _OrderSpec(
        "tom@demo.town",
        (("双人帐篷", 1),),
        "pickup",
        4,
        (3, "Tent is fine, but one pole section was bent a little. The seller gave me a spare."),
        (4, "Friendly buyer, came on time."),
    ),
)

# ---------------------------------------------------------------------------
# Drawing: every picture is made here with ImageDraw, deterministic per seed.
# ---------------------------------------------------------------------------

CANVAS = (1200, 900)
LOGO_SIZE = 512

Colour = tuple[int, int, int]

# category -> (background top, background bottom, table surface)
_PALETTES: dict[str, tuple[Colour, Colour, Colour]] = {
    "produce": ((226, 240, 210), (204, 228, 184), (196, 160, 118)),
    "bakery": ((251, 238, 216), (242, 220, 188), (172, 122, 82)),
    "crafts": ((242, 228, 238), (230, 210, 224), (214, 196, 178)),
    "electronics": ((220, 230, 244), (198, 212, 234), (128, 138, 160)),
    "furniture": ((238, 232, 222), (228, 220, 206), (186, 150, 110)),
    "clothing": ((247, 225, 225), (238, 208, 208), (222, 216, 208)),
    "books": ((242, 234, 212), (230, 218, 192), (150, 104, 72)),
    "kids": ((255, 242, 204), (252, 228, 174), (140, 200, 222)),
    "sports": ((216, 240, 238), (192, 228, 224), (122, 172, 112)),
    "home": ((242, 236, 228), (228, 220, 208), (178, 142, 112)),
    "garden": ((218, 238, 222), (192, 224, 198), (134, 106, 82)),
    "services": ((228, 232, 242), (208, 214, 230), (112, 120, 142)),
}

WHITE: Colour = (255, 255, 255)
CREAM: Colour = (252, 244, 226)
DARK: Colour = (52, 56, 66)
WOOD: Colour = (168, 116, 70)
METAL: Colour = (176, 182, 190)
GLOW: Colour = (255, 240, 196)
LEAF: Colour = (84, 160, 72)
_BOOK_COLOURS: tuple[Colour, ...] = (
    (190, 70, 60),
    (60, 110, 170),
    (230, 180, 70),
    (80, 150, 110),
    (150, 90, 160),
    (230, 120, 80),
    (70, 80, 100),
    (200, 190, 170),
)


def _shade(colour: Colour, factor: float) -> Colour:
    r, g, b = (max(0, min(255, int(c * factor))) for c in colour)
    return (r, g, b)


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    r, g, bl = (int(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return (r, g, bl)


def _jitter(colour: Colour, rng: random.Random, amount: int = 10) -> Colour:
    r, g, b = (max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)
    return (r, g, b)


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


Box = tuple[float, float, float, float]
Points = Sequence[tuple[float, float]]


class _Pen:
    """Draws in a local frame: (0, 0) is the object's centre, about ±320 wide.

    Drawings are cropped to their extent and placed on the table afterwards.
    """

    def __init__(self, draw: ImageDraw.ImageDraw, cx: float, cy: float, scale: float) -> None:
        self.draw, self.cx, self.cy, self.s = draw, cx, cy, scale

    def sub(self, dx: float, dy: float, k: float) -> _Pen:
        return _Pen(self.draw, self.cx + dx * self.s, self.cy + dy * self.s, self.s * k)

    def pt(self, x: float, y: float) -> tuple[float, float]:
        return (self.cx + x * self.s, self.cy + y * self.s)

    def box(self, b: Box) -> Box:
        (x0, y0), (x1, y1) = self.pt(b[0], b[1]), self.pt(b[2], b[3])
        return (x0, y0, x1, y1)

    def w(self, width: float) -> int:
        return max(1, round(width * self.s))

    @staticmethod
    def _edge(fill: Colour | None, outline: bool | Colour) -> Colour | None:
        if outline is True:
            return _shade(fill, 0.7) if fill else None
        return outline or None

    def ellipse(
        self, b: Box, fill: Colour | None, outline: bool | Colour = True, width: float = 5
    ) -> None:
        edge = self._edge(fill, outline)
        self.draw.ellipse(self.box(b), fill=fill, outline=edge, width=self.w(width))

    def circle(self, x: float, y: float, r: float, fill: Colour, outline: bool = True) -> None:
        self.ellipse((x - r, y - r, x + r, y + r), fill, outline)

    def rect(self, b: Box, fill: Colour, r: float = 0, outline: bool | Colour = True) -> None:
        edge = self._edge(fill, outline)
        radius = r * self.s
        self.draw.rounded_rectangle(
            self.box(b), radius=radius, fill=fill, outline=edge, width=self.w(5)
        )

    def poly(self, pts: Points, fill: Colour, outline: bool | Colour = True) -> None:
        edge = self._edge(fill, outline)
        xy = [self.pt(x, y) for x, y in pts]
        self.draw.polygon(xy, fill=fill, outline=edge, width=self.w(5))

    def line(self, pts: Points, colour: Colour, width: float = 6) -> None:
        xy = [self.pt(x, y) for x, y in pts]
        self.draw.line(xy, fill=colour, width=self.w(width), joint="curve")

    def arc(self, b: Box, start: float, end: float, colour: Colour, width: float = 6) -> None:
        self.draw.arc(self.box(b), start, end, fill=colour, width=self.w(width))

    def pie(self, b: Box, start: float, end: float, fill: Colour) -> None:
        edge = _shade(fill, 0.7)
        self.draw.pieslice(self.box(b), start, end, fill=fill, outline=edge, width=self.w(5))

    def chord(self, b: Box, start: float, end: float, fill: Colour) -> None:
        edge = _shade(fill, 0.7)
        self.draw.chord(self.box(b), start, end, fill=fill, outline=edge, width=self.w(5))

    def text(self, x: float, y: float, text: str, size: float, fill: Colour) -> None:
        font = _font(max(8, round(size * self.s)))
        self.draw.text(self.pt(x, y), text, font=font, fill=fill, anchor="mm")


def _rotate(pts: Points, angle: float, ox: float = 0, oy: float = 0) -> list[tuple[float, float]]:
    a = math.radians(angle)
    ca, sa = math.cos(a), math.sin(a)
    return [
        (ox + (x - ox) * ca - (y - oy) * sa, oy + (x - ox) * sa + (y - oy) * ca) for x, y in pts
    ]


def _leaf(p: _Pen, x0: float, y0: float, x1: float, y1: float, width: float, fill: Colour) -> None:
    """A pointed leaf from its stalk (x0, y0) to its tip (x1, y1), with a midrib."""
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    side_a, side_b = [], []
    for i in range(11):
        t = i / 10
        half = width / 2 * math.sin(math.pi * t) ** 0.8
        bx, by = x0 + dx * t, y0 + dy * t
        side_a.append((bx + nx * half, by + ny * half))
        side_b.append((bx - nx * half, by - ny * half))
    p.poly(side_a + side_b[::-1], fill)
    p.line([(x0, y0), (x0 + dx * 0.85, y0 + dy * 0.85)], _shade(fill, 0.75), 4)


def _polar(angle: float, length: float, oy: float) -> tuple[float, float]:
    """A point ``length`` away from (0, oy), ``angle`` degrees off straight up."""
    return (math.sin(math.radians(angle)) * length, oy - math.cos(math.radians(angle)) * length)


# -- bakery ------------------------------------------------------------------------


def _m_loaf(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-280, -30, 280, 200), _shade(c, 0.9), r=70)
    p.ellipse((-295, -180, 295, 70), c)
    flour = _mix(c, CREAM, 0.75)
    for i in range(4):
        x = -165 + i * 110
        p.line([(x - 35, -115), (x + 35, -25)], flour, 16)
    for _ in range(18):
        p.circle(rng.uniform(-230, 230), rng.uniform(-150, 20), rng.uniform(3, 7), flour, False)


def _m_baguette(p: _Pen, rng: random.Random, c: Colour) -> None:
    for k, (dx, dy) in enumerate(((-40, -70), (40, 70))):
        q = p.sub(dx, dy, 0.92 + 0.08 * k)
        q.ellipse((-380, -62, 380, 62), _shade(c, 0.95 + 0.05 * k))
        for i in range(5):
            x = -240 + i * 120
            q.line([(x - 40, 25), (x + 40, -25)], _mix(c, CREAM, 0.65), 13)


def _m_croissant(p: _Pen, rng: random.Random, c: Colour) -> None:
    for k in (-3, 3, -2, 2, -1, 1, 0):
        t = k / 3.2 * 1.2
        x, y = 250 * math.sin(t), 100 - 120 * math.cos(t)
        size = 120 - abs(k) * 22
        p.ellipse(
            (x - size, y - size * 0.85, x + size, y + size * 0.85), _shade(c, 1 - abs(k) * 0.04)
        )
        p.line(
            [(x - size * 0.5, y - size * 0.5), (x + size * 0.2, y + size * 0.6)], _shade(c, 0.8), 5
        )


def _m_bun(p: _Pen, rng: random.Random, c: Colour) -> None:
    icing = (250, 246, 236)
    for dx, dy, k in ((-170, -40, 0.7), (170, -40, 0.7), (0, 20, 1.0)):
        q = p.sub(dx, dy, k)
        q.circle(0, 0, 190, c)
        for r in (45, 90, 135, 175):
            q.arc((-r, -r, r, r), 30 + r, 330 + r, _shade(c, 0.72), 12)
        for i in range(4):
            y = -120 + i * 75
            q.line([(-140, y), (-50, y + 30), (40, y - 10), (140, y + 20)], icing, 9)


def _m_cake(p: _Pen, rng: random.Random, c: Colour) -> None:
    cream = (252, 246, 236)
    p.ellipse((-300, 150, 300, 220), (235, 235, 240))
    p.rect((-240, -60, 240, 180), cream, r=10)
    p.rect((-240, 40, 240, 70), c, outline=False)
    p.ellipse((-240, -120, 240, 0), cream)
    for i in range(7):
        x = -200 + i * 66
        p.ellipse((x - 26, -40, x + 26, 20), cream)
    for i in range(5):
        x, y = -150 + i * 75, -80 + rng.uniform(-10, 10)
        p.circle(x, y, 30, (214, 40, 52))
        p.poly([(x - 14, y - 26), (x, y - 44), (x + 14, y - 26)], (60, 150, 60))


def _m_cookie(p: _Pen, rng: random.Random, c: Colour) -> None:
    for dx, dy in ((-150, 10), (130, -40), (40, 110)):
        q = p.sub(dx, dy, 0.9)
        q.circle(0, 0, 130, c)
        for _ in range(7):
            q.circle(rng.uniform(-80, 80), rng.uniform(-80, 80), 14, (90, 54, 34), False)


# -- produce and garden ------------------------------------------------------------


def _fruit(p: _Pen, c: Colour, r: float, tomato: bool) -> None:
    p.circle(0, 0, r, c)
    p.ellipse((-r * 0.55, -r * 0.7, -r * 0.15, -r * 0.3), _mix(c, WHITE, 0.45), outline=False)
    if tomato:
        star = []
        for i in range(10):
            rr = r * (0.42 if i % 2 == 0 else 0.15)
            a = math.pi * i / 5
            star.append((rr * math.cos(a), -r * 0.82 + rr * 0.5 * math.sin(a)))
        p.poly(star, (70, 140, 60))
    else:
        p.line([(0, -r * 0.85), (8, -r * 1.2)], (110, 76, 40), 12)
        _leaf(p, 8, -r * 1.05, r * 0.7, -r * 1.3, r * 0.3, LEAF)


def _m_apple(p: _Pen, rng: random.Random, c: Colour) -> None:
    for dx, dy, k in ((-190, -30, 0.8), (190, -20, 0.85), (0, 40, 1.0)):
        _fruit(p.sub(dx, dy, k), _jitter(c, rng, 14), 150, tomato=False)


def _m_tomato(p: _Pen, rng: random.Random, c: Colour) -> None:
    for dx, dy, k in ((-200, 10, 0.75), (210, 30, 0.7), (-60, -60, 0.6), (20, 50, 1.0)):
        _fruit(p.sub(dx, dy, k), _jitter(c, rng, 12), 150, tomato=True)


def _m_strawberry(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.ellipse((-320, 120, 320, 210), (246, 246, 246))
    body = [(-150, -60), (-110, -120), (0, -140), (110, -120), (150, -60), (80, 80), (0, 150)]
    body += [(-80, 80)]
    for dx, dy, k in ((-170, 0, 0.8), (170, 10, 0.85), (0, 20, 1.0)):
        q = p.sub(dx, dy, k)
        q.poly(body, _jitter(c, rng, 10))
        for i in range(16):
            x, y = ((i * 53) % 220) - 110, -90 + (i * 37) % 200
            if abs(x) < 150 - (y + 60) * 0.55:
                q.ellipse((x - 6, y - 9, x + 6, y + 9), (246, 214, 90), outline=False)
        for a in (-60, -20, 20, 60):
            _leaf(q, 0, -130, a * 1.8, -170 - abs(a) * 0.3, 50, (70, 150, 60))


def _m_eggs(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-320, 40, 320, 200), (196, 170, 130), r=20)
    for row, y in enumerate((-30, 60)):
        for i in range(5 - row):
            x = -240 + i * 120 + (60 if row else 0)
            shell = _jitter(c, rng, 16)
            p.ellipse((x - 52, y - 70, x + 52, y + 60), shell)
            p.ellipse((x - 30, y - 55, x - 8, y - 25), _mix(shell, WHITE, 0.4), outline=False)
    p.rect((-320, 110, 320, 200), (186, 158, 118), r=16)


def _m_jar(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-170, -120, 170, 200), c, r=50)
    p.rect((-130, -100, -90, 150), _mix(c, WHITE, 0.35), r=20, outline=False)
    p.rect((-150, -200, 150, -120), (200, 60, 50), r=14)
    for i in range(6):
        p.line([(-130 + i * 52, -195), (-130 + i * 52, -125)], (236, 236, 236), 8)
    p.rect((-140, -20, 140, 110), CREAM, r=12)
    p.text(0, 45, "HONEY", 56, (120, 72, 20))


def _m_greens(p: _Pen, rng: random.Random, c: Colour) -> None:
    for i in range(7):
        tip = _polar(-70 + i * 23 + rng.uniform(-6, 6), 380, 170)
        _leaf(p, 0, 190, tip[0], tip[1], 150, _jitter(c, rng, 18))
    p.rect((-40, 120, 40, 160), (200, 60, 60), r=8)


def _m_plant(p: _Pen, rng: random.Random, c: Colour) -> None:
    terracotta = (196, 104, 72)
    for i in range(9):
        tip = _polar(-80 + i * 20 + rng.uniform(-5, 5), 250 + rng.uniform(-40, 60), 40)
        _leaf(p, 0, 40, tip[0], tip[1], 90, _jitter(c, rng, 16))
    p.poly([(-160, 30), (160, 30), (125, 200), (-125, 200)], terracotta)
    p.rect((-175, 10, 175, 60), _shade(terracotta, 1.08), r=8)


def _m_seedlings(p: _Pen, rng: random.Random, c: Colour) -> None:
    for i, dx in enumerate((-210, 0, 210)):
        q = p.sub(dx, 30 if i == 1 else 50, 0.55)
        for j in range(5):
            tip = _polar(-60 + j * 30, 220, 40)
            _leaf(q, 0, 40, tip[0], tip[1], 80, _jitter(c, rng, 16))
        q.circle(30, -120, 28, (220, 50, 40))
        q.poly([(-160, 30), (160, 30), (125, 260), (-125, 260)], (70, 74, 80))


def _m_planter(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.poly([(-300, -10), (300, -10), (260, 40), (-260, 40)], (84, 60, 44))
    for i in range(6):
        x = -230 + i * 92
        _leaf(p, x, 0, x - 30, -130, 50, LEAF)
        _leaf(p, x, 0, x + 40, -110, 45, _mix(LEAF, WHITE, 0.15))
    for y in (20, 80, 140):
        p.rect((-310, y, 310, y + 60), _jitter(c, rng, 14), r=4)
        p.line([(-250, y + 30), (-200, y + 28)], _shade(c, 0.8), 4)
        p.line([(120, y + 25), (200, y + 35)], _shade(c, 0.8), 4)


def _m_wateringcan(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.line([(120, 40), (330, -130)], _shade(c, 0.9), 34)
    p.ellipse((300, -180, 370, -100), _shade(c, 0.95))
    p.arc((-170, -260, 90, 40), 190, 350, _shade(c, 0.8), 30)
    p.rect((-200, -80, 150, 200), c, r=40)
    for y in (-20, 60, 140):
        p.line([(-190, y), (140, y)], _shade(c, 0.85), 5)


# -- electronics and services -----------------------------------------------------


def _m_phone(p: _Pen, rng: random.Random, c: Colour) -> None:
    icons = [(250, 110, 90), (250, 200, 80), (110, 200, 140), (120, 160, 240), (200, 130, 230)]
    p.rect((-135, -270, 135, 200), DARK, r=40)
    p.rect((-115, -240, 115, 180), c, r=22, outline=False)
    p.rect((-40, -257, 40, -247), (30, 30, 36), r=5, outline=False)
    for i in range(12):
        x, y = -75 + (i % 4) * 50, -190 + (i // 4) * 60
        p.rect((x - 18, y - 18, x + 18, y + 18), rng.choice(icons), r=8, outline=False)
    p.rect((-70, 140, 70, 150), (240, 240, 240), r=5, outline=False)


def _m_laptop(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-270, -220, 270, 110), DARK, r=18)
    p.rect((-245, -195, 245, 90), c, r=6, outline=False)
    for i in range(5):
        y = -165 + i * 45
        p.rect(
            (-215, y, -215 + rng.randint(120, 380), y + 20), _mix(c, WHITE, 0.5), r=6, outline=False
        )
    p.poly([(-320, 110), (320, 110), (355, 180), (-355, 180)], METAL)
    p.rect((-70, 130, 70, 160), _shade(METAL, 0.92), r=6)


def _m_monitor(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-30, 90, 30, 170), (60, 64, 74))
    p.ellipse((-130, 150, 130, 200), (70, 74, 84))
    p.rect((-320, -250, 320, 110), DARK, r=14)
    p.rect((-300, -230, 300, 85), c, outline=False)
    for i in range(3):
        x = -250 + i * 180
        p.rect((x, -190, x + 150, 40), _mix(c, WHITE, 0.35 + 0.15 * i), r=8, outline=False)


def _m_keyboard(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-340, -90, 340, 150), (70, 74, 84), r=26)
    for row in range(4):
        for col in range(12):
            x, y = -300 + col * 51, -60 + row * 51
            key = c if (row, col) in ((0, 0), (3, 11)) else (226, 228, 232)
            p.rect((x, y, x + 42, y + 42), key, r=7)


def _m_speaker(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-300, -110, 300, 170), c, r=140)
    dot = _shade(c, 0.75)
    for row in range(5):
        for col in range(15):
            p.circle(-210 + col * 30 + (15 if row % 2 else 0), -50 + row * 45, 6, dot, False)
    p.rect((-60, 150, 60, 175), DARK, r=8)
    p.circle(240, 30, 22, (240, 240, 240))


def _m_headphones(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.arc((-230, -270, 230, 170), 185, 355, DARK, 38)
    for sx in (-1, 1):
        x0, x1 = sorted((sx * 160, sx * 275))
        p.rect((x0, -40, x1, 170), c, r=45)
        cushion = (x1 - 30, -20, x1 + 10, 150) if sx < 0 else (x0 - 10, -20, x0 + 30, 150)
        p.rect(cushion, DARK, r=18)


def _m_charger(p: _Pen, rng: random.Random, c: Colour) -> None:
    for x in (-205, -125):
        p.rect((x, -230, x + 20, -150), METAL)
    p.rect((-260, -160, -60, 60), (246, 246, 246), r=30)
    p.rect((-190, -30, -130, -10), (60, 60, 66), r=8, outline=False)
    pts = [(-160, 60), (-160, 140), (-60, 190), (80, 170), (140, 90), (120, 0), (180, -80)]
    p.line([*pts, (260, -80)], c, 20)
    p.rect((250, -110, 330, -50), c, r=12)


def _m_cable(p: _Pen, rng: random.Random, c: Colour) -> None:
    for i in range(6):
        r = 150 - i * 5
        ox, oy = -80 + i * 12, 30 - i * 4
        p.ellipse(
            (ox - r, oy - r * 0.8, ox + r, oy + r * 0.8),
            None,
            outline=_shade(c, 1 - i * 0.03),
            width=18,
        )
    p.line([(60, 60), (190, 20), (250, -110)], c, 20)
    p.rect((222, -200, 280, -110), (230, 230, 234), r=10)
    p.rect((238, -230, 264, -198), METAL)


def _m_camera(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.poly([(-80, -150), (80, -150), (110, -100), (-110, -100)], DARK)
    p.rect((-290, -110, 290, 180), DARK, r=26)
    p.rect((-290, -110, 290, -40), c, r=20)
    p.rect((180, -150, 240, -110), (200, 200, 206), r=6)
    for r, col in (
        (140, (40, 42, 48)),
        (115, (90, 94, 104)),
        (80, (30, 40, 70)),
        (40, (70, 100, 160)),
    ):
        p.circle(0, 40, r, col)
    p.circle(-18, 20, 14, (200, 220, 250), False)
    p.text(-200, -75, "OM", 34, (60, 60, 66))


def _m_wrench(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.poly(_rotate([(-30, -250), (30, -250), (30, 200), (-30, 200)], 40), METAL)
    hx, hy = _rotate([(0, -250)], 40)[0]
    # An open jaw facing away from the handle (PIL angles: 0 = 3 o'clock, clockwise).
    p.pie((hx - 80, hy - 80, hx + 80, hy + 80), -22, 282, METAL)
    p.poly(_rotate([(-16, -260), (16, -260), (16, 20), (-16, 20)], -40), (200, 204, 210))
    p.poly(_rotate([(-40, 20), (40, 20), (36, 220), (-36, 220)], -40), c)


# -- furniture and home -------------------------------------------------------------


def _m_armchair(p: _Pen, rng: random.Random, c: Colour) -> None:
    for x in (-230, 230):
        p.line([(x * 0.9, 120), (x, 205)], WOOD, 18)
    p.rect((-220, -240, 220, 60), c, r=60)
    p.line([(-140, -170), (140, -170)], _shade(c, 0.85), 6)
    p.rect((-250, 10, 250, 130), _shade(c, 1.06), r=40)
    p.rect((-300, -70, -200, 130), _shade(c, 0.94), r=40)
    p.rect((200, -70, 300, 130), _shade(c, 0.94), r=40)


def _m_table(p: _Pen, rng: random.Random, c: Colour) -> None:
    chair = (150, 110, 80)
    for sx in (-1, 1):
        back = (sx * 330 - 12, -160, sx * 330 + 12, 200)
        seat = sorted((sx * 330, sx * 220))
        p.rect(back, _shade(chair, 0.9), r=6)
        p.rect((seat[0], 40, seat[1], 70), chair, r=6)
        p.line([(sx * 230, 70), (sx * 230, 200)], _shade(chair, 0.85), 16)
    p.rect((-260, -20, 260, 12), c, r=6)
    for x in (-230, 200):
        p.rect((x, 12, x + 30, 200), _shade(c, 0.85))


def _m_shelf(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-210, -270, 210, 200), c, r=6)
    for i in range(4):
        y0, y1 = -250 + i * 110, -154 + i * 110
        p.rect((-190, y0, 190, y1), _shade(c, 0.86), outline=False)
        x = -185
        while x < 150:
            width, height = rng.randint(20, 40), rng.randint(55, 85)
            if rng.random() < 0.8:
                p.rect(
                    (x, y1 - height, x + width, y1), _jitter(rng.choice(_BOOK_COLOURS), rng), r=3
                )
            x += width + 3
        p.rect((-200, y1, 200, y1 + 10), c)


def _m_lamp(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.circle(0, -150, 230, GLOW, False)
    p.ellipse((-110, -60, 110, 150), (236, 232, 222))
    p.rect((-70, 150, 70, 190), (200, 196, 186), r=8)
    p.poly([(-150, -250), (150, -250), (220, -60), (-220, -60)], c)


def _m_teapot(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.poly([(-170, 20), (-320, -110), (-290, -130), (-150, -40)], c)
    p.arc((120, -90, 300, 130), 270, 90, _shade(c, 0.85), 30)
    p.ellipse((-210, -120, 210, 200), c)
    p.ellipse((-120, -170, 120, -90), _shade(c, 1.08))
    p.circle(0, -180, 26, _shade(c, 0.9))
    p.arc((-150, -60, 150, 150), 200, 340, _mix(c, WHITE, 0.5), 10)
    for dx in (390, 500):
        q = p.sub(dx, 150, 0.45)
        q.arc((60, -40, 160, 80), 270, 90, _shade(c, 0.85), 22)
        q.rect((-100, -70, 100, 110), c, r=40)
        q.ellipse((-100, -90, 100, -50), _mix(c, WHITE, 0.3))


def _m_pan(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((170, 10, 380, 60), _shade(c, 0.9), r=22)
    p.ellipse((-290, -110, 230, 200), c)
    p.ellipse((-250, -80, 190, 160), _shade(c, 1.25), outline=False)
    p.ellipse((-200, -50, 60, 60), _shade(c, 1.4), outline=False)


def _m_pillow(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-300, -40, 300, 200), _shade(c, 0.9), r=40)
    for i in range(6):
        p.line([(-280 + i * 110, -30), (-250 + i * 110, 190)], _shade(c, 0.8), 8)
    q = p.sub(0, -60, 0.85)
    accent = _mix(c, WHITE, 0.55)
    q.rect((-260, -200, 260, 160), accent, r=90)
    q.rect((-200, -150, 200, 110), _mix(accent, c, 0.3), r=60, outline=False)
    for i in range(5):
        for j in range(4):
            q.circle(-160 + i * 80, -110 + j * 70, 12, _shade(c, 0.9), False)


def _m_mug(p: _Pen, rng: random.Random, c: Colour) -> None:
    clay = (214, 190, 160)
    for dx, k in ((320, 0.7), (-40, 1.0)):
        q = p.sub(dx, 200 - 200 * k, k)
        q.arc((40, -90, 230, 110), 270, 90, _shade(c, 0.85), 34)
        q.rect((-150, -150, 130, 200), c, r=30)
        q.rect((-150, 120, 130, 200), clay, r=24)
        q.line([(-150, 120), (-100, 100), (-40, 128), (30, 96), (90, 126), (130, 110)], c, 14)
        q.ellipse((-150, -175, 130, -125), _shade(c, 0.75))
    for i in range(3):
        x = -110 + i * 60
        p.line([(x, -220), (x + 20, -270), (x - 10, -320), (x + 15, -370)], (255, 255, 255), 10)


def _m_basket(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.arc((-210, -280, 210, 80), 190, 350, _shade(c, 0.85), 28)
    p.poly([(-280, -40), (280, -40), (225, 200), (-225, 200)], c)
    for i in range(6):
        y = -10 + i * 36
        p.line([(-275 + i * 9, y), (275 - i * 9, y)], _shade(c, 0.8), 5)
    for i in range(12):
        x = -240 + i * 44
        p.line([(x, -40), (x * 0.82, 200)], _shade(c, 0.86), 4)
    p.rect((-295, -60, 295, -25), _shade(c, 0.92), r=14)


def _m_candle(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.circle(0, -230, 95, GLOW, False)
    p.rect((-150, -130, 150, 200), c, r=30)
    p.ellipse((-140, -150, 140, -100), (248, 240, 222))
    p.line([(0, -130), (0, -190)], DARK, 6)
    p.poly([(0, -300), (30, -220), (0, -185), (-30, -220)], (250, 170, 40), outline=False)
    p.poly([(0, -260), (14, -215), (0, -195), (-14, -215)], (255, 236, 150), outline=False)
    p.rect((-120, 10, 120, 110), CREAM, r=8)
    p.text(0, 60, "SOY", 50, (110, 90, 70))


def _m_cards(p: _Pen, rng: random.Random, c: Colour) -> None:
    for i, (dx, dy) in enumerate(((-90, -70), (-20, -20), (50, 30))):
        base = _jitter(rng.choice(_BOOK_COLOURS), rng)
        p.rect((dx - 200, dy - 140, dx + 200, dy + 140), WHITE, r=6)
        p.rect((dx - 180, dy - 120, dx + 180, dy + 120), _mix(base, WHITE, 0.55), outline=False)
        if i == 2:
            p.circle(dx + 100, dy - 60, 36, (250, 200, 80), False)
            hill = [(dx - 180, dy + 120), (dx - 60, dy - 40), (dx + 40, dy + 120)]
            p.poly(hill, _shade(c, 0.8), outline=False)
            hill = [(dx - 20, dy + 120), (dx + 80, dy - 10), (dx + 180, dy + 120)]
            p.poly(hill, c, outline=False)


def _m_vase(p: _Pen, rng: random.Random, c: Colour) -> None:
    for i, angle in enumerate((-25, 0, 20)):
        tip = _rotate([(0, -380)], angle, 0, -160)[0]
        p.line([(0, -160), tip], (80, 140, 70), 8)
        petal = _jitter((240, 160 + i * 30, 170), rng, 20)
        for k in range(6):
            a = math.pi * k / 3
            p.circle(tip[0] + 28 * math.cos(a), tip[1] + 28 * math.sin(a), 26, petal)
        p.circle(tip[0], tip[1], 20, (250, 210, 90))
    left, right = [], []
    for i in range(21):
        y = -200 + i * 20
        half = 70 if y < -160 else 50 + 130 * math.sin(math.pi * min(1.0, (y + 170) / 390)) ** 1.2
        left.append((-half, y))
        right.append((half, y))
    p.poly(left + right[::-1], c)
    for y in (40, 70):
        p.line([(-165, y), (165, y)], _mix(c, WHITE, 0.45), 10)


def _m_box(p: _Pen, rng: random.Random, c: Colour) -> None:
    for dx, dy, k in ((-150, 40, 0.9), (150, 60, 0.8), (-10, -150, 0.75)):
        q = p.sub(dx, dy, k)
        q.poly([(-160, -60), (160, -60), (220, -120), (-100, -120)], _shade(c, 1.08))
        q.poly([(160, -60), (220, -120), (220, 120), (160, 180)], _shade(c, 0.82))
        q.rect((-160, -60, 160, 180), c)
        q.rect((-30, -60, 30, 40), (210, 180, 130), outline=False)


# -- clothing ------------------------------------------------------------------------


def _m_shirt(p: _Pen, rng: random.Random, c: Colour) -> None:
    body = [(-110, -240), (-40, -250), (0, -215), (40, -250), (110, -240), (290, -120)]
    body += [(225, -30), (165, -75), (165, 200), (-165, 200), (-165, -75), (-225, -30)]
    p.poly([*body, (-290, -120)], c)
    p.arc((-50, -280, 50, -190), 20, 160, _shade(c, 0.75), 12)
    p.line([(-160, 170), (160, 170)], _shade(c, 0.85), 6)


def _m_coat(p: _Pen, rng: random.Random, c: Colour) -> None:
    body = [(-100, -250), (0, -200), (100, -250), (240, -180), (300, 140), (230, 150)]
    body += [(200, -60), (190, 220), (-190, 220), (-200, -60), (-230, 150), (-300, 140)]
    p.poly([*body, (-240, -180)], c)
    p.poly([(-100, -250), (0, -200), (-20, -20), (-90, -150)], _shade(c, 0.88))
    p.poly([(100, -250), (0, -200), (20, -20), (90, -150)], _shade(c, 0.88))
    p.line([(0, -200), (0, 220)], _shade(c, 0.75), 5)
    for y in (-40, 40, 120):
        p.circle(-30, y, 12, _shade(c, 0.6))
        p.circle(30, y, 12, _shade(c, 0.6))


def _m_dress(p: _Pen, rng: random.Random, c: Colour) -> None:
    body = [(-70, -260), (-50, -260), (-40, -180), (40, -180), (50, -260), (70, -260)]
    body += [(95, -120), (75, -60), (250, 200), (-250, 200), (-75, -60), (-95, -120)]
    p.poly(body, c)
    p.rect((-82, -80, 82, -50), _shade(c, 0.8), outline=False)
    flower = _mix(c, WHITE, 0.6)
    for _ in range(26):
        y = rng.uniform(-30, 180)
        limit = 75 + (y + 60) * 0.62 - 25
        p.circle(rng.uniform(-limit, limit), y, 9, flower, False)


def _m_boot(p: _Pen, rng: random.Random, c: Colour) -> None:
    for k, dx in ((0.9, -120), (1.0, 60)):
        q = p.sub(dx, 0, k)
        q.poly([(-140, -230), (40, -230), (50, 50), (240, 100), (260, 180), (-150, 180)], c)
        q.rect((-160, 170, 270, 205), (50, 40, 34), r=8)
        for i in range(5):
            y = -190 + i * 50
            q.line([(-20, y), (40, y + 12)], CREAM, 6)


def _m_scarf(p: _Pen, rng: random.Random, c: Colour) -> None:
    stripe = _mix(c, CREAM, 0.7)
    for x0, top, bottom in ((-130, -200, 200), (10, -170, 160)):
        p.rect((x0, top, x0 + 120, bottom), c, r=10)
        for y in range(top + 40, bottom - 20, 70):
            p.rect((x0, y, x0 + 120, y + 24), stripe, outline=False)
        for i in range(7):
            x = x0 + 10 + i * 17
            p.line([(x, bottom), (x, bottom + 35)], _shade(c, 0.85), 5)
    p.ellipse((-150, -270, 150, -150), _shade(c, 0.92))


def _m_hat(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.circle(0, -180, 60, _mix(c, CREAM, 0.6))
    p.pie((-190, -150, 190, 230), 180, 360, c)
    for i in range(9):
        x = -150 + i * 37
        p.line([(x, 20), (x * 0.7, -110)], _shade(c, 0.85), 5)
    p.rect((-205, 30, 205, 150), _shade(c, 0.92), r=24)
    for i in range(16):
        x = -185 + i * 24.5
        p.line([(x, 40), (x, 140)], _shade(c, 0.8), 5)


# -- kids and sports -------------------------------------------------------------------


def _m_blocks(p: _Pen, rng: random.Random, c: Colour) -> None:
    colours = [c, (240, 190, 60), (80, 160, 220), (110, 190, 110), (230, 110, 150), (150, 120, 220)]
    k = 0
    for row, count in enumerate((3, 2, 1)):
        for i in range(count):
            x, y = -count * 65 + i * 130 + 65, 135 - row * 130
            p.rect((x - 62, y - 62, x + 62, y + 62), colours[(k + row) % len(colours)], r=10)
            p.text(x, y, "ABCDEF"[k], 80, WHITE)
            k += 1


def _m_stroller(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.line([(150, -20), (260, -250), (320, -250)], DARK, 14)
    p.line([(-160, 80), (-200, 150)], METAL, 10)
    p.line([(130, 80), (170, 150)], METAL, 10)
    p.pie((-240, -240, 160, 160), 180, 270, _shade(c, 0.85))
    p.chord((-240, -200, 200, 160), 0, 180, c)
    p.rect((-240, -25, 200, 25), c, outline=False)
    for x in (-200, 170):
        p.circle(x, 165, 42, DARK)
        p.circle(x, 165, 14, METAL)


def _m_bike(p: _Pen, rng: random.Random, c: Colour) -> None:
    rear, front, crank = (-210.0, 90.0), (215.0, 90.0), (-10.0, 90.0)
    seat, head = (-75.0, -90.0), (150.0, -95.0)
    for cx, cy in (rear, front):
        for a in range(0, 180, 30):
            dx, dy = 105 * math.cos(math.radians(a)), 105 * math.sin(math.radians(a))
            p.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], METAL, 3)
        p.ellipse((cx - 115, cy - 115, cx + 115, cy + 115), None, outline=DARK, width=18)
    for a, b in ((rear, crank), (crank, seat), (seat, rear), (seat, head), (head, crank)):
        p.line([a, b], c, 16)
    p.line([head, front], _shade(c, 0.9), 12)
    p.line([head, (135, -150), (205, -160)], DARK, 12)
    p.line([seat, (-78, -110)], DARK, 10)
    p.poly([(-125, -120), (-25, -120), (-40, -100), (-110, -100)], DARK)
    p.circle(*crank, 26, METAL)


def _m_helmet(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.pie((-290, -170, 290, 570), 180, 360, c)
    for i in range(4):
        x, dy = -160 + i * 100, abs(i - 1.5) * 25
        p.rect((x, -100 + dy, x + 55, -20 + dy), DARK, r=18, outline=False)
    p.poly([(150, 120), (300, 150), (300, 200), (140, 200)], _shade(c, 0.7))
    p.line([(-290, 200), (290, 200)], _shade(c, 0.8), 10)


def _m_dumbbell(p: _Pen, rng: random.Random, c: Colour) -> None:
    for dx, dy, k in ((60, -70, 0.8), (-20, 60, 1.0)):
        q = p.sub(dx, dy, k)
        q.rect((-200, -16, 200, 16), METAL, r=8)
        for sx in (-1, 1):
            for x_in, x_out, h in ((170, 230, 110), (230, 280, 85)):
                x0, x1 = sorted((sx * x_in, sx * x_out))
                q.rect((x0, -h, x1, h), c, r=12)


def _m_racket(p: _Pen, rng: random.Random, c: Colour) -> None:
    ball = (200, 230, 70)
    p.circle(210, 130, 70, ball)
    p.arc((150, 70, 270, 190), 100, 250, WHITE, 8)
    p.arc((150, 70, 270, 190), 280, 70, WHITE, 8)
    q = p.sub(-60, -20, 0.85)
    q.rect((-24, 120, 24, 310), DARK, r=10)
    q.line([(-20, 130), (0, 60), (20, 130)], c, 14)
    a, b, cy = 140.0, 180.0, -120.0
    q.ellipse((-a, cy - b, a, cy + b), (236, 236, 228), outline=False)
    strings = (150, 150, 150)
    for i in range(-6, 7):
        x = i * 20
        h = b * math.sqrt(max(0.0, 1 - (x / a) ** 2))
        q.line([(x, cy - h + 8), (x, cy + h - 8)], strings, 3)
    for i in range(-8, 9):
        y = i * 20
        half = a * math.sqrt(max(0.0, 1 - (y / b) ** 2))
        q.line([(-half + 8, cy + y), (half - 8, cy + y)], strings, 3)
    q.ellipse((-a, cy - b, a, cy + b), None, outline=c, width=22)


def _m_tent(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.poly([(0, -220), (380, 180), (320, 200), (60, -200)], _shade(c, 0.8))
    p.poly([(-320, 200), (0, -220), (320, 200)], c)
    p.poly([(-90, 200), (0, 40), (90, 200)], _shade(c, 0.55))
    p.line([(0, -220), (-380, 200)], METAL, 4)
    p.line([(0, -220), (0, -260)], DARK, 8)


def _m_mat(p: _Pen, rng: random.Random, c: Colour) -> None:
    p.rect((-240, -110, 20, 30), _mix((150, 120, 220), c, 0.3), r=12)
    p.rect((-320, 30, 220, 200), c, r=85)
    p.ellipse((140, 30, 310, 200), _mix(c, WHITE, 0.25))
    for r in (60, 42, 24):
        p.arc((225 - r, 115 - r, 225 + r, 115 + r), 0, 300, _shade(c, 0.75), 6)


def _m_books(p: _Pen, rng: random.Random, c: Colour) -> None:
    y = 200
    for i in range(rng.randint(4, 5)):
        height, half, dx = rng.randint(50, 75), rng.randint(200, 270), rng.randint(-30, 30)
        col = c if i == 2 else _jitter(rng.choice(_BOOK_COLOURS), rng)
        p.rect((dx - half, y - height, dx + half, y), col, r=8)
        p.rect((dx + half - 40, y - height + 8, dx + half - 6, y - 8), CREAM, outline=False)
        band = (dx - half + 30, y - height + 18, dx - half + 140, y - height + 30)
        p.rect(band, _mix(col, WHITE, 0.5), outline=False)
        y -= height


_Motif = Callable[[_Pen, random.Random, Colour], None]

# motif -> (drawing, default colour)
MOTIFS: dict[str, tuple[_Motif, Colour]] = {
    "loaf": (_m_loaf, (196, 132, 70)),
    "baguette": (_m_baguette, (214, 150, 80)),
    "croissant": (_m_croissant, (222, 160, 70)),
    "bun": (_m_bun, (206, 140, 82)),
    "cake": (_m_cake, (236, 150, 170)),
    "cookie": (_m_cookie, (190, 130, 76)),
    "apple": (_m_apple, (206, 50, 48)),
    "tomato": (_m_tomato, (226, 62, 40)),
    "strawberry": (_m_strawberry, (220, 40, 56)),
    "eggs": (_m_eggs, (226, 196, 160)),
    "jar": (_m_jar, (228, 160, 40)),
    "greens": (_m_greens, (70, 140, 80)),
    "plant": (_m_plant, (92, 160, 96)),
    "seedlings": (_m_seedlings, (96, 170, 80)),
    "planter": (_m_planter, (176, 122, 80)),
    "wateringcan": (_m_wateringcan, (160, 170, 176)),
    "phone": (_m_phone, (70, 120, 200)),
    "laptop": (_m_laptop, (60, 90, 150)),
    "monitor": (_m_monitor, (50, 110, 170)),
    "keyboard": (_m_keyboard, (220, 90, 60)),
    "speaker": (_m_speaker, (60, 70, 90)),
    "headphones": (_m_headphones, (40, 44, 52)),
    "charger": (_m_charger, (80, 80, 90)),
    "cable": (_m_cable, (226, 96, 70)),
    "camera": (_m_camera, (196, 200, 206)),
    "wrench": (_m_wrench, (220, 90, 60)),
    "armchair": (_m_armchair, (206, 176, 132)),
    "table": (_m_table, (176, 124, 80)),
    "shelf": (_m_shelf, (242, 240, 236)),
    "lamp": (_m_lamp, (96, 150, 140)),
    "teapot": (_m_teapot, (120, 170, 150)),
    "pan": (_m_pan, (62, 64, 70)),
    "pillow": (_m_pillow, (150, 160, 176)),
    "mug": (_m_mug, (70, 110, 140)),
    "basket": (_m_basket, (190, 146, 90)),
    "candle": (_m_candle, (226, 186, 120)),
    "cards": (_m_cards, (110, 140, 200)),
    "vase": (_m_vase, (80, 120, 180)),
    "box": (_m_box, (198, 158, 106)),
    "shirt": (_m_shirt, (230, 150, 160)),
    "coat": (_m_coat, (190, 146, 100)),
    "dress": (_m_dress, (90, 130, 200)),
    "boot": (_m_boot, (126, 80, 50)),
    "scarf": (_m_scarf, (170, 60, 70)),
    "hat": (_m_hat, (150, 150, 156)),
    "blocks": (_m_blocks, (220, 80, 70)),
    "stroller": (_m_stroller, (70, 110, 150)),
    "bike": (_m_bike, (220, 60, 60)),
    "helmet": (_m_helmet, (230, 120, 40)),
    "dumbbell": (_m_dumbbell, (60, 64, 72)),
    "racket": (_m_racket, (40, 110, 190)),
    "tent": (_m_tent, (230, 140, 50)),
    "mat": (_m_mat, (120, 90, 170)),
    "books": (_m_books, (190, 70, 60)),
}


def _soft_shadow(img: Image.Image, box: Box, colour: Colour) -> None:
    """Darken an elliptical area with a blurred edge.

    Only the area around the ellipse is touched, and its mask is blurred at
    quarter size, which keeps this cheap.
    """
    q, margin = 4, 40
    x0, y0 = max(0, int(box[0]) - margin), max(0, int(box[1]) - margin)
    x1, y1 = min(img.width, int(box[2]) + margin), min(img.height, int(box[3]) + margin)
    if x1 - x0 < 2 * q or y1 - y0 < 2 * q:
        return
    mask = Image.new("L", ((x1 - x0) // q, (y1 - y0) // q), 0)
    oval = ((box[0] - x0) / q, (box[1] - y0) / q, (box[2] - x0) / q, (box[3] - y0) / q)
    ImageDraw.Draw(mask).ellipse(oval, fill=150)
    mask = mask.filter(ImageFilter.GaussianBlur(5)).resize((x1 - x0, y1 - y0))
    img.paste(colour, (x0, y0, x1, y1), mask)


@functools.cache
def _gradient() -> Image.Image:
    return Image.linear_gradient("L").resize(CANVAS)


def _motif_sprite(motif: str, rng: random.Random, colour: Colour, scale: float) -> Image.Image:
    """Draw a motif on a transparent layer, cropped to what was drawn.

    Placing the crop lets every object stand on the table, centred, whatever
    the extent of its drawing.
    """
    width, height = round(1100 * scale), round(900 * scale)
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    MOTIFS[motif][0](_Pen(ImageDraw.Draw(layer), width / 2, 480 * scale, scale), rng, colour)
    box = layer.getbbox()
    return layer.crop(box) if box else layer


def _label(draw: ImageDraw.ImageDraw, text: str, corner: str, fill: Colour, ink: Colour) -> None:
    font = _font(34)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    w, h = right - left + 44, bottom - top + 26
    width, height = CANVAS
    x = 36 if corner == "left" else width - 36 - w
    y = 36 if corner == "left" else height - 36 - h
    draw.rounded_rectangle((x, y, x + w, y + h), radius=h // 2, fill=fill)
    draw.text((x + w / 2, y + h / 2), text, font=font, fill=ink, anchor="mm")


def draw_listing_picture(
    category: str,
    motif: str,
    *,
    seed: int,
    index: int = 0,
    label: str | None = None,
    free: bool = False,
) -> Image.Image:
    """Draw one listing photo: the object on a table in its category's colours.

    Args:
        category: A category slug (picks the palette).
        motif: A key of :data:`MOTIFS` (what is drawn).
        seed: Seeds the variations (colours, positions, details).
        index: 0 for the cover; 1 is a close-up; 2 a wider, off-centre view.
        label: Optional short Latin text for a tag in the bottom-right corner.
        free: Add a "FREE" tag in the top-left corner.

    Returns:
        A 1200x900 RGB image.
    """
    rng = random.Random(seed * 7 + index)
    width, height = CANVAS
    top, bottom, surface = (_jitter(c, rng, 8) for c in _PALETTES[category])
    if index == 2:
        top, bottom = _mix(bottom, WHITE, 0.25), top
    img = Image.composite(
        Image.new("RGB", CANVAS, bottom), Image.new("RGB", CANVAS, top), _gradient()
    )
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(4, 8)):
        r = rng.uniform(30, 110)
        x, y = rng.uniform(0, width), rng.uniform(0, height * 0.55)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_mix(top, WHITE, rng.uniform(0.15, 0.35)))
    table_y = int(height * rng.uniform(0.6, 0.7))
    draw.rectangle((0, table_y, width, height), fill=surface)
    draw.rectangle((0, table_y, width, table_y + 6), fill=_mix(surface, WHITE, 0.25))

    if index == 1:
        scale, cx, base = 1.3, width / 2 + rng.uniform(-120, 120), height * 0.95
    elif index == 2:
        scale = 0.85
        cx = width / 2 + rng.choice((-1, 1)) * rng.uniform(120, 220)
        base = table_y + 50
    else:
        scale, cx = rng.uniform(0.9, 1.0), width / 2 + rng.uniform(-40, 40)
        base = table_y + (height - table_y) * 0.45
    colour = _jitter(MOTIFS[motif][1], rng, 12)
    sprite = _motif_sprite(motif, rng, colour, scale)
    half = sprite.width * 0.5
    shadow = _shade(surface, 0.6)
    _soft_shadow(img, (cx - half, base - 24 * scale, cx + half, base + 22 * scale), shadow)
    img.paste(sprite, (round(cx - sprite.width / 2), round(base - sprite.height)), sprite)
    if free:
        _label(draw, "FREE", "left", (46, 150, 90), WHITE)
    if label:
        _label(draw, label, "right", (255, 255, 255), (60, 60, 66))
    return img


def draw_logo(motif: str, colour: Colour, text: str, *, seed: int) -> Image.Image:
    """Draw a round shop logo: the shop's motif on its colour, with its Latin name.

    Args:
        motif: A key of :data:`MOTIFS`.
        colour: The shop's colour.
        text: A short Latin name written under the motif.
        seed: Seeds the motif's details.

    Returns:
        A 512x512 RGB image.
    """
    size = LOGO_SIZE
    img = Image.new("RGB", (size, size), CREAM)
    draw = ImageDraw.Draw(img)
    draw.ellipse((8, 8, size - 8, size - 8), fill=colour)
    draw.ellipse((36, 36, size - 36, size - 36), fill=_mix(colour, WHITE, 0.82))
    sprite = _motif_sprite(motif, random.Random(seed), MOTIFS[motif][1], 0.42)
    at = (round((size - sprite.width) / 2), round(size * 0.44 - sprite.height / 2))
    img.paste(sprite, at, sprite)
    draw.text(
        (size / 2, size * 0.8), text.upper(), font=_font(36), fill=_shade(colour, 0.7), anchor="mm"
    )
    return img


# ---------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------


def is_empty(session: Session) -> bool:
    """Whether the database has no users and no listings (a fresh install).

    Args:
        session: Any session.

    Returns:
        True when both tables are empty.
    """
    no_users = session.exec(select(User.id).limit(1)).first() is None
    return no_users and session.exec(select(Listing.id).limit(1)).first() is None


def find_conflict(session: Session) -> str | None:
    """What would stop :func:`seed_demo`: an existing demo account or shop.

    Args:
        session: Any session.

    Returns:
        A short description of the first conflict found, or None.
    """
    emails = [s[1] for s in STAFF] + [s.owner_email for s in SHOPS] + [r.email for r in RESIDENTS]
    email = session.exec(select(User.email).where(User.email.in_(emails))).first()
    if email:
        return f"{email} exists"
    slugs = [s.slug for s in SHOPS]
    slug = session.exec(select(Shop.slug).where(Shop.slug.in_(slugs))).first()
    return f"shop {slug} exists" if slug else None


class _Place(NamedTuple):
    district: str
    lat: float
    lon: float


def _place_near(district: str, rng: random.Random, spread_km: float) -> _Place:
    east, north = geo.DISTRICTS[district]
    lat, lon = geo.km_to_position(east + rng.gauss(0, spread_km), north + rng.gauss(0, spread_km))
    return _Place(district, lat, lon)


class _PlannedListing(NamedTuple):
    seller_email: str
    shop_slug: str | None
    spec: _Product | _Item
    place: _Place
    created_at: datetime
    image_count: int


class _Seeder:
    """One seeding run: draws and stores the pictures, then writes the rows."""

    def __init__(self, session: Session, seed: int) -> None:
        self.session = session
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = utcnow()
        self.stored_keys: list[str] = []
        self.hashes: dict[str, str] = {}
        self.summary = DemoSummary()

    # -- pictures first: no transaction is open while they are drawn and encoded

    def _store(self, img: Image.Image) -> media.StoredImage:
        stored = media.store_image(img, effort=0)
        self.stored_keys.append(stored.key)
        return stored

    def plan_listings(self) -> list[_PlannedListing]:
        rng = self.rng
        plans: list[_PlannedListing] = []
        # Bought listings were online a few days before their order.
        bought = {title: spec.days_ago for spec in ORDERS for title, _ in spec.lines}
        self.shop_places = {s.slug: _place_near(s.district, rng, 0.35) for s in SHOPS}
        self.resident_places = {r.email: _place_near(r.district, rng, 0.6) for r in RESIDENTS}
        for shop in SHOPS:
            for product in shop.products:
                age = timedelta(days=self._age_days(product.title, bought))
                count = rng.choices((1, 2, 3), weights=(3, 5, 2))[0]
                plans.append(
                    _PlannedListing(
                        shop.owner_email,
                        shop.slug,
                        product,
                        self.shop_places[shop.slug],
                        self.now - age,
                        count,
                    )
                )
        for resident in RESIDENTS:
            home = self.resident_places[resident.email]
            for item in resident.items:
                age = timedelta(days=self._age_days(item.title, bought))
                count = rng.choices((1, 2, 3), weights=(4, 4, 2))[0]
                lat, lon = geo.km_to_position(*self._jitter_km(home, rng))
                place = _Place(home.district, lat, lon)
                plans.append(
                    _PlannedListing(resident.email, None, item, place, self.now - age, count)
                )
        return plans

    def _age_days(self, title: str, bought: dict[str, float]) -> float:
        days = self.rng.uniform(0.2, 30)
        if title in bought:
            days = max(days, bought[title] + self.rng.uniform(2, 6))
        return days

    @staticmethod
    def _jitter_km(place: _Place, rng: random.Random) -> tuple[float, float]:
        east = (place.lon - geo.BOX_LON0) / geo.BOX_DLON * geo.BOX_KM + rng.gauss(0, 0.05)
        north = (place.lat - geo.BOX_LAT0) / geo.BOX_DLAT * geo.BOX_KM + rng.gauss(0, 0.05)
        return east, north

    def draw_pictures(
        self, plans: list[_PlannedListing]
    ) -> tuple[list[list[media.StoredImage]], dict[str, media.StoredImage]]:
        pictures: list[list[media.StoredImage]] = []
        latin = {s.slug: s.latin for s in SHOPS}
        for n, plan in enumerate(plans):
            spec = plan.spec
            label = latin[plan.shop_slug] if plan.shop_slug else None
            free = isinstance(spec, _Item) and spec.price == 0
            images = []
            for index in range(plan.image_count):
                img = draw_listing_picture(
                    spec.category,
                    spec.motif,
                    seed=self.seed + n * 31,
                    index=index,
                    label=label if index == 0 else None,
                    free=free and index == 0,
                )
                images.append(self._store(img))
            pictures.append(images)
        logos = {
            s.slug: self._store(
                draw_logo(s.logo_motif, s.colour, s.latin.split()[0], seed=self.seed + i)
            )
            for i, s in enumerate(SHOPS)
        }
        return pictures, logos

    # -- then the rows, in the caller's transaction

    def check_free(self) -> None:
        conflict = find_conflict(self.session)
        if conflict:
            raise DemoConflict(f"demo data is already present ({conflict})")

    def categories(self) -> dict[str, int]:
        existing = {c.slug: c for c in self.session.exec(select(Category)).all()}
        for position, (slug, icon) in enumerate(CATEGORIES):
            if slug not in existing:
                category = Category(slug=slug, position=position, icon=icon)
                self.session.add(category)
                existing[slug] = category
                self.summary.categories += 1
        self.session.flush()
        return {slug: c.id for slug, c in existing.items() if c.id is not None}

    def hash_passwords(self) -> None:
        """Hash the demo passwords before the first statement: never under the write lock."""
        passwords = {password for _, _, password, _, _ in STAFF} | {RESIDENT_PASSWORD}
        self.hashes = {password: hash_password(password) for password in passwords}

    def users(self) -> dict[str, User]:
        rng = self.rng
        users: dict[str, User] = {}

        def add(
            name: str,
            email: str,
            password: str,
            role: str,
            label: str,
            locale: str,
            place: _Place,
            bio: str = "",
        ) -> None:
            joined = self.now - timedelta(days=rng.uniform(40, 400))
            users[email] = User(
                name=name,
                email=email,
                password_hash=self.hashes[password],
                role=role,
                locale=locale,
                bio=bio,
                district=place.district,
                lat=place.lat,
                lon=place.lon,
                created_at=joined,
                updated_at=joined,
                password_changed_at=joined,
            )
            self.summary.accounts.append(
                DemoAccount(email=email, password=password, role=label, name=name)
            )

        for name, email, password, role, district in STAFF:
            add(name, email, password, role, role, "zh-CN", _place_near(district, rng, 0.5))
        for shop in SHOPS:
            label = f"shop owner ({shop.latin})"
            add(
                shop.owner,
                shop.owner_email,
                RESIDENT_PASSWORD,
                "user",
                label,
                shop.owner_locale,
                self.shop_places[shop.slug],
            )
        for resident in RESIDENTS:
            place = self.resident_places[resident.email]
            add(
                resident.name,
                resident.email,
                RESIDENT_PASSWORD,
                "user",
                "resident",
                resident.locale,
                place,
                resident.bio,
            )
        self.session.add_all(users.values())
        self.session.flush()
        self.summary.users = len(users)
        return users

    def shops(self, users: dict[str, User], logos: dict[str, media.StoredImage]) -> dict[str, Shop]:
        admin = users[ADMIN_EMAIL]
        shops: dict[str, Shop] = {}
        for spec in SHOPS:
            owner = users[spec.owner_email]
            place = self.shop_places[spec.slug]
            created = owner.created_at + timedelta(days=1)
            shop = Shop(
                owner_id=owner.id,
                name=spec.name,
                slug=spec.slug,
                description=spec.description,
                status="approved",
                phone=spec.phone,
                email=spec.owner_email,
                address=spec.address,
                pickup_point=spec.pickup_point,
                district=spec.district,
                lat=place.lat,
                lon=place.lon,
                opening_hours=json.dumps(spec.hours, ensure_ascii=False),
                logo_key=logos[spec.slug].key,
                created_at=created,
                reviewed_at=created + timedelta(hours=20),
                reviewed_by=admin.id,
            )
            shops[spec.slug] = shop
        self.session.add_all(shops.values())
        self.session.flush()
        for spec in SHOPS:
            shop = shops[spec.slug]
            member = ShopMember(
                shop_id=shop.id, user_id=shop.owner_id, role="owner", created_at=shop.created_at
            )
            self.session.add(member)
        self.summary.shops = len(shops)
        return shops

    def listings(
        self,
        plans: list[_PlannedListing],
        pictures: list[list[media.StoredImage]],
        categories: dict[str, int],
        users: dict[str, User],
        shops: dict[str, Shop],
    ) -> dict[str, Listing]:
        rng = self.rng
        by_title: dict[str, Listing] = {}
        for plan in plans:
            spec = plan.spec
            public_lat, public_lon = geo.public_position(plan.place.lat, plan.place.lon)
            listing = Listing(
                seller_id=users[plan.seller_email].id,
                shop_id=shops[plan.shop_slug].id if plan.shop_slug else None,
                kind="shop" if isinstance(spec, _Product) else "secondhand",
                category_id=categories[spec.category],
                title=spec.title,
                description=spec.description,
                price_cents=spec.price,
                status="active",
                district=plan.place.district,
                lat=plan.place.lat,
                lon=plan.place.lon,
                public_lat=public_lat,
                public_lon=public_lon,
                pickup=True,
                view_count=rng.randint(3, 240),
                created_at=plan.created_at,
                updated_at=plan.created_at,
                published_at=plan.created_at + timedelta(minutes=rng.randint(1, 20)),
            )
            if isinstance(spec, _Product):
                listing.condition = None
                listing.stock = spec.stock
                listing.local_delivery_fee_cents = spec.local_fee
                listing.courier_fee_cents = spec.courier_fee
                if spec.sale is not None:
                    listing.sale_price_cents = spec.sale
                    listing.sale_starts_at = self.now - timedelta(days=rng.randint(1, 3))
                    listing.sale_ends_at = self.now + timedelta(days=rng.randint(7, 14))
            else:
                listing.condition = spec.condition
                listing.stock = 1
                listing.negotiable = spec.negotiable
                listing.local_delivery_fee_cents = spec.local_fee
                listing.courier_fee_cents = spec.courier_fee
            by_title[spec.title] = listing
        self.session.add_all(by_title.values())
        self.session.flush()
        for plan in plans:
            if isinstance(plan.spec, _Product):
                listing = by_title[plan.spec.title]
                values = products.single_variant_values(
                    listing.id,
                    listing.price_cents,
                    listing.stock,
                    listing.created_at,
                    sale_price_cents=plan.spec.sale,
                )
                self.session.add(ListingVariant(**values))
        for plan, images in zip(plans, pictures, strict=True):
            listing = by_title[plan.spec.title]
            for position, stored in enumerate(images):
                self.session.add(
                    ListingImage(
                        listing_id=listing.id,
                        position=position,
                        storage_key=stored.key,
                        width=stored.width,
                        height=stored.height,
                        alt=listing.title[:120],
                        created_at=listing.created_at,
                    )
                )
                self.summary.images += 1
        self.summary.listings = len(by_title)
        return by_title

    def orders(self, users: dict[str, User], listings: dict[str, Listing]) -> None:
        """Finished orders, walked through the services a buyer and seller would use.

        Each is put in the cart, placed by checkout, paid through a gateway
        event, handed over or delivered, confirmed and reviewed, each step at
        its moment in the past; so stock, ledger, transitions and reviews are
        exactly what the app itself writes. The notices and emails those steps
        send are history, not news, and are dropped again.
        """
        rng = self.rng
        inbox_before = self._last_id(InboxItem)
        outbox_before = self._last_id(OutboxEmail)
        for spec in ORDERS:
            buyer = users[spec.buyer]
            placed = self.now - timedelta(days=spec.days_ago, hours=rng.uniform(0, 6))
            for title, quantity in spec.lines:
                carts.add(self.session, buyer.id, listings[title].id, None, quantity, now=placed)
            (part,) = checkout.preview(self.session, buyer.id, now=placed).parts
            group = checkout.place(
                self.session,
                buyer.id,
                key=checkout.new_key(),
                choices={part.key: self._choice(spec, part, buyer)},
                payment_method="escrow",
                now=placed,
            )
            at = placed + timedelta(minutes=rng.randint(1, 4))
            payment = payment_checkout.open_payment(self.session, group.public_id, buyer.id)
            event = webhooks.WebhookEvent(
                id=f"demo-{payment.gateway_ref}",
                type=webhooks.SUCCEEDED,
                reference=payment.gateway_ref,
                session_id="",
                amount_cents=payment.amount_cents,
            )
            webhooks.handle_event(self.session, event, now=at)
            (order,) = group.orders
            completed = self._fulfil(spec.delivery, order, at)
            self._reviews(spec, order, completed)
            self.summary.orders += 1
        self.session.exec(delete(InboxItem).where(InboxItem.id > inbox_before))
        self.session.exec(delete(OutboxEmail).where(OutboxEmail.id > outbox_before))

    def _last_id(self, table) -> int:
        return self.session.exec(select(func.coalesce(func.max(table.id), 0))).one()

    def _choice(
        self, spec: _OrderSpec, part: checkout.PartInfo, buyer: User
    ) -> checkout.SellerChoice:
        if spec.delivery == "pickup":
            first = part.slots[0].starts_at
            return checkout.SellerChoice("pickup", slot=fulfilment.slot_key(first))
        address = addresses.save_address(
            self.session,
            buyer.id,
            None,
            addresses.AddressInput(
                recipient=buyer.name, phone=DEMO_PHONE, line1=spec.address, city=TOWN_CITY
            ),
            make_default=True,
        )
        return checkout.SellerChoice(spec.delivery, address_id=address.id)

    def _fulfil(self, delivery: str, order: checkout.PlacedOrder, at: datetime) -> datetime:
        """The seller's steps and the buyer's confirmation; returns when it completed."""
        rng, s = self.rng, self.session
        seller, number = order.seller_id, order.number
        if delivery == "pickup":
            at += timedelta(hours=rng.uniform(1, 5))
            orders.mark_ready(s, seller, number, now=at)
            at += timedelta(hours=rng.uniform(6, 30))
            code = fulfilment.handover_code(order.id, number)
            orders.confirm_handover(s, seller, number, code, now=at)
        elif delivery == "local":
            at += timedelta(hours=rng.uniform(1, 3))
            orders.mark_out_for_delivery(s, seller, number, now=at)
            at += timedelta(hours=rng.uniform(1, 40))
            orders.mark_delivered(s, seller, number, now=at)
        else:
            at += timedelta(hours=rng.uniform(4, 20))
            tracking = f"SF{rng.randint(10**11, 10**12 - 1)}"
            orders.mark_shipped(s, seller, number, tracking, now=at)
            at += timedelta(hours=rng.uniform(20, 60))
            orders.mark_delivered(s, seller, number, now=at)
        at += timedelta(minutes=rng.randint(10, 600))
        orders.confirm_receipt(s, s.get(Order, order.id).buyer_id, number, now=at)
        return at

    def offers(self, users: dict[str, User], listings: dict[str, Listing]) -> None:
        """Offers waiting for an answer, so the offers page has something to show."""
        for buyer_email, title, amount, hours_ago in DEMO_OFFERS:
            listing = listings[title]
            made_at = self.now - timedelta(hours=hours_ago)
            offer = Offer(
                listing_id=listing.id,
                buyer_id=users[buyer_email].id,
                seller_id=listing.seller_id,
                amount_cents=amount,
                status="open",
                expires_at=made_at + timedelta(hours=settings.offer_hours),
                created_at=made_at,
                updated_at=made_at,
            )
            self.session.add(offer)
            self.session.flush()
            self.session.add(
                OfferTransition(
                    offer_id=offer.id,
                    to_status="open",
                    actor_id=offer.buyer_id,
                    amount_cents=amount,
                    at=made_at,
                )
            )

    def chats(self, users: dict[str, User], listings: dict[str, Listing]) -> None:
        """Conversations about listings, so the messages page has something to show."""
        for buyer_email, title, lines in DEMO_CHATS:
            listing = listings[title]
            buyer = users[buyer_email]
            conv = Conversation(
                topic=f"listing:{listing.id}:{buyer.id}",
                listing_id=listing.id,
                buyer_id=buyer.id,
                seller_id=listing.seller_id,
                created_at=self.now - timedelta(minutes=lines[0][2]),
            )
            self.session.add(conv)
            self.session.flush()
            for from_buyer, text, minutes_ago in lines:
                message = Message(
                    conversation_id=conv.id,
                    sender_id=buyer.id if from_buyer else listing.seller_id,
                    body=text,
                    created_at=self.now - timedelta(minutes=minutes_ago),
                )
                self.session.add(message)
                self.session.flush()
                # Each side has read up to what it wrote itself.
                if from_buyer:
                    conv.buyer_read_id = message.id
                else:
                    conv.seller_read_id = message.id
                conv.last_message_at = message.created_at
            self.session.add(conv)

    def _reviews(self, spec: _OrderSpec, order: checkout.PlacedOrder, completed: datetime) -> None:
        rng = self.rng
        at = completed + timedelta(hours=rng.uniform(1, 5))
        stars, text = spec.buyer_review
        buyer_id = self.session.get(Order, order.id).buyer_id
        product_stars = stars if order.shop_id is not None else None
        reviews.submit(
            self.session,
            buyer_id,
            order.number,
            stars=stars,
            text=text,
            product_stars=product_stars,
            now=at,
        )
        self.summary.reviews += 1
        if spec.seller_review:
            stars, text = spec.seller_review
            at += timedelta(hours=rng.uniform(1, 24))
            reviews.submit(
                self.session, order.seller_id, order.number, stars=stars, text=text, now=at
            )
            self.summary.reviews += 1

    def cleanup(self) -> None:
        for key in self.stored_keys:
            media.delete_image(key)


def _seed_blocked_terms(session: Session) -> None:
    """Add the demo blocklist terms that are not listed yet."""
    listed = set(session.exec(select(BlockedTerm.term)).all())
    session.add_all(BlockedTerm(term=t) for t in DEMO_BLOCKED_TERMS if t not in listed)


def seed_demo(session: Session, *, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Fill the database with the demo town, in the caller's transaction.

    Pictures are drawn and stored, and the passwords hashed, before the first
    statement, so on SQLite the write lock is held only while the rows are
    written. If anything fails
    the stored pictures are deleted again and the error propagates (the
    caller's transaction rolls back).

    Args:
        session: A write session; the caller commits.
        seed: Seeds the positions, colours and timestamps.

    Returns:
        What was created, with the demo accounts and their passwords.

    Raises:
        DemoConflict: A demo account or shop already exists.
    """
    seeder = _Seeder(session, seed)
    try:
        plans = seeder.plan_listings()
        pictures, logos = seeder.draw_pictures(plans)
        seeder.hash_passwords()
        seeder.check_free()
        categories = seeder.categories()
        users = seeder.users()
        shops = seeder.shops(users, logos)
        listings = seeder.listings(plans, pictures, categories, users, shops)
        seeder.orders(users, listings)
        _seed_blocked_terms(session)
        seeder.offers(users, listings)
        seeder.chats(users, listings)
        search.rebuild_index(session)
    except BaseException:
        seeder.cleanup()
        raise
    return seeder.summary
