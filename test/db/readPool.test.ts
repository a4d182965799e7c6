// The read pool's connections carry the settings of every read (src/pools.ts): the statement
// timeout, and how many parallel workers one read may use (none by default: under concurrent
// reads a parallel plan only adds the cost of starting its workers; BENCHMARKS.md, scale M).
// Behind a transaction pooler the same settings go into each read's transaction instead.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createPools, readSettingsPerTransaction } from '../../src/pools.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.destroy());

const configWith = (settings: Record<string, string>) =>
  loadConfig({ SEQMETA_API_DATABASE_URL: database.urls.api, SEQMETA_ETL_DATABASE_URL: database.urls.etl, LOG_LEVEL: 'silent', ...settings });

it.each([
  ['by default', {}, '0'],
  ['as SEQMETA_API_PARALLEL_WORKERS says', { SEQMETA_API_PARALLEL_WORKERS: '3' }, '3'],
])('a read uses parallel workers %s, under its statement timeout', async (_how, settings, workers) => {
  const config = configWith({ ...settings, SEQMETA_API_STATEMENT_TIMEOUT_MS: '4321' });
  const pools = createPools(config.databaseUrls!, config.server, createLogger(config));
  try {
    const { rows } = await pools.api.query<{ workers: string; timeout: string }>(
      `select current_setting('max_parallel_workers_per_gather') as workers, current_setting('statement_timeout') as timeout`,
    );
    expect(rows[0]).toEqual({ workers, timeout: '4321ms' });
    // the pipeline's writes keep the server's defaults
    const etl = await pools.etl.query<{ timeout: string }>(`select current_setting('statement_timeout') as timeout`);
    expect(etl.rows[0]!.timeout).toBe('0');
  } finally {
    await pools.close();
  }
});

it('behind a transaction pooler, each read sets the same in its own transaction', () => {
  expect(readSettingsPerTransaction(configWith({ SEQMETA_TRANSACTION_POOLING: 'true' }).server)).toMatchObject({
    statement_timeout: '5000',
    max_parallel_workers_per_gather: '0',
  });
  expect(readSettingsPerTransaction(configWith({ SEQMETA_TRANSACTION_POOLING: 'true', SEQMETA_API_PARALLEL_WORKERS: '2' }).server)).toMatchObject({
    max_parallel_workers_per_gather: '2',
  });
  expect(readSettingsPerTransaction(configWith({}).server)).toBeNull();
});

it('refuses a negative or fractional SEQMETA_API_PARALLEL_WORKERS, naming it', () => {
  for (const value of ['-1', '1.5', 'many']) {
    expect(() => configWith({ SEQMETA_API_PARALLEL_WORKERS: value })).toThrow(/SEQMETA_API_PARALLEL_WORKERS/);
  }
});
