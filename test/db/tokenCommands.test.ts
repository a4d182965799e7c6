// `seqmeta token …` as an operator runs it: create → list → revoke with --json against the
// test server as the owner, the token on stdout alone and nowhere else, one-line refusals,
// and `token create` with no configuration at all (the embedded Postgres, set up on the spot).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, createAuthenticator } from '../../src/authentication.ts';
import { parseToken } from '../../src/tokens.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/freePort.ts';

let database: TestDatabase;
let etlPool: pg.Pool;
let environment: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  etlPool = new pg.Pool({ connectionString: database.urls.etl, max: 1 });
  environment = { SEQMETA_OWNER_DATABASE_URL: database.urls.owner };
});
afterAll(async () => {
  await etlPool?.end();
  await database?.destroy();
});

const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('seqmeta token create → list → revoke, as the owner', () => {
  let token: string;
  let tokenId: string;

  it('create --json prints the token once, on stdout, and a note on stderr that it will not be shown again', async () => {
    const result = await runCli(['token', 'create', '--name', 'cli-pipeline', '--scopes', 'ingest,read', '--expires-in-days', '7', '--json'], environment);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.exitCode).toBe(0);
    const created = JSON.parse(result.stdout);
    expect(created).toEqual({
      name: 'cli-pipeline',
      tokenId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      scopes: ['ingest', 'read'],
      createdAt: expect.stringMatching(isoDate),
      expiresAt: expect.stringMatching(isoDate),
      token: expect.stringMatching(/^seqmeta_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/),
    });
    expect((Date.parse(created.expiresAt) - Date.parse(created.createdAt)) / 86_400_000).toBeCloseTo(7, 5);
    token = created.token;
    tokenId = created.tokenId;
    expect(parseToken(token)?.tokenId).toBe(tokenId);
    expect(result.stderr).toContain('shown only this once');
    expect(result.stderr).not.toContain(parseToken(token)!.secret);
  });

  it('the created token authenticates at the API', async () => {
    const authenticator = createAuthenticator({ etlPool, allowAnonymousReads: false, cacheMilliseconds: 0 });
    const principal = await authenticator.authenticate(`Bearer ${token}`);
    expect(principal?.name).toBe('cli-pipeline');
    expect([...(principal?.scopes ?? [])].sort()).toEqual(['ingest', 'read']);
  });

  it('without --json, stdout is the token alone', async () => {
    const result = await runCli(['token', 'create', '--name', 'cli-plain', '--scopes', 'read'], environment);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^seqmeta_[0-9a-f]{32}_[A-Za-z0-9_-]{43}\n$/);
  });

  it('list --json shows both tokens as active, without any secret or hash', async () => {
    const result = await runCli(['token', 'list', '--json'], environment);
    expect(result.exitCode).toBe(0);
    const listed = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(listed.map((entry) => [entry.name, entry.status, entry.scopes])).toEqual([
      ['cli-pipeline', 'active', ['ingest', 'read']],
      ['cli-plain', 'active', ['read']],
    ]);
    expect(listed[0]).toEqual({
      name: 'cli-pipeline',
      tokenId,
      scopes: ['ingest', 'read'],
      status: 'active',
      createdAt: expect.stringMatching(isoDate),
      expiresAt: expect.stringMatching(isoDate),
      revokedAt: null,
    });
    const owner = await database.connect('owner');
    const hashes = (await owner.query<{ secret_hash: string }>('select secret_hash from core.api_tokens')).rows;
    expect(hashes).toHaveLength(2);
    for (const { secret_hash } of hashes) expect(result.stdout).not.toContain(secret_hash);
    expect(result.stdout).not.toContain(parseToken(token)!.secret);
  });

  it('list without --json prints a table', async () => {
    const result = await runCli(['token', 'list'], environment);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SCOPES\s+STATUS\s+CREATED\s+EXPIRES\s+REVOKED$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ['cli-pipeline', 'ingest,read', 'active'],
      ['cli-plain', 'read', 'active'],
    ]);
  });

  it('revoke --json revokes it, the API refuses it, and list shows it revoked', async () => {
    const result = await runCli(['token', 'revoke', '--name', 'cli-pipeline', '--json'], environment);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      name: 'cli-pipeline',
      tokenId,
      revokedAt: expect.stringMatching(isoDate),
      alreadyRevoked: false,
    });

    const authenticator = createAuthenticator({ etlPool, allowAnonymousReads: false, cacheMilliseconds: 0 });
    await expect(authenticator.authenticate(`Bearer ${token}`)).rejects.toBeInstanceOf(AuthenticationError);

    const listed = JSON.parse((await runCli(['token', 'list', '--json'], environment)).stdout) as Array<Record<string, unknown>>;
    expect(listed.map((entry) => [entry.name, entry.status])).toEqual([
      ['cli-pipeline', 'revoked'],
      ['cli-plain', 'active'],
    ]);

    const again = await runCli(['token', 'revoke', '--name', 'cli-pipeline', '--json'], environment);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ name: 'cli-pipeline', alreadyRevoked: true });
  });

  it('audited each create and revoke under the operator', async () => {
    const owner = await database.connect('owner');
    const rows = await owner.query<{ principal: string; action: string; name: string }>(
      `select principal, action, details ->> 'name' as name from core.audit_events
       where action in ('create_token', 'revoke_token') order by event_id`,
    );
    expect(rows.rows).toEqual([
      { principal: `operator:${os.userInfo().username}`, action: 'create_token', name: 'cli-pipeline' },
      { principal: `operator:${os.userInfo().username}`, action: 'create_token', name: 'cli-plain' },
      { principal: `operator:${os.userInfo().username}`, action: 'revoke_token', name: 'cli-pipeline' },
    ]);
  });
});

