// Every foreign key has an index leading with its columns: the frontend views join along
// them (samples -> patient, runs -> files), and without one each nested page is a scan.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.destroy());

it('every foreign key in the app schemas is covered by an index leading with its columns', async () => {
  const admin = await database.connect('admin');
  const { rows } = await admin.query<{ foreign_key: string; covered: boolean }>(`
    select format('%s (%s)', constraint_.conrelid::regclass, constraint_.conname) as foreign_key,
           exists (
             select 1 from pg_index index_
             where index_.indrelid = constraint_.conrelid
               and (index_.indkey::int2[])[0:cardinality(constraint_.conkey) - 1] = constraint_.conkey
           ) as covered
    from pg_constraint constraint_
    join pg_namespace namespace on namespace.oid = constraint_.connamespace
    where constraint_.contype = 'f' and namespace.nspname in ('core', 'api', 'public')
    order by 1`);
  expect(rows.length).toBeGreaterThanOrEqual(5);
  expect(rows.filter((row) => !row.covered).map((row) => row.foreign_key)).toEqual([]);
});
