-- Incremental extraction state per (source, account, stream).
-- watermark: the timestamp up to which the stream is known complete (every source filters on a time:
--   Wildberries dateFrom/lastChangeDate, Ozon since/to, Yandex Market updatedAtFrom, 1C $filter on Date).
-- cursor: anything else a stream needs to resume (Ozon last_id, Yandex Market page_token, report ids).
create table if not exists ops.sync_state (
    source      text        not null,
    account_id  text        not null,
    stream      text        not null,
    watermark   timestamptz,
    cursor      jsonb,
    updated_at  timestamptz not null default now(),
    primary key (source, account_id, stream)
);

comment on table ops.sync_state is 'Watermark and resume cursor per (source, account_id, stream).';
