-- An attempt the vendor answered with its rate limit (429, Yandex Market's 420, Ozon's TOO_MANY_REQUESTS): the
-- vendor asked us to wait, nothing was wrong with the item, so such attempts never count toward parking it.
alter table ops.outbox_attempts add column if not exists throttled boolean not null default false;

comment on column ops.outbox_attempts.throttled is
    'The vendor answered with its rate limit (wait and send again); not counted toward parking the item.';
