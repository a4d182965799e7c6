-- migrate:up
-- Every ingest write appends a row here in the same transaction, so who changed what
-- can always be answered. The log is append-only: runtime roles are granted INSERT only,
-- and triggers refuse UPDATE, DELETE and TRUNCATE from anyone, owner included, short of
-- dropping the triggers in a migration. It holds no PHI: principals, actions, ids.
create table core.audit_events (
  event_id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  -- name of the API token (or role) that made the request
  principal text not null
    check (length(principal) between 1 and 200),
  action text not null
    check (action ~ '^[a-z][a-z_]{0,63}$'),
  run_id uuid references core.runs (run_id) on delete restrict,
  sample_id text references core.samples (sample_id) on delete restrict,
  request_id text not null
    check (length(request_id) between 1 and 200),
  -- counts and ids only, e.g. {"files": 12}
  details jsonb not null default '{}'
    check (jsonb_typeof(details) = 'object')
);
create index audit_events_run_id_idx on core.audit_events (run_id);
create index audit_events_sample_id_idx on core.audit_events (sample_id);

grant insert (principal, action, run_id, sample_id, request_id, details) on core.audit_events to etl_worker;

create function core.tg_audit_events__refuse_change() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using
    errcode = 'SQ002',
    message = format('audit events are append-only: %s refused', tg_op);
end;
$$;
revoke all on function core.tg_audit_events__refuse_change() from public;

create trigger _100_refuse_change
  before update or delete on core.audit_events
  for each row execute function core.tg_audit_events__refuse_change();

create trigger _100_refuse_truncate
  before truncate on core.audit_events
  for each statement execute function core.tg_audit_events__refuse_change();

-- migrate:down
drop trigger _100_refuse_truncate on core.audit_events;
drop trigger _100_refuse_change on core.audit_events;
drop function core.tg_audit_events__refuse_change();
drop table core.audit_events;
