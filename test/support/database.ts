// A fresh database for one test file, cloned from the migrated template, with clients for
// each role. Call createTestDatabase() in beforeAll and destroy() in afterAll.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { secureDatabase } from '../../src/database/bootstrap.ts';
import { adminQuery, serverUrls, type TestServer } from './server.ts';

export type Role = 'admin' | 'owner' | 'etl' | 'api';

export type TestDatabase = {
  name: string;
  server: TestServer;
  urls: ReturnType<typeof serverUrls>;
  /** a connected client logged in as `role` on this database; closed by destroy() */
  connect: (role: Role) => Promise<pg.Client>;
  destroy: () => Promise<void>;
};

/**
 * `template`: the migrated template by default; `template0` gives an empty database, locked
 * down as bootstrap leaves every database, with nothing migrated.
 */
export async function createTestDatabase({ template }: { template?: string } = {}): Promise<TestDatabase> {
  const server = inject('testServer');
  const name = `seqmeta_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(server.adminUrl, `create database ${name} template ${template ?? server.templateDatabase} owner seqmeta_owner`);
  // Database-level grants are not copied from a template.
  await secureDatabase(server.adminUrl, name, 'seqmeta_owner');
  const adminUrl = new URL(server.adminUrl);
  adminUrl.pathname = `/${name}`;
  const urls = { ...serverUrls(server, name), admin: adminUrl.toString() };
  const clients: pg.Client[] = [];
  return {
    name,
    server,
    urls,
    async connect(role) {
      const client = new pg.Client({ connectionString: urls[role] });
      await client.connect();
      clients.push(client);
      return client;
    },
    async destroy() {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await adminQuery(server.adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

/** Runs `sql` in a transaction that is always rolled back; the SQLSTATE it failed with, or 'succeeded'. */
export async function attempt(client: pg.Client, sql: string): Promise<string> {
  await client.query('begin');
  try {
    await client.query(sql);
    return 'succeeded';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.query('rollback');
  }
}
