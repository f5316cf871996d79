-- The reverse-ETL outbox (sellerflow.reverse_etl): every write sellerflow makes into someone else's system
-- (1C reservations, marketplace stocks/statuses/prices) is first an item here, then sent by the target's sender.
--
-- An item is one desired state of one thing at the target (item_key, e.g. one order's reservation), with the
-- payload the sync model computed and its hash. At most one item per (target, item_key) is open (not
-- acknowledged, not superseded): a newer desired state supersedes the open one. States:
--   pending      waiting to be sent
--   sending      claimed by a sender (claimed_at); a sender that died leaves it here until the lease expires,
--                and the next claim reads the target back before writing again
--   acknowledged the target confirmed the effect (the row is also the latest in ops.outbox_acknowledged)
--   failed       a transient failure; sent again at retry_at (back-off)
--   parked       a permanent failure (the vendor's message in reason); waits for a person: replay
--   held         waits for approval (e.g. a price drop); approve releases it to pending
--   dry_run      a dry run recorded what would be sent and sent nothing
--   superseded   replaced by a newer desired state before it was acknowledged
create table if not exists ops.outbox (
    id               bigserial   primary key,
    target           text        not null,
    account_id       text        not null,          -- where it goes: a 1C base id, a marketplace account id
    item_key         text        not null,
    payload          jsonb       not null,
    payload_hash     text        not null,
    state            text        not null default 'pending',
    reason           text,                          -- why failed / parked / held (the vendor's own message)
    attempts         integer     not null default 0,
    retry_at         timestamptz,
    first_seen_at    timestamptz,                   -- when the source first showed the change (latency)
    created_at       timestamptz not null default clock_timestamp(),
    updated_at       timestamptz not null default clock_timestamp(),
    claimed_at       timestamptz,
    claimed_by       text,
    acknowledged_at  timestamptz,
    remote_ref       text,                          -- the vendor's id of the effect (1C Ref_Key, ...)
    constraint outbox_state_check check (state in (
        'pending', 'sending', 'acknowledged', 'failed', 'parked', 'held', 'dry_run', 'superseded'))
);

create unique index if not exists outbox_one_open_item on ops.outbox (target, item_key)
    where state not in ('acknowledged', 'superseded');
create index if not exists outbox_due on ops.outbox (target, state, retry_at)
    where state in ('pending', 'failed', 'sending');
create index if not exists outbox_key on ops.outbox (target, item_key, id desc);

comment on table ops.outbox is
    'Reverse-ETL outbox: one row per desired state of one item at a target, with its delivery state.';

-- Every attempt to deliver an item (or to read it back), with the vendor's answer. Never updated.
create table if not exists ops.outbox_attempts (
    id           bigserial   primary key,
    outbox_id    bigint      not null references ops.outbox (id),
    attempt      integer     not null,
    started_at   timestamptz not null,
    finished_at  timestamptz not null default clock_timestamp(),
    outcome      text        not null,              -- acknowledged, transient, permanent, dry_run
    http_status  integer,
    vendor_code  text,
    message      text,
    requests     jsonb       not null default '[]', -- the calls made: method and resource, never credentials
    dry_run      boolean     not null default false,
    sender       text
);

create index if not exists outbox_attempts_item on ops.outbox_attempts (outbox_id, id);

comment on table ops.outbox_attempts is 'Reverse-ETL: each delivery attempt of an outbox item and its result.';

-- The last acknowledged state per (target, item_key): what the sync models diff their desired state against.
create table if not exists ops.outbox_acknowledged (
    target           text        not null,
    item_key         text        not null,
    account_id       text        not null,
    payload_hash     text        not null,
    payload          jsonb       not null,
    outbox_id        bigint      not null references ops.outbox (id),
    remote_ref       text,
    acknowledged_at  timestamptz not null,
    primary key (target, item_key)
);

comment on table ops.outbox_acknowledged is
    'Reverse-ETL: the last state each target acknowledged per item (the base of the sync models'' diff).';

-- Per-account settings the sync models need from the Airflow connections (never secrets): the 1C base,
-- organization, partner/counterparty (the commissioner) and warehouse mapping of each marketplace cabinet.
create table if not exists ops.reverse_etl_accounts (
    account_id   text        primary key,
    marketplace  text        not null,
    settings     jsonb       not null,
    updated_at   timestamptz not null default clock_timestamp()
);

comment on table ops.reverse_etl_accounts is
    'Reverse-ETL: non-secret settings of each marketplace cabinet (1C base, organization, partner, warehouses).';
