-- Schema drift (sellerflow.quality.schema_drift): a field of a vendor payload that the stream's contract does not
-- declare (new), a required one absent (missing), or one of another JSON type (retyped), found while landing.
-- One row per (source, raw entity, field path, kind): a drift repeated every cycle counts up here instead of adding
-- rows. The record itself lands in raw as always; sample_raw_id points at a version that showed the drift.
create table if not exists ops.schema_drift (
    id                 bigserial   primary key,
    source             text        not null,
    entity             text        not null,  -- raw.<source>_<entity>
    stream             text        not null,  -- the extract stream that landed it (last seen)
    field_path         text        not null,  -- dotted, [] for array items: products[].sku
    kind               text        not null check (kind in ('new', 'missing', 'retyped')),
    expected_type      text,                  -- the contract's JSON types, e.g. integer|null (null for new)
    seen_type          text,                  -- the JSON types seen (null for missing)
    account_id         text        not null,  -- the last account it was seen in
    accounts           text[]      not null,  -- every account it was seen in
    first_seen         timestamptz not null default now(),
    last_seen          timestamptz not null default now(),
    record_count       bigint      not null,  -- records that showed it, over every run
    last_run_id        text        not null,
    sample_natural_key text,
    sample_raw_id      bigint,
    acknowledged_at    timestamptz,           -- null: open (shown on the health page)
    unique (source, entity, field_path, kind)
);

create index if not exists schema_drift_open_idx on ops.schema_drift (last_seen desc) where acknowledged_at is null;

comment on table ops.schema_drift is
    'Vendor payload fields that differ from the stream contract (new, missing, retyped); one row per field and kind.';
