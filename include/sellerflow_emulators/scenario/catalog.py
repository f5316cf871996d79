"""The static part of the world: legal entities, 1C bases, products, cabinets, offers, warehouses, stock.

Produces table rows (tuples in the column order of :data:`COLUMNS`) plus a compact
in-memory view of each cabinet (:class:`AccountView`) that order generation draws from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sellerflow_emulators.runtime import format_ts
from sellerflow_emulators.scenario import ids
from sellerflow_emulators.scenario.jsonutil import dumps
from sellerflow_emulators.scenario.params import ACCOUNTS, BASE_OF_LEGAL_ENTITY, ScenarioParams

COLUMNS: dict[str, tuple[str, ...]] = {
    "legal_entities": ("id", "name", "inn", "kpp"),
    "onec_bases": ("id", "name", "username", "password"),
    "onec_organizations": ("ref_key", "base_id", "legal_entity_id", "data_version"),
    "products": (
        "ref_key",
        "base_id",
        "article",
        "name",
        "barcode",
        "vat_rate",
        "cost_kop",
        "weight_g",
        "storage_cell",
        "deletion_mark",
        "data_version",
    ),
    "accounts": (
        "id",
        "marketplace",
        "name",
        "legal_entity_id",
        "token",
        "client_id",
        "campaign_id",
        "token_expires_at",
        "scopes",
        "vendor",
    ),
    "offers": (
        "account_id",
        "offer_id",
        "product_ref",
        "mp_sku",
        "mp_product_id",
        "barcode",
        "name",
        "price_kop",
        "old_price_kop",
        "vendor",
        "updated_at",
    ),
    "warehouses": ("id", "owner", "kind", "external_id", "name"),
    "stocks": ("warehouse_id", "offer_id", "present", "reserved", "updated_at"),
    "onec_stock": ("warehouse_id", "product_ref", "in_stock", "reserved"),
    "onec_prices": ("product_ref", "price_type", "period", "price_kop"),
}

LEGAL_ENTITIES = (
    ("le1", 'ООО "Ромашка"', "772845173", "772801001"),
    ("le2", 'ООО "Северный ветер"', "781406259", "781401001"),
)
BASES = (
    ("ut_main", "УТ 11 — Ромашка", "odata.ut_main", "Rm-8841-odata"),
    ("ut_second", "УТ 11 — Северный ветер", "odata.ut_second", "Sv-3310-odata"),
)
# Catalog_ВидыЦен item holding the purchase cost (dbt var cost_price_type reads it for unit economics).
COST_PRICE_TYPE = "Себестоимость"
PRICE_TYPES = {
    "ozon": "Ozon",
    "wildberries": "Wildberries",
    "yandex_market": "Яндекс Маркет",
    "megamarket": "Мегамаркет",
}
# The marketplaces as counterparties in 1C (Catalog_Партнеры / Catalog_Контрагенты).
MARKETPLACE_PARTNERS = {
    "ozon": ('ООО "Интернет Решения"', "7704217370"),
    "wildberries": ('ООО "Вайлдберриз"', "7721546864"),
    "yandex_market": ('ООО "Яндекс Маркет"', "9704254424"),
    "megamarket": ('ООО "Маркетплейс"', "9701048328"),
}
WB_SCOPES = ("content", "analytics", "prices", "marketplace", "statistics", "promotion", "returns", "finance")
YM_SCOPES = ("all-methods",)
OZON_FBO_WAREHOUSES = (("15431806189000", "ХОРУГВИНО_РФЦ"), ("22020524437000", "ТВЕРЬ_РФЦ"))
WB_FBO_WAREHOUSES = (("507", "Коледино"), ("117501", "Подольск"), ("120762", "Электросталь"))

_CATEGORIES = (
    ("MUG", "Кружка керамическая", ("300 мл", "350 мл", "450 мл")),
    ("TSH", "Футболка хлопковая", ("S", "M", "L", "XL")),
    ("BPK", "Рюкзак городской", ("15 л", "20 л", "25 л")),
    ("THR", "Термос стальной", ("0,5 л", "0,75 л", "1 л")),
    ("TWL", "Полотенце махровое", ("50×90", "70×140")),
    ("CSE", "Чехол для смартфона", ("6,1''", "6,7''")),
    ("SCR", "Набор отвёрток", ("12 предметов", "24 предмета")),
    ("LMP", "Лампа настольная LED", ("5 Вт", "8 Вт")),
    ("YGM", "Коврик для йоги", ("4 мм", "6 мм", "8 мм")),
    ("BTL", "Бутылка для воды", ("500 мл", "750 мл")),
    ("PAN", "Сковорода антипригарная", ("24 см", "26 см", "28 см")),
    ("PLD", "Плед флисовый", ("130×170", "150×200")),
    ("UMB", "Зонт складной", ("автомат", "механика")),
    ("BOX", "Контейнер для еды", ("0,8 л", "1,2 л")),
    ("PIL", "Подушка ортопедическая", ("40×60", "50×70")),
    ("CBL", "Кабель USB-C", ("1 м", "2 м")),
)
_COLORS = ("чёрный", "белый", "синий", "красный", "зелёный", "серый", "бежевый")
_MSK_HOURS = "ABCD"


@dataclass(frozen=True)
class Product:
    """A product as both 1C bases know it (same article and barcode, different GUIDs)."""

    article: str
    name: str
    barcode: str
    vat_rate: str
    cost_kop: int
    base_price_kop: int
    refs: dict[str, str]  # base_id -> Ref_Key


@dataclass(frozen=True)
class Offer:
    """A product listed in one cabinet (what order generation needs of it)."""

    offer_id: str
    price_kop: int
    product_ref: str
    article: str
    mp_sku: int
    mp_product_id: int
    barcode: str
    mapped: bool


@dataclass
class AccountView:
    """One cabinet: its offers and warehouses per scheme."""

    id: str
    marketplace: str
    legal_entity_id: str
    base_id: str
    id_base: int
    schemes: tuple[tuple[str, float], ...]
    share: float
    offers: list[Offer] = field(default_factory=list)
    warehouses: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # scheme -> [(id, ext)]
    onec_warehouse: dict[str, str] = field(default_factory=dict)  # scheme -> 1C warehouse id
    vendor: dict[str, object] = field(default_factory=dict)


@dataclass
class Catalog:
    """Rows of the static tables plus the views order generation uses."""

    rows: dict[str, list[tuple[object, ...]]]
    accounts: dict[str, AccountView]
    products: list[Product]
    organizations: dict[str, str]  # base_id -> organization Ref_Key
    partners: dict[str, dict[str, dict[str, str]]]  # base_id -> marketplace -> {ref_key, name, inn}
    onec_warehouse_guids: dict[str, str]  # warehouse id -> 1C GUID


def product_count(params: ScenarioParams) -> int:
    """~200 products, growing slowly with the order volume."""
    total = params.days * params.orders_per_day
    return 200 + int((total**0.5) / 10)


def _price_kop(rng: random.Random) -> int:
    roubles = rng.choice((190, 290, 390, 490, 590, 790, 990, 1290, 1490, 1990, 2490, 2990, 3990, 4990))
    return roubles * 100


def _build_products(rng: random.Random, count: int) -> list[Product]:
    products: list[Product] = []
    barcodes: set[str] = set()
    articles: set[str] = set()
    per_category: dict[str, int] = {}
    for _ in range(count):
        code, noun, sizes = rng.choice(_CATEGORIES)
        per_category[code] = per_category.get(code, 0) + 1
        article = f"{code}-{1000 + per_category[code] * 7 + rng.randrange(7):05d}"
        while article in articles:
            article = f"{code}-{rng.randrange(10000, 99999):05d}"
        articles.add(article)
        barcode = ids.ean13(rng)
        while barcode in barcodes:
            barcode = ids.ean13(rng)
        barcodes.add(barcode)
        price = _price_kop(rng)
        vat = rng.choices(("НДС22", "НДС10", "БезНДС"), weights=(85, 10, 5))[0]
        products.append(
            Product(
                article=article,
                name=f"{noun} {rng.choice(sizes)}, {rng.choice(_COLORS)}",
                barcode=barcode,
                vat_rate=vat,
                cost_kop=int(price * rng.uniform(0.35, 0.6)),
                base_price_kop=price,
                refs={base_id: ids.guid(rng) for base_id, *_ in BASES},
            )
        )
    return products


def _unmapped_offer_id(rng: random.Random, article: str, taken: set[str]) -> str:
    """A seller SKU that names a real product but matches no Артикул (typos, suffixes)."""
    code, number = article.split("-")
    for candidate in (
        f"{code.lower()}{number}",
        f"{article}-1",
        f"{code}_{number}",
        f"{article}NEW",
        f"{code}{number}",
    ):
        if candidate not in taken:
            return candidate
    return f"{article}-{rng.randrange(100, 999)}"


def _account_row(rng: random.Random, spec_id: str, params: ScenarioParams) -> tuple[tuple[object, ...], dict]:
    spec = next(s for s in ACCOUNTS if s.id == spec_id)
    expires = params.end_at + timedelta(days=120 + rng.randrange(60))
    vendor: dict[str, object] = {}
    client_id: str | None = None
    campaign_id: str | None = None
    scopes: list[str] = []
    if spec.marketplace == "ozon":
        client_id = str(rng.randrange(1_000_000, 3_000_000))
        token = ids.guid(rng)
        scopes = ["admin"]
    elif spec.marketplace == "wildberries":
        seller_id = rng.randrange(100_000, 4_000_000)
        scopes = list(WB_SCOPES)
        mask = sum(1 << (i + 1) for i in range(len(scopes)))
        token = ids.wildberries_token(rng, seller_id, mask, int(expires.timestamp()))
        vendor["seller_id"] = seller_id
    elif spec.marketplace == "yandex_market":
        client_id = str(rng.randrange(10_000_000, 99_999_999))
        campaign_id = str(rng.randrange(20_000_000, 29_999_999))
        token = ids.yandex_market_api_key(rng)
        scopes = list(YM_SCOPES)
        vendor["campaigns"] = {"fbs": int(campaign_id), "dbs": int(campaign_id) + 1 + rng.randrange(5000)}
    else:
        client_id = str(rng.randrange(10_000, 99_999))
        token = ids.megamarket_token(rng)
    row = (
        spec.id,
        spec.marketplace,
        spec.name,
        spec.legal_entity_id,
        token,
        client_id,
        campaign_id,
        format_ts(expires),
        dumps(scopes),
    )
    return row, vendor


def _warehouses_for(rng: random.Random, view: AccountView) -> list[tuple[str, str, str, str]]:
    """(id, kind, external_id, name) of the cabinet's warehouses."""
    mp = view.marketplace
    out: list[tuple[str, str, str, str]] = []
    city = "Москва" if view.legal_entity_id == "le1" else "Санкт-Петербург"
    if mp == "ozon":
        out.append((f"{view.id}:fbs1", "fbs", str(rng.randrange(10**13, 3 * 10**13)), f"Склад {city} FBS"))
        out += [
            (f"{view.id}:fbo{i + 1}", "fbo", ext, name) for i, (ext, name) in enumerate(OZON_FBO_WAREHOUSES)
        ]
    elif mp == "wildberries":
        out.append((f"{view.id}:fbs1", "fbs", str(rng.randrange(600_000, 1_600_000)), f"Склад {city}"))
        out += [
            (f"{view.id}:fbo{i + 1}", "fbo", ext, name) for i, (ext, name) in enumerate(WB_FBO_WAREHOUSES)
        ]
    elif mp == "yandex_market":
        out.append((f"{view.id}:fbs1", "fbs", str(rng.randrange(100_000, 999_999)), f"Склад {city} FBS"))
        out.append((f"{view.id}:dbs1", "dbs", str(rng.randrange(100_000, 999_999)), f"Склад {city} DBS"))
    else:
        out.append((f"{view.id}:fbs1", "fbs", str(rng.randrange(10_000, 99_999)), f"Склад {city} FBS"))
        out.append((f"{view.id}:dbs1", "dbs", str(rng.randrange(10_000, 99_999)), f"Склад {city} DBS"))
    return out


