-- Database level, as a superuser connected to the application database; safe to run again.
-- Postgres opens every new database to PUBLIC (CONNECT, TEMP) and, before 15, lets
-- PUBLIC create objects in schema public. Here only the three logins may connect, and
-- nobody but the owner creates anything.
-- Parameters (set_config, transaction-local): seqmeta.owner_role
do $$
declare
  owner_role text := current_setting('seqmeta.owner_role');
begin
  execute format('alter database %I owner to %I', current_database(), owner_role);
  execute format('revoke all on database %I from public', current_database());
  execute format('grant connect on database %I to etl_worker, frontend_api', current_database());

  -- dbmate keeps its bookkeeping table in public; nobody else needs the schema.
  execute format('alter schema public owner to %I', owner_role);
  revoke all on schema public from public;

  -- Functions are executable by PUBLIC unless revoked; the migrations repeat this for
  -- their own objects, this covers anything created before them.
  execute format('alter default privileges for role %I revoke execute on functions from public', owner_role);
end
$$;

-- seqmeta needs no extension: gen_random_uuid() is built in since Postgres 13, and PHI
-- crypto happens in the ingest process, not in pgcrypto.
