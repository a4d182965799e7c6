-- Cluster level, once per server, as a superuser; safe to run again (it converges).
-- The three logins of DESIGN §2. Passwords arrive as SCRAM verifiers computed by the
-- caller, so no plaintext password reaches SQL text or the server's logs.
-- Parameters (set_config, transaction-local):
--   seqmeta.owner_role, seqmeta.owner_password ('' when the owner is the admin itself),
--   seqmeta.etl_password, seqmeta.api_password
do $$
declare
  owner_role text := current_setting('seqmeta.owner_role');
  logins jsonb := jsonb_build_object(
    'etl_worker', current_setting('seqmeta.etl_password'),
    'frontend_api', current_setting('seqmeta.api_password'));
  login record;
begin
  if current_setting('seqmeta.owner_password') <> '' then
    logins := logins || jsonb_build_object(owner_role, current_setting('seqmeta.owner_password'));
  end if;

  for login in select key as role_name, value #>> '{}' as verifier from jsonb_each(logins) loop
    if not exists (select 1 from pg_roles where rolname = login.role_name) then
      execute format('create role %I login', login.role_name);
    end if;
    -- Converge on least privilege even for a role that existed before.
    execute format(
      'alter role %I with login nosuperuser nocreatedb nocreaterole noinherit noreplication nobypassrls password %L',
      login.role_name, login.verifier);
  end loop;
end
$$;
