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

// The frontend's page of samples carries a totalCount under the filter the user chose; with
// an index on the filtered column the count is an index-only scan instead of a scan of every
// sample (BENCHMARKS.md, scale M). Sequential scans are switched off so the plan shows whether
// such an index exists, whatever the (empty) table's statistics.
it.each([
  ['specimenType', `specimen_type = 'TUMOUR'`],
  ['timepoint', 'timepoint = 0'],
  ['collectionYear', 'collection_year >= 2020'],
  ['patient', `patient_hash = repeat('a', 64)`],
  ['sampleId', `sample_id > 'SYN-SMP-0001'`],
])('the count of samples filtered by %s is answered from an index alone', async (_filter, condition) => {
  const api = await database.connect('api');
  await api.query('begin');
  try {
    await api.query('set local enable_seqscan = off');
    await api.query('set local enable_bitmapscan = off');
    const { rows } = await api.query<{ 'QUERY PLAN': unknown }>(
      `explain (format json) select count(*) from api.frontend_samples where ${condition}`,
    );
    const plan = JSON.stringify(rows[0]!['QUERY PLAN']);
    expect(plan).toContain('"Node Type":"Index Only Scan"');
    expect(plan).not.toContain('Seq Scan');
  } finally {
    await api.query('rollback');
  }
});