describe('refusals, as one line with exit code 1', () => {
  it.each([
    ['a taken name', ['token', 'create', '--name', 'cli-plain', '--scopes', 'read'], /a token named "cli-plain" already exists/],
    ['an unknown scope', ['token', 'create', '--name', 'cli-x', '--scopes', 'read,admin'], /unknown scope "admin"/],
    ['an expiry out of range', ['token', 'create', '--name', 'cli-x', '--scopes', 'read', '--expires-in-days', '3651'], /--expires-in-days must be a whole number from 1 to 3650/],
    ['an expiry that is not a number', ['token', 'create', '--name', 'cli-x', '--scopes', 'read', '--expires-in-days', '90d'], /--expires-in-days must be a whole number/],
    ['revoking an unknown name', ['token', 'revoke', '--name', 'cli-nobody'], /no token is named "cli-nobody"/],
    ['a missing --scopes', ['token', 'create', '--name', 'cli-x'], /required option '--scopes <scopes>' not specified/],
  ])('%s', async (_case, args, message) => {
    const result = await runCli(args, environment);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('wrote no token for any of them', async () => {
    const owner = await database.connect('owner');
    const names = (await owner.query<{ name: string }>('select name from core.api_tokens order by name')).rows.map((row) => row.name);
    expect(names).toEqual(['cli-pipeline', 'cli-plain']);
  });

  it('a name that looks like a pasted token is refused without echoing it', async () => {
    const pasted = `seqmeta_${'0'.repeat(32)}_${'A'.repeat(43)}`;
    const result = await runCli(['token', 'revoke', '--name', pasted], environment);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/a token name must be/);
    expect(result.stderr).not.toContain('A'.repeat(43));
  });
});

describe('--help', () => {
  it.each(['token', 'token create', 'token list', 'token revoke'])('explains seqmeta %s', async (command) => {
    const result = await runCli([...command.split(' '), '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Usage: seqmeta ${command}`);
  });
});

describe('seqmeta token create with no configuration', () => {
  let dataDirectory: string;

  beforeAll(async () => {
    dataDirectory = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-token-cli-'));
    // as root, Postgres runs as the `postgres` user, which must be able to enter the folder
    await chmod(dataDirectory, 0o755);
  });
  afterAll(() => rm(dataDirectory, { recursive: true, force: true }));

  it('starts the embedded Postgres, sets it up, creates the token and stops it again', async () => {
    const port = await freePort();
    const embedded = { SEQMETA_DATA_DIR: dataDirectory, SEQMETA_EMBEDDED_PORT: String(port) };
    const result = await runCli(['token', 'create', '--name', 'dev', '--scopes', 'ingest,read', '--json'], embedded, 120_000);
    expect(result.stderr).toContain('using the embedded Postgres');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'dev', scopes: ['ingest', 'read'] });

    const listed = await runCli(['token', 'list', '--json'], embedded, 120_000);
    expect(listed.exitCode).toBe(0);
    expect(JSON.parse(listed.stdout).map((entry: { name: string }) => entry.name)).toEqual(['dev']);

    // stopped: nothing listens on its port any more
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('listening');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(outcome).toBe('ECONNREFUSED');
  }, 240_000);
});
