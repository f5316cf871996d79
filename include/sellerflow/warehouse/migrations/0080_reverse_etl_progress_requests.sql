-- Order progress reported by other sellerflow parts (the TSD pick-list helper: "assembled") before 1C shows it.
-- The statuses sync models read it beside 1C (ЗаказКлиента КОтгрузке, posted Реализация); written by
-- sellerflow.reverse_etl.statuses.request_assembled.
create table if not exists ops.reverse_etl_progress_requests (
    account_id       text        not null,
    vendor_order_id  text        not null,
    progress         text        not null check (progress in ('assembled')),
    requested_by     text        not null,
    requested_at     timestamptz not null default clock_timestamp(),
    primary key (account_id, vendor_order_id, progress)
);

comment on table ops.reverse_etl_progress_requests is
    'Reverse-ETL: order progress another part of sellerflow asked to push (e.g. assembled by the TSD helper).';
