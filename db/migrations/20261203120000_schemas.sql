-- migrate:up
-- Two schemas keep structure apart from what the API may see:
--   core: base tables holding everything, PHI included. The API never introspects it
--         and frontend_api has no USAGE on it, so a base table cannot leak through GraphQL.
--   api:  the de-identified frontend_* views, the only schema PostGraphile introspects.
create schema core;
create schema api;

revoke all on schema core from public;
revoke all on schema api from public;
grant usage on schema core to etl_worker;
grant usage on schema api to frontend_api;

-- Postgres grants EXECUTE on every new function to PUBLIC; for objects this owner creates
-- from now on, nothing is open to PUBLIC unless a migration grants it by name.
alter default privileges revoke execute on functions from public;
alter default privileges revoke usage on types from public;

-- migrate:down
-- EXECUTE on functions stays revoked: bootstrap revoked it before this migration ran.
alter default privileges grant usage on types to public;
drop schema api;
drop schema core;
