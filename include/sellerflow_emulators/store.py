"""The canonical emulator world: one SQLite file shared by every vendor emulator.

This schema is the contract between the scenario generator (which fills it) and the
vendor apps (which render it in each vendor's own shapes and write back what sellers
push: statuses, stock, prices, 1C documents). Vendor-specific identifiers that have no
canonical column live in the ``vendor`` JSON column of their row.

Conventions
- Timestamps are ISO-8601 UTC strings ``YYYY-MM-DDTHH:MM:SSZ`` (sortable as text).
- Money is stored as integer kopecks (``*_kop``) so that sums are exact.
- ``marketplace`` is one of ``ozon``, ``wildberries``, ``yandex_market``, ``megamarket``.
- Visibility follows the simulated clock (``meta.clock``): an API shows a row only when
  its ``created_at`` (or ``published_at`` for reports) is <= the clock, and an order's
  status is the last ``order_status_history`` entry at or before the clock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1

DDL = """
create table if not exists meta (
    key   text primary key,
    value text not null                 -- clock, seed, schema_version, scenario params (JSON)
);

create table if not exists legal_entities (
    id    text primary key,             -- 'le1', 'le2'
    name  text not null,                -- 'ООО "Ромашка"'
    inn   text not null,
    kpp   text
);

create table if not exists accounts (   -- one marketplace cabinet
    id              text primary key,   -- 'ozon_main', 'wildberries_second', ...
    marketplace     text not null,
    name            text not null,
    legal_entity_id text not null references legal_entities(id),
    token           text not null,      -- API key / bearer token the emulator accepts
    client_id       text,               -- Ozon Client-Id; YM business id; MM merchant id
    campaign_id     text,               -- YM campaign id
    token_expires_at text,              -- for 401 "expired token" and scope monitoring
    scopes          text,               -- JSON list (WB token categories, YM scopes)
    vendor          text not null default '{}'  -- JSON, vendor-specific settings
);

create table if not exists onec_bases (  -- one 1C:УТ 11 infobase served over OData
    id        text primary key,          -- 'ut_main', 'ut_second'
    name      text not null,
    username  text not null,
    password  text not null
);

create table if not exists onec_organizations (  -- Catalog_Организации in a base
    ref_key         text primary key,    -- GUID
    base_id         text not null references onec_bases(id),
    legal_entity_id text not null references legal_entities(id),
    data_version    text not null
);

create table if not exists products (   -- 1C Catalog_Номенклатура, one row per base
    ref_key       text primary key,     -- GUID
    base_id       text not null references onec_bases(id),
    article       text not null,        -- Артикул; the default marketplace mapping key
    name          text not null,
    barcode       text not null,        -- EAN-13
    vat_rate      text not null,        -- 'НДС22' (2026 standard rate), 'НДС20', 'НДС10', 'БезНДС'
    cost_kop      integer not null,     -- cost price in kopecks
    weight_g      integer not null,
    storage_cell  text not null,        -- warehouse address 'A-01-02-3'
    deletion_mark integer not null default 0,
    data_version  text not null
);

create table if not exists offers (     -- a product listed in a marketplace cabinet
    account_id    text not null references accounts(id),
    offer_id      text not null,        -- seller's SKU on the marketplace (= article unless unmapped)
    product_ref   text references products(ref_key),  -- the true product; unmapped SKUs (offer_id matching no Артикул) still point to it
    mp_sku        integer not null,     -- Ozon sku / WB nmId / YM marketSku / MM goodsId
    mp_product_id integer not null,     -- Ozon product_id / WB chrtId / YM-MM internal id
    barcode       text not null,
    name          text not null,
    price_kop     integer not null,
    old_price_kop integer,
    vendor        text not null default '{}',
    updated_at    text not null,
    primary key (account_id, offer_id)
);

create table if not exists warehouses (
    id          text primary key,       -- 'ozon_main:fbs1', 'onec:ut_main:msk'
    owner       text not null,          -- account id, or 'onec:<base_id>'
    kind        text not null,          -- 'fbs', 'fbo', 'dbs', 'onec'
    external_id text not null,          -- vendor's warehouse id (int as text) or 1C GUID
    name        text not null
);

create table if not exists stocks (     -- marketplace stock (FBS as published by the seller, FBO as counted by the marketplace)
    warehouse_id text not null references warehouses(id),
    offer_id     text not null,
    present      integer not null,
    reserved     integer not null default 0,
    updated_at   text not null,
    primary key (warehouse_id, offer_id)
);

create table if not exists onec_stock (  -- AccumulationRegister_ТоварыНаСкладах balances
    warehouse_id text not null references warehouses(id),
    product_ref  text not null references products(ref_key),
    in_stock     integer not null,       -- ВНаличииBalance
    reserved     integer not null,       -- reserve from posted ЗаказКлиента
    primary key (warehouse_id, product_ref)
);

