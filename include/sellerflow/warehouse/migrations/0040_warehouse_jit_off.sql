-- Turn Postgres JIT off for sessions on the warehouse database (takes effect for new sessions).
--
-- dbt's incremental models read freshly made temporary relations and CTEs without planner statistics, so the
-- estimated cost of a statement that touches a few thousand rows runs into the millions and crosses
-- jit_above_cost: compiling the plan then takes longer than running it (measured: the incremental
-- reconciliation_order_lines statement at 200k order lines ran 5.4 s with JIT, 0.5 s without; bench/reconcile.py).
-- Where the migrating role does not own the database the setting is left alone, with a notice saying what to
-- run instead.
do $$
begin
    execute format('alter database %I set jit = off', current_database());
exception when insufficient_privilege then
    raise notice 'JIT stays on: the role % does not own database %. Run as its owner: alter database % set jit = off',
        current_user, current_database(), current_database();
end
$$;
