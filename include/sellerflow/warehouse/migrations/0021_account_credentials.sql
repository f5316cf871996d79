-- What is known about each marketplace account's token: expiry and scopes (read from the vendor where it
-- exposes them, else from the Airflow connection), and the last authentication failure, for monitoring.
create table if not exists ops.account_credentials (
    source            text        not null,
    account_id        text        not null,
    conn_id           text        not null,
    token_expires_at  timestamptz,
    scopes            jsonb       not null default '[]',
    scopes_source     text        not null default 'connection',
    status            text        not null default 'ok' check (status in ('ok', 'expiring', 'expired', 'failed')),
    message           text,
    checked_at        timestamptz not null default now(),
    primary key (source, account_id)
);

comment on table ops.account_credentials is
    'Token expiry, scopes and last auth failure per marketplace account (never the token itself).';