create table if not exists onec_prices (  -- InformationRegister_ЦеныНоменклатуры records
    product_ref  text not null references products(ref_key),
    price_type   text not null,           -- 'Розничная', 'Ozon', ...
    period       text not null,           -- effective from
    price_kop    integer not null,
    primary key (product_ref, price_type, period)
);

create table if not exists orders (      -- a marketplace order / posting / shipment
    id             integer primary key,
    account_id     text not null references accounts(id),
    order_number   text not null,        -- the key 1C keeps in НомерПоДаннымКлиента and the report carries
    posting_number text not null,        -- Ozon posting, WB assembly task id / srid, YM order id, MM shipmentId
    scheme         text not null,        -- 'fbs', 'fbo', 'dbs'
    warehouse_id   text references warehouses(id),
    created_at     text not null,
    ship_by        text,                 -- shipment deadline
    vendor         text not null default '{}',  -- e.g. WB {"srid","rid","orderUid","nmId",...}
    unique (account_id, posting_number)
);
create index if not exists orders_account_created on orders(account_id, created_at);

create table if not exists order_lines (
    order_id   integer not null references orders(id),
    line_no    integer not null,         -- 1..n (MM: one line per unit with itemIndex = line_no)
    offer_id   text not null,
    quantity   integer not null,
    price_kop  integer not null,         -- price per unit paid by the buyer
    primary key (order_id, line_no)
);

create table if not exists order_status_history (
    order_id   integer not null references orders(id),
    at         text not null,
    status     text not null,            -- canonical: awaiting_packaging, awaiting_deliver, delivering, delivered, cancelled, returned
    vendor_status text not null,         -- the vendor's own code ('awaiting_packaging', 'confirm', 'PROCESSING/STARTED', ...)
    actor      text not null,            -- 'marketplace', 'seller' (pushed through the API), 'buyer'
    primary key (order_id, at, status)
);

create table if not exists onec_documents (  -- ЗаказКлиента, РеализацияТоваровУслуг, ВозвратТоваровОтКлиента
    ref_key       text primary key,      -- GUID
    base_id       text not null references onec_bases(id),
    doc_type      text not null,         -- 'ЗаказКлиента', 'РеализацияТоваровУслуг', 'ВозвратТоваровОтКлиента'
    number        text not null,         -- Number, e.g. 'УТ-000123'
    date          text not null,
    organization_ref text not null references onec_organizations(ref_key),
    partner_ref   text,
    warehouse_id  text references warehouses(id),
    customer_order_number text,          -- НомерПоДаннымКлиента (ЗаказКлиента)
    base_doc_ref  text,                  -- ЗаказКлиента for a Реализация; Реализация for a Возврат
    posted        integer not null default 1,
    deletion_mark integer not null default 0,
    data_version  text not null,
    fields        text not null default '{}'  -- any other attributes, JSON
);
create index if not exists onec_documents_type_date on onec_documents(base_id, doc_type, date);

create table if not exists onec_document_lines (  -- tabular section Товары
    doc_ref      text not null references onec_documents(ref_key),
    line_no      integer not null,       -- LineNumber
    product_ref  text not null references products(ref_key),
    quantity     integer not null,
    price_kop    integer not null,
    amount_kop   integer not null,
    fields       text not null default '{}',   -- e.g. ВариантОбеспечения
    primary key (doc_ref, line_no)
);

create table if not exists reports (     -- a commission / realization report for one period
    id           text primary key,       -- vendor report id
    account_id   text not null references accounts(id),
    period_start text not null,          -- inclusive date
    period_end   text not null,          -- inclusive date
    published_at text not null,          -- invisible before this clock time
    totals       text not null default '{}'  -- the report's own totals (JSON, kopecks)
);

create table if not exists report_lines (
    report_id      text not null references reports(id),
    line_no        integer not null,     -- rrdId for WB, row number elsewhere
    order_number   text not null,
    posting_number text,
    offer_id       text not null,
    operation      text not null,        -- canonical: sale, return, commission, logistics, penalty, storage, acquiring, other
    quantity       integer not null,
    amount_kop     integer not null,     -- sale/return amount (positive; the operation carries the sign)
    commission_kop integer not null default 0,
    logistics_kop  integer not null default 0,
    penalty_kop    integer not null default 0,
    payout_kop     integer not null default 0,
    operation_at   text not null,
    vendor         text not null default '{}',
    primary key (report_id, line_no)
);

create table if not exists push_log (     -- every write a client made, for tests and the demo summary
    id         integer primary key,
    vendor     text not null,
    account_id text,
    method     text not null,
    path       text not null,
    at         text not null,             -- simulated clock
    body       text not null
);
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open the world database (creating the schema if it is new) with row access by name."""
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma foreign_keys=on")
    conn.executescript(DDL)
    conn.execute(
        "insert or ignore into meta(key, value) values ('schema_version', ?)", (str(SCHEMA_VERSION),)
    )
    conn.commit()
    return conn