def build_catalog(rng: random.Random, params: ScenarioParams) -> Catalog:
    """Build every static table of the world."""
    created = format_ts(params.start_at - timedelta(days=30))
    rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in COLUMNS}
    rows["legal_entities"] = [(le, name, ids.inn10(inn9), kpp) for le, name, inn9, kpp in LEGAL_ENTITIES]
    rows["onec_bases"] = [tuple(base) for base in BASES]
    organizations = {}
    for base_id, _, _, _ in BASES:
        le = next(le for le, b in BASE_OF_LEGAL_ENTITY.items() if b == base_id)
        ref = ids.guid(rng)
        organizations[base_id] = ref
        rows["onec_organizations"].append((ref, base_id, le, ids.data_version(rng)))
    partners = {
        base_id: {
            mp: {"ref_key": ids.stable_guid(base_id, "partner", mp), "name": name, "inn": inn}
            for mp, (name, inn) in MARKETPLACE_PARTNERS.items()
        }
        for base_id, *_ in BASES
    }

    products = _build_products(rng, product_count(params))
    for product in products:
        for base_id, *_ in BASES:
            cell = f"{rng.choice(_MSK_HOURS)}-{rng.randrange(1, 21):02d}-{rng.randrange(1, 7):02d}-{rng.randrange(1, 5)}"
            rows["products"].append(
                (
                    product.refs[base_id],
                    base_id,
                    product.article,
                    product.name,
                    product.barcode,
                    product.vat_rate,
                    product.cost_kop,
                    rng.randrange(80, 3000),
                    cell,
                    0,
                    ids.data_version(rng),
                )
            )

    # 1C warehouses: the seller's own store and the goods sitting at marketplaces (FBO).
    onec_guids: dict[str, str] = {}
    for base_id, *_ in BASES:
        city = "Москва" if base_id == "ut_main" else "Санкт-Петербург"
        for suffix, name in (
            ("main", f"Основной склад ({city})"),
            ("fbo", "Товары на складах маркетплейсов"),
        ):
            wid = f"onec:{base_id}:{suffix}"
            onec_guids[wid] = ids.guid(rng)
            rows["warehouses"].append((wid, f"onec:{base_id}", "onec", onec_guids[wid], name))

    price_period = format_ts(params.start_at - timedelta(days=30))
    for product in products:
        for base_id, *_ in BASES:
            rows["onec_prices"].append(
                (product.refs[base_id], "Розничная", price_period, product.base_price_kop)
            )
            rows["onec_prices"].append(
                (product.refs[base_id], COST_PRICE_TYPE, price_period, product.cost_kop)
            )

    accounts: dict[str, AccountView] = {}
    for spec in ACCOUNTS:
        row, vendor = _account_row(rng, spec.id, params)
        base_id = BASE_OF_LEGAL_ENTITY[spec.legal_entity_id]
        view = AccountView(
            id=spec.id,
            marketplace=spec.marketplace,
            legal_entity_id=spec.legal_entity_id,
            base_id=base_id,
            id_base=spec.id_base,
            schemes=spec.schemes,
            share=spec.share,
            vendor=vendor,
        )
        mapping: dict[str, str] = {}
        for wid, kind, ext, name in _warehouses_for(rng, view):
            rows["warehouses"].append((wid, spec.id, kind, ext, name))
            view.warehouses.setdefault(kind, []).append((wid, ext))
            onec_wid = f"onec:{base_id}:{'fbo' if kind == 'fbo' else 'main'}"
            view.onec_warehouse[kind] = onec_wid
            mapping[ext] = onec_wid
        vendor["warehouse_mapping"] = mapping
        rows["accounts"].append((*row, dumps(vendor)))
        accounts[spec.id] = view
        _add_offers(rng, params, view, products, rows, created)

    _add_stock(rng, products, accounts, rows, created)
    return Catalog(rows, accounts, products, organizations, partners, onec_guids)


