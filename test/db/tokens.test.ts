// Tokens as an operator manages them (as the owner) and as the server checks them (through
// the etl_worker pool): audited changes, clear refusals, and nothing the database holds
// that could be replayed as a token.
import os from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, createAuthenticator } from '../../src/authentication.ts';
import { createToken, listTokens, parseToken, revokeToken, TokenError, type CreatedToken } from '../../src/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const PERMISSION_DENIED = '42501';
const CHECK_VIOLATION = '23514';

let database: TestDatabase;
let owner: pg.Client;
let etl: pg.Client;
let etlPool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  owner = await database.connect('owner');
  etl = await database.connect('etl');
  etlPool = new pg.Pool({ connectionString: database.urls.etl, max: 2 });
});
afterAll(async () => {
  await etlPool?.end();
  await database?.destroy();
});

type AuditRow = { principal: string; action: string; request_id: string; details: Record<string, unknown> };

async function auditRowsFor(name: string): Promise<AuditRow[]> {
  const result = await owner.query<AuditRow>(
    `select principal, action, request_id, details from core.audit_events
     where action in ('create_token', 'revoke_token') and details ->> 'name' = $1 order by event_id`,
    [name],
  );
  return result.rows;
}

const bearer = (token: string) => `Bearer ${token}`;
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error;
  }
}

