-- The 1C pipelines no longer keep their own memory of landed objects: the raw loader compares every record
-- with the latest stored version of its key, and what a listing needs to know (the latest DataVersion, Date,
-- and whether an object was recorded as gone in raw.onec_removals) is read from the raw tables themselves.
drop table if exists ops.onec_object_state;
