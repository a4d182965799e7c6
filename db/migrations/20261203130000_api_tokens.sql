-- migrate:up
-- The pipeline and other API clients never hold database credentials: they send a bearer
-- token, and the API server looks it up here. Operators create and revoke tokens as the
-- owner (`seqmeta token …`); the server only reads, through its etl_worker pool, because
-- frontend_api may read nothing but the frontend_* views. Only a SHA-256 of each token's
-- random secret is stored, so this table cannot be replayed as a list of tokens. Rows are
-- never deleted: a revoked token keeps its name, so audit rows that name it stay unambiguous.
create table core.api_tokens (
  token_id uuid primary key default gen_random_uuid(),
  -- the principal written to audit rows
  name text not null unique
    check (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  -- SHA-256 of the token's secret part, hex; the secret itself is shown once and never stored
  secret_hash text not null
    check (secret_hash ~ '^[0-9a-f]{64}$'),
  scopes text[] not null
    check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read']),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  check (expires_at > created_at),
  check (revoked_at >= created_at)
);
comment on table core.api_tokens is E'Bearer tokens of API clients, stored as hashes; revoked, never deleted.';

-- what the server needs to authenticate a request, and nothing it could change
grant select (token_id, name, secret_hash, scopes, expires_at, revoked_at) on core.api_tokens to etl_worker;

-- migrate:down
drop table core.api_tokens;
