// `seqmeta db …` as an operator runs it: the embedded default from nothing, and the one-line
// messages for bad configuration.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { freePort } from '../support/freePort.ts';

let dataDirectory: string;
let port: number;

beforeAll(async () => {
  dataDirectory = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-cli-'));
  await chmod(dataDirectory, 0o755);
  port = await freePort();
});
afterAll(() => rm(dataDirectory, { recursive: true, force: true }));

describe('seqmeta db setup with no database URL', () => {
  it('creates, bootstraps and migrates an embedded Postgres, then stops it', async () => {
    const environment = { SEQMETA_DATA_DIR: dataDirectory, SEQMETA_EMBEDDED_PORT: String(port) };
    const first = await runCli(['db', 'setup'], environment, 120_000);
    expect(first.stderr).toContain('using the embedded Postgres');
    expect(first.stderr).toContain('created database seqmeta');
    expect(first.stderr).toContain('database is ready');
    expect(first.exitCode).toBe(0);

    const again = await runCli(['db', 'setup'], environment, 120_000);
    expect(again.stderr).toContain('database seqmeta exists');
    expect(again.exitCode).toBe(0);
  });
});

describe('bad configuration', () => {
  it('names a malformed URL in one line and exits 1', async () => {
    const result = await runCli(['db', 'migrate'], { SEQMETA_OWNER_DATABASE_URL: 'mysql://owner:secret-word@host/db' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/SEQMETA_OWNER_DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(result.stderr).not.toContain('secret-word');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('says which login a command needs when it is missing', async () => {
    const result = await runCli(['db', 'migrate'], { SEQMETA_API_DATABASE_URL: 'postgres://frontend_api:x@127.0.0.1:1/seqmeta' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('SEQMETA_OWNER_DATABASE_URL: missing (the schema owner, to run migrations)');
  });

  it('reports an unreachable database without a stack trace', async () => {
    const result = await runCli(['db', 'migrate'], { SEQMETA_OWNER_DATABASE_URL: 'postgres://seqmeta_owner:x@127.0.0.1:1/seqmeta' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/dbmate up on 127\.0\.0\.1:1\/seqmeta failed/);
    expect(result.stderr).toContain('connection refused');
  });

  it('refuses a bootstrap whose runtime logins are not the expected roles', async () => {
    const result = await runCli(['db', 'bootstrap'], {
      SEQMETA_ADMIN_DATABASE_URL: 'postgres://postgres:x@127.0.0.1:1/postgres',
      SEQMETA_OWNER_DATABASE_URL: 'postgres://seqmeta_owner:x@127.0.0.1:1/seqmeta',
      SEQMETA_ETL_DATABASE_URL: 'postgres://intruder:x@127.0.0.1:1/seqmeta',
      SEQMETA_API_DATABASE_URL: 'postgres://frontend_api:x@127.0.0.1:1/seqmeta',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('SEQMETA_ETL_DATABASE_URL: the user must be etl_worker');
  });
});
