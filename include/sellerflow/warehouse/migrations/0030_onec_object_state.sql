-- What the 1C extraction last landed per object, so an incremental cycle asks 1C only for what changed.
-- version: DataVersion for documents and catalog items (1C changes it on every write), the sha256 of the
--   payload for register rows (balances, barcodes, prices have no DataVersion).
-- doc_date: a document's Date (UTC), so a windowed listing can tell deleted documents from older ones.
-- present: false once the object vanished from a complete listing (physically deleted, balance gone to zero).
create table if not exists ops.onec_object_state (
    base_id      text        not null,
    entity       text        not null,
    natural_key  text        not null,
    version      text        not null,
    doc_date     timestamptz,
    present      boolean     not null default true,
    updated_at   timestamptz not null default now(),
    primary key (base_id, entity, natural_key)
);

create index if not exists onec_object_state_dated_idx
    on ops.onec_object_state (base_id, entity, doc_date) where present;

comment on table ops.onec_object_state is
    'Last landed version per 1C object (base, raw entity, natural key): the memory of incremental 1C extraction.';