def _add_offers(
    rng: random.Random,
    params: ScenarioParams,
    view: AccountView,
    products: list[Product],
    rows: dict[str, list[tuple[object, ...]]],
    created: str,
) -> None:
    listed = [p for p in products if rng.random() < 0.85]
    unmapped = set(rng.sample(range(len(listed)), k=min(len(listed), 3 + rng.randrange(3))))
    taken = {p.article for p in products}
    markup = {"ozon": 1.0, "wildberries": 1.1, "yandex_market": 0.95, "megamarket": 0.97}[view.marketplace]
    sku_base = {
        "ozon": 1_500_000_000,
        "wildberries": 180_000_000,
        "yandex_market": 101_000_000_000,
        "megamarket": 100_030_000_000,
    }[view.marketplace]
    for index, product in enumerate(listed):
        mapped = index not in unmapped
        offer_id = product.article if mapped else _unmapped_offer_id(rng, product.article, taken)
        taken.add(offer_id)
        price = round(product.base_price_kop * markup / 1000) * 1000 - 100  # ...,90 roubles
        ref = product.refs[view.base_id]
        mp_sku = sku_base + rng.randrange(10_000_000)
        mp_product_id = rng.randrange(100_000_000, 999_999_999)
        old_price = price + int(price * rng.choice((0, 0, 0.1, 0.2, 0.3))) // 100 * 100
        vendor: dict[str, object] = {}
        if view.marketplace == "wildberries":
            vendor = {"imtID": mp_sku - rng.randrange(1, 50_000), "techSize": "0", "brand": "Ромашка"}
        view.offers.append(
            Offer(offer_id, price, ref, product.article, mp_sku, mp_product_id, product.barcode, mapped)
        )
        rows["offers"].append(
            (
                view.id,
                offer_id,
                ref,
                mp_sku,
                mp_product_id,
                product.barcode,
                product.name,
                price,
                old_price if old_price != price else None,
                dumps(vendor),
                created,
            )
        )
        rows["onec_prices"].append(
            (ref, PRICE_TYPES[view.marketplace], format_ts(params.start_at - timedelta(days=30)), price)
        )


def _add_stock(
    rng: random.Random,
    products: list[Product],
    accounts: dict[str, AccountView],
    rows: dict[str, list[tuple[object, ...]]],
    created: str,
) -> None:
    free: dict[tuple[str, str], int] = {}
    for product in products:
        for base_id, *_ in BASES:
            main = rng.randrange(0, 600)
            free[(base_id, product.refs[base_id])] = main
            rows["onec_stock"].append((f"onec:{base_id}:main", product.refs[base_id], main, 0))
            rows["onec_stock"].append(
                (f"onec:{base_id}:fbo", product.refs[base_id], rng.randrange(0, 300), 0)
            )
    for view in accounts.values():
        for kind, warehouses in sorted(view.warehouses.items()):
            for wid, _ in warehouses:
                for offer in view.offers:
                    if kind == "fbo":
                        present = rng.randrange(0, 150)
                    else:  # what the seller last published: mostly the 1C free stock, sometimes stale
                        present = free[(view.base_id, offer.product_ref)]
                        if rng.random() < 0.1:
                            present = max(0, present + rng.randrange(-20, 20))
                    rows["stocks"].append((wid, offer.offer_id, present, 0, created))
