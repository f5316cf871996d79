-- Report files uploaded through the pages (Megamarket's closing reports and other file-only money): who sent
-- which file for which account, and what the importer said. The file itself goes through the importer into
-- raw.*; this is the upload history the report-upload page shows.
create table if not exists ops.report_uploads (
    id           bigserial   primary key,
    source       text        not null,
    account_id   text        not null,
    filename     text        not null,
    size_bytes   bigint      not null,
    sha256       text        not null,
    uploaded_by  text        not null,
    uploaded_at  timestamptz not null default clock_timestamp(),
    status       text        not null check (status in ('imported', 'refused', 'failed')),
    rows         bigint,
    message      text
);

create index if not exists report_uploads_account_idx on ops.report_uploads (source, account_id, uploaded_at desc);

comment on table ops.report_uploads is 'Report files uploaded through the pages, with the importer''s verdict.';
