// db/schema.sql must describe what the migrations build. Loading it into an empty database
// and comparing the catalog with a migrated one works on any server version (the byte-for-byte
// check, `npm run db:dump -- --check`, needs a pg_dump matching the server and runs in CI).
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaFile } from '../../src/database/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { schemaFingerprint } from '../support/schemaFingerprint.ts';

let migrated: TestDatabase;
let loaded: TestDatabase;

/**
 * dbmate dumps with --no-privileges, so grants (checked by privileges.test.ts) are not in
 * the file: compare everything else.
 */
const withoutPrivileges = (fingerprint: string) =>
  fingerprint
    .split('\n')
    .filter((line) => !line.startsWith('default-privileges ') && !line.startsWith('database '))
    .map((line) => line.replace(/ acl=\S*/g, ''))
    .join('\n');

beforeAll(async () => {
  migrated = await createTestDatabase();
  loaded = await createTestDatabase();
  // an empty database: the clone of the migrated template, with everything dropped
  const owner = await loaded.connect('owner');
  await owner.query('drop schema api, core cascade; drop table public.schema_migrations');
  // psql meta-commands (\restrict) are for psql; the rest is plain SQL
  const dump = (await readFile(schemaFile, 'utf8'))
    .split('\n')
    .filter((line) => !line.startsWith('\\'))
    .join('\n');
  await owner.query(dump);
});
afterAll(async () => {
  await migrated?.destroy();
  await loaded?.destroy();
});

async function fingerprintOf(database: TestDatabase): Promise<string> {
  const client = new pg.Client({ connectionString: database.urls.admin });
  await client.connect();
  try {
    return withoutPrivileges(await schemaFingerprint(client));
  } finally {
    await client.end();
  }
}

describe('db/schema.sql', () => {
  it('builds the same schema as the migrations (run `npm run db:dump` after changing a migration)', async () => {
    expect(await fingerprintOf(loaded)).toEqual(await fingerprintOf(migrated));
  });

  it('records every migration as applied', async () => {
    const migrations = (await (await migrated.connect('owner')).query('select version from schema_migrations order by 1')).rows;
    const recorded = (await (await loaded.connect('owner')).query('select version from schema_migrations order by 1')).rows;
    expect(recorded).toEqual(migrations);
    expect(recorded.length).toBeGreaterThanOrEqual(6);
  });
});
