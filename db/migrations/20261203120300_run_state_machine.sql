-- migrate:up
-- Run states are enforced by the database, so no client (or bug) can move a run backwards,
-- reopen a finished one or move it to another sample:
--   PENDING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED; terminal states are final.
-- Errors carry SQLSTATE SQ001 so the API can report them as ILLEGAL_TRANSITION.

create function core.tg_runs__insert_pending() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if new.status <> 'PENDING' then
    raise exception using
      errcode = 'SQ001',
      message = format('a new run must be PENDING, not %s', new.status),
      hint = 'register the run, then start and finish it';
  end if;
  new.started_at := null;
  new.finished_at := null;
  new.exit_code := null;
  return new;
end;
$$;
revoke all on function core.tg_runs__insert_pending() from public;

create trigger _100_insert_pending
  before insert on core.runs
  for each row execute function core.tg_runs__insert_pending();

create function core.tg_runs__enforce_transition() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if new.run_id <> old.run_id or new.sample_id <> old.sample_id or new.created_at <> old.created_at then
    raise exception using
      errcode = 'SQ001',
      message = format('run %s: its id, sample and creation time never change', old.run_id);
  end if;

  if new.status = old.status then
    if old.status in ('SUCCEEDED', 'FAILED', 'CANCELLED') and new is distinct from old then
      raise exception using
        errcode = 'SQ001',
        message = format('run %s is %s and can no longer change', old.run_id, old.status);
    end if;
    -- timestamps belong to the state machine
    new.started_at := old.started_at;
    new.finished_at := old.finished_at;
    return new;
  end if;

  if not ((old.status = 'PENDING' and new.status = 'RUNNING')
       or (old.status = 'RUNNING' and new.status in ('SUCCEEDED', 'FAILED', 'CANCELLED'))) then
    raise exception using
      errcode = 'SQ001',
      message = format('illegal run status transition %s -> %s for run %s', old.status, new.status, old.run_id),
      hint = 'allowed: PENDING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED; terminal states are final';
  end if;

  if new.status = 'RUNNING' then
    new.started_at := now();
    new.finished_at := null;
  else
    new.started_at := old.started_at;
    new.finished_at := now();
  end if;
  return new;
end;
$$;
revoke all on function core.tg_runs__enforce_transition() from public;

create trigger _100_enforce_transition
  before update on core.runs
  for each row execute function core.tg_runs__enforce_transition();

-- migrate:down
drop trigger _100_enforce_transition on core.runs;
drop function core.tg_runs__enforce_transition();
drop trigger _100_insert_pending on core.runs;
drop function core.tg_runs__insert_pending();
