-- 1C's streams run on the marketplaces' runner (sellerflow.extract.runner): a stream's state is its ops.sync_state
-- row under the stream's name (the raw entity), the JSON cursor holding all it resumes from. The document streams
-- kept theirs as 'documents:<entity>' with the watermark in the column only: carry those rows over, so the next
-- cycle goes on from the same watermark instead of sweeping all history once.
update ops.sync_state as old
set stream = substr(old.stream, length('documents:') + 1),
    cursor = coalesce(old.cursor, '{}'::jsonb) || jsonb_build_object('watermark', old.watermark)
where old.source = 'onec'
  and old.stream like 'documents:%'
  and not exists (
      select 1 from ops.sync_state as new
      where new.source = old.source and new.account_id = old.account_id
        and new.stream = substr(old.stream, length('documents:') + 1)
  );