describe('creating a token as the owner', () => {
  let created: CreatedToken;

  beforeAll(async () => {
    created = await createToken(owner, { name: 'pipeline-create', scopes: 'ingest,read', expiresInDays: 30 });
  });

  it('returns the plaintext token once, in the seqmeta_<id>_<secret> format', () => {
    expect(created.token).toMatch(/^seqmeta_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(parseToken(created.token)?.tokenId).toBe(created.tokenId);
    expect(created.scopes).toEqual(['ingest', 'read']);
    const days = (created.expiresAt.getTime() - created.createdAt.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(30, 5);
  });

  it('stores a row with the hash of the secret, never the secret', async () => {
    const { secret } = parseToken(created.token)!;
    const row = await owner.query('select name, scopes, revoked_at, secret_hash from core.api_tokens where token_id = $1', [
      created.tokenId,
    ]);
    expect(row.rows).toHaveLength(1);
    expect(row.rows[0]).toMatchObject({ name: 'pipeline-create', scopes: ['ingest', 'read'], revoked_at: null });
    expect(row.rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.rows[0].secret_hash).not.toContain(secret);
  });

  it('appends an audit row naming the operator and the token, without the secret', async () => {
    const rows = await auditRowsFor('pipeline-create');
    expect(rows).toEqual([
      {
        principal: `operator:${os.userInfo().username}`,
        action: 'create_token',
        request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        details: { name: 'pipeline-create', scopes: ['ingest', 'read'] },
      },
    ]);
  });

  it('is listed with its scopes and status, and without any secret or hash', async () => {
    const tokens = await listTokens(owner);
    const listed = tokens.find((token) => token.name === 'pipeline-create');
    expect(listed).toEqual({
      tokenId: created.tokenId,
      name: 'pipeline-create',
      scopes: ['ingest', 'read'],
      createdAt: created.createdAt,
      expiresAt: created.expiresAt,
      revokedAt: null,
      status: 'active',
    });
    const { secret } = parseToken(created.token)!;
    const stored = await owner.query<{ secret_hash: string }>('select secret_hash from core.api_tokens');
    const text = JSON.stringify(tokens);
    expect(text).not.toContain(secret);
    for (const row of stored.rows) expect(text).not.toContain(row.secret_hash);
  });
});

describe('what createToken refuses', () => {
  it('a name that is taken, saying so, and writes nothing', async () => {
    await createToken(owner, { name: 'taken-name', scopes: 'read' });
    const error = await refusal(createToken(owner, { name: 'taken-name', scopes: 'ingest' }));
    expect(error).toBeInstanceOf(TokenError);
    expect((error as Error).message).toMatch(/a token named "taken-name" already exists/);
    const rows = await owner.query('select scopes from core.api_tokens where name = $1', ['taken-name']);
    expect(rows.rows).toEqual([{ scopes: ['read'] }]);
    expect((await auditRowsFor('taken-name')).map((row) => row.action)).toEqual(['create_token']);
  });

  it.each([
    ['no scopes', { name: 'no-scopes', scopes: '' }, /at least one/],
    ['an unknown scope', { name: 'bad-scope', scopes: 'read,admin' }, /unknown scope "admin"/],
    ['an expiry of 0 days', { name: 'zero-days', scopes: 'read', expiresInDays: 0 }, /1 to 3650 whole days/],
    ['an expiry of 3651 days', { name: 'too-long', scopes: 'read', expiresInDays: 3651 }, /1 to 3650 whole days/],
    ['an expiry of half a day', { name: 'half-day', scopes: 'read', expiresInDays: 0.5 }, /1 to 3650 whole days/],
    ['a name in capitals', { name: 'Pipeline', scopes: 'read' }, /a token name must be/],
  ])('%s, with a TokenError, writing nothing', async (_case, options, message) => {
    const before = await owner.query<{ count: number }>('select count(*)::integer as count from core.api_tokens');
    const error = await refusal(createToken(owner, options));
    expect(error).toBeInstanceOf(TokenError);
    expect((error as Error).message).toMatch(message);
    const after = await owner.query<{ count: number }>('select count(*)::integer as count from core.api_tokens');
    expect(after.rows[0]!.count).toBe(before.rows[0]!.count);
  });
});

describe('revoking a token as the owner', () => {
  it('sets revoked_at, audits it, and a second revocation changes nothing', async () => {
    const created = await createToken(owner, { name: 'to-revoke', scopes: 'read' });
    const first = await revokeToken(owner, 'to-revoke');
    expect(first).toMatchObject({ tokenId: created.tokenId, name: 'to-revoke', alreadyRevoked: false });
    const again = await revokeToken(owner, 'to-revoke');
    expect(again).toEqual({ ...first, alreadyRevoked: true });

    const listed = (await listTokens(owner)).find((token) => token.name === 'to-revoke');
    expect(listed).toMatchObject({ status: 'revoked', revokedAt: first.revokedAt });
    const rows = await auditRowsFor('to-revoke');
    expect(rows.map((row) => [row.action, row.details])).toEqual([
      ['create_token', { name: 'to-revoke', scopes: ['read'] }],
      ['revoke_token', { name: 'to-revoke', scopes: ['read'] }],
    ]);
  });

  it('refuses an unknown name with a TokenError', async () => {
    const error = await refusal(revokeToken(owner, 'nobody-has-this-name'));
    expect(error).toBeInstanceOf(TokenError);
    expect((error as Error).message).toMatch(/no token is named "nobody-has-this-name"/);
  });
});

describe('the table itself', () => {
  it('refuses an empty or unknown scope list and a secret_hash that is not 64 lowercase hex digits, even from the owner', async () => {
    const insert = (scopes: string[], hash: string) =>
      refusal(
        owner.query(`insert into core.api_tokens (name, secret_hash, scopes, expires_at) values ($1, $2, $3, now() + interval '1 day')`, [
          `direct-${Math.random().toString(16).slice(2, 10)}`,
          hash,
          scopes,
        ]),
      );
    const goodHash = 'a'.repeat(64);
    const outcomes = [
      // the well-formed row goes in, so the refusals below are about the one bad field
      await insert(['ingest', 'read'], goodHash),
      await insert([], goodHash),
      await insert(['admin'], goodHash),
      await insert(['read'], 'A'.repeat(64)),
      await insert(['read'], 'a'.repeat(63)),
    ];
    expect(outcomes.map((outcome) => (outcome === 'accepted' ? outcome : (outcome as { code?: string }).code))).toEqual([
      'accepted',
      CHECK_VIOLATION,
      CHECK_VIOLATION,
      CHECK_VIOLATION,
      CHECK_VIOLATION,
    ]);
  });

  it('lets etl_worker read what authentication needs, but not change anything', async () => {
    await expect(etl.query('select token_id, name, secret_hash, scopes, expires_at, revoked_at from core.api_tokens')).resolves.toBeTruthy();
    const attempts = [
      'select created_at from core.api_tokens',
      `insert into core.api_tokens (name, secret_hash, scopes, expires_at) values ('etl-made', '${'a'.repeat(64)}', '{read}', now() + interval '1 day')`,
      'update core.api_tokens set revoked_at = null',
      'delete from core.api_tokens',
    ];
    const outcomes = [];
    for (const statement of attempts) outcomes.push((await refusal(etl.query(statement)) as { code?: string }).code);
    expect(outcomes).toEqual(attempts.map(() => PERMISSION_DENIED));
  });
});

describe('the authenticator', () => {
  const authenticator = () => createAuthenticator({ etlPool, allowAnonymousReads: false, cacheMilliseconds: 0 });

  it('accepts a valid token as a principal with its name and scopes', async () => {
    const created = await createToken(owner, { name: 'auth-valid', scopes: 'read' });
    const principal = await authenticator().authenticate(bearer(created.token));
    expect(principal?.name).toBe('auth-valid');
    expect([...(principal?.scopes ?? [])]).toEqual(['read']);
  });

  it('accepts the scheme in any case and surrounding whitespace', async () => {
    const created = await createToken(owner, { name: 'auth-scheme', scopes: 'ingest' });
    const check = authenticator();
    for (const header of [`bearer ${created.token}`, `BEARER ${created.token}`, ` Bearer  ${created.token} `]) {
      expect((await check.authenticate(header))?.name, header).toBe('auth-scheme');
    }
  });

  it('treats a request without a header as anonymous', async () => {
    expect(await authenticator().authenticate(undefined)).toBeNull();
  });

  it('refuses malformed, unknown, tampered, revoked and expired tokens with one generic message', async () => {
    const valid = await createToken(owner, { name: 'auth-refusals', scopes: 'read' });
    const revoked = await createToken(owner, { name: 'auth-revoked', scopes: 'read' });
    await revokeToken(owner, 'auth-revoked');
    const expired = await createToken(owner, { name: 'auth-expired', scopes: 'read' });
    // as if created long ago: expires_at just after created_at, so already past
    await owner.query(`update core.api_tokens set expires_at = created_at + interval '1 microsecond' where name = 'auth-expired'`);
    const { tokenId, secret } = parseToken(valid.token)!;
    const otherSecret = parseToken(revoked.token)!.secret;
    const unknownId = '00000000000040008000000000000000';

    const headers = {
      'empty header': '',
      'another scheme': `Basic ${Buffer.from('user:password').toString('base64')}`,
      'no scheme': valid.token,
      'scheme only': 'Bearer',
      'not a token': 'Bearer hello',
      'unknown token id': `Bearer seqmeta_${unknownId}_${secret}`,
      'wrong secret': `Bearer seqmeta_${tokenId.replaceAll('-', '')}_${otherSecret}`,
      'secret one character off': `Bearer ${valid.token.slice(0, -1)}${valid.token.endsWith('A') ? 'B' : 'A'}`,
      'two tokens': `Bearer ${valid.token} ${valid.token}`,
      revoked: bearer(revoked.token),
      expired: bearer(expired.token),
    };
    const check = authenticator();
    const outcomes: Record<string, unknown> = {};
    for (const [label, header] of Object.entries(headers)) {
      const error = await refusal(check.authenticate(header));
      outcomes[label] = error instanceof AuthenticationError ? error.message : error;
    }
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(headers).map((label) => [label, 'invalid or expired token'])));
    // the refusals are about the tokens, not a broken authenticator
    expect((await check.authenticate(bearer(valid.token)))?.name).toBe('auth-refusals');
  });

  it('trusts an accepted token for its cache time only: a revocation takes effect once that has passed', async () => {
    const created = await createToken(owner, { name: 'auth-cached', scopes: 'read' });
    const cacheMilliseconds = 1_000;
    const cached = createAuthenticator({ etlPool, allowAnonymousReads: false, cacheMilliseconds });
    let lookUps = 0;
    const countingPool = new Proxy(etlPool, {
      get(target, property, receiver) {
        if (property === 'query') {
          return (...args: unknown[]) => {
            lookUps += 1;
            return (target.query as (...args: unknown[]) => unknown).apply(target, args);
          };
        }
        return Reflect.get(target, property, receiver);
      },
    });
    const counted = createAuthenticator({ etlPool: countingPool, allowAnonymousReads: false, cacheMilliseconds });
    for (let request = 0; request < 5; request += 1) await counted.authenticate(bearer(created.token));
    expect(lookUps).toBe(1);

    expect((await cached.authenticate(bearer(created.token)))?.name).toBe('auth-cached');
    await revokeToken(owner, 'auth-cached');
    // within the cache time the earlier answer stands; a fresh authenticator already refuses
    expect((await cached.authenticate(bearer(created.token)))?.name).toBe('auth-cached');
    expect(await refusal(authenticator().authenticate(bearer(created.token)))).toBeInstanceOf(AuthenticationError);

    await sleep(cacheMilliseconds + 200);
    expect(await refusal(cached.authenticate(bearer(created.token)))).toBeInstanceOf(AuthenticationError);
  });

  it('never caches a refusal: a token is checked again on its next use', async () => {
    const created = await createToken(owner, { name: 'auth-no-negative', scopes: 'read' });
    const check = createAuthenticator({ etlPool, allowAnonymousReads: false, cacheMilliseconds: 60_000 });
    const wrong = `Bearer ${created.token.slice(0, -1)}${created.token.endsWith('A') ? 'B' : 'A'}`;
    expect(await refusal(check.authenticate(wrong))).toBeInstanceOf(AuthenticationError);
    expect((await check.authenticate(bearer(created.token)))?.name).toBe('auth-no-negative');
  });
});

describe('the plaintext of a token', () => {
  it('appears nowhere in the database: neither the tokens table nor the audit log', async () => {
    const created = await createToken(owner, { name: 'scan-for-secret', scopes: 'ingest,read' });
    await revokeToken(owner, 'scan-for-secret');
    const { secret } = parseToken(created.token)!;
    const tables = await owner.query<{ table: string; text: string }>(`
      select 'core.api_tokens' as table, coalesce(string_agg(row_to_json(tokens)::text, E'\\n'), '') as text from core.api_tokens tokens
      union all
      select 'core.audit_events', coalesce(string_agg(row_to_json(events)::text, E'\\n'), '') from core.audit_events events`);
    // the scan sees the rows it is looking through
    for (const row of tables.rows) expect(row.text, row.table).toContain('scan-for-secret');
    const leaks = tables.rows.filter((row) => row.text.includes(secret) || row.text.includes(created.token));
    expect(leaks.map((row) => row.table)).toEqual([]);
  });
});
