-- Pick lists for warehouse handhelds (TSD), sellerflow.picking.
--
-- A pick list groups orders awaiting assembly of one warehouse. Its items keep the marketplace's picking unit
-- (WB assembly task, Ozon posting product, YM order item, MM lot with itemIndex); the device sees them folded
-- into lines (one per item and storage cell, sorted by cell). A device claims a list (one holder at a time, a
-- lease renewed by every call), posts scans (idempotent by the client's scan id) and finishes it; what was not
-- found is recorded as a shortage per item. Device tokens are stored as sha256 hashes only.

create table if not exists ops.tsd_devices (
    id             bigserial   primary key,
    name           text        not null unique,
    warehouse_key  text        not null,
    token_hash     text        not null unique,     -- sha256 hex of the bearer token; the token itself is never stored
    created_at     timestamptz not null default clock_timestamp(),
    revoked_at     timestamptz,
    last_seen_at   timestamptz
);

comment on table ops.tsd_devices is 'TSD devices: a bearer token (hashed) bound to one warehouse.';

create table if not exists ops.pick_lists (
    id                bigserial   primary key,
    warehouse_key     text        not null,
    warehouse_name    text        not null,
    status            text        not null default 'open',
    created_at        timestamptz not null default clock_timestamp(),
    updated_at        timestamptz not null default clock_timestamp(),
    claimed_by        bigint      references ops.tsd_devices (id),
    claimed_at        timestamptz,
    claim_expires_at  timestamptz,
    finished_at       timestamptz,
    finished_by       bigint      references ops.tsd_devices (id),
    constraint pick_lists_status_check check (status in ('open', 'claimed', 'finished', 'cancelled'))
);

create index if not exists pick_lists_open on ops.pick_lists (warehouse_key, status) where status in ('open', 'claimed');

comment on table ops.pick_lists is 'Pick lists: open → claimed (one device, a lease) → finished; cancelled when every order was.';

-- One marketplace posting on a list. A posting is put on one list only (the unique key).
create table if not exists ops.pick_list_orders (
    id              bigserial   primary key,
    pick_list_id    bigint      not null references ops.pick_lists (id),
    marketplace     text        not null,
    account_id      text        not null,
    order_number    text        not null,
    posting_number  text        not null,
    order_group     text        not null,
    struck_at       timestamptz,                    -- cancelled while on the list
    assembled_at    timestamptz,                    -- the list was finished with this posting on it
    short_units     integer,                        -- units not found at finish (0 = complete)
    unique (marketplace, account_id, posting_number)
);

create index if not exists pick_list_orders_list on ops.pick_list_orders (pick_list_id);

comment on table ops.pick_list_orders is
    'Postings on pick lists; assembled_at/short_units once the list is finished (read by the statuses push).';

create table if not exists ops.pick_list_items (
    id              bigserial   primary key,
    pick_list_id    bigint      not null references ops.pick_lists (id),
    order_id        bigint      not null references ops.pick_list_orders (id),
    line_key        text        not null,           -- items of one line: same item and cell
    unit_ref        text,                           -- WB task id, Ozon SKU, YM item id, MM itemIndex
    product_ref     text,
    offer_id        text,
    article         text,
    name            text        not null,
    barcodes        text[]      not null default '{}',
    cell            text,
    quantity        integer     not null check (quantity > 0),
    picked          integer     not null default 0 check (picked >= 0 and picked <= quantity),
    struck          boolean     not null default false,
    short           integer                         -- set at finish: quantity - picked (0 when struck)
);

create index if not exists pick_list_items_list on ops.pick_list_items (pick_list_id, line_key);

create table if not exists ops.pick_list_scans (
    id              bigserial   primary key,
    pick_list_id    bigint      not null references ops.pick_lists (id),
    device_id       bigint      not null references ops.tsd_devices (id),
    scan_id         text        not null,
    barcode         text        not null,
    quantity        integer     not null,
    line_key        text        not null,
    allocation      jsonb       not null,           -- [{item_id, quantity}]
    received_at     timestamptz not null default clock_timestamp(),
    unique (pick_list_id, scan_id)
);

comment on table ops.pick_list_scans is 'Accepted scans; the client scan id makes a repeated post harmless.';

-- What a device must be told: an order struck from its list, a list cancelled.
create table if not exists ops.pick_list_events (
    id              bigserial   primary key,
    pick_list_id    bigint      not null references ops.pick_lists (id),
    kind            text        not null,
    message         text        not null,
    payload         jsonb       not null default '{}',
    created_at      timestamptz not null default clock_timestamp()
);

create index if not exists pick_list_events_list on ops.pick_list_events (pick_list_id, id);
