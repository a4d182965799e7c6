// One pg pool per runtime role. The API's reads go through frontend_api, which can select
// the frontend_* views and nothing else; the pipeline's writes through etl_worker.
import pg from 'pg';
import { requireDatabaseUrl, type Config, type DatabaseUrls } from './config.ts';
import type { Logger } from './logger.ts';

export type Pools = {
  api: pg.Pool;
  etl: pg.Pool;
  close: () => Promise<void>;
};

export function createPools(urls: DatabaseUrls, server: Config['server'], logger: Logger): Pools {
  const api = new pg.Pool({
    connectionString: requireDatabaseUrl(urls, 'api'),
    max: server.apiPoolSize,
    // a runaway read is cancelled by the database, whatever the API's limits missed
    statement_timeout: server.apiStatementTimeoutMilliseconds,
    application_name: 'seqmeta-api',
    // a database that does not answer makes /readyz fail, not hang
    connectionTimeoutMillis: 5_000,
  });
  const etl = new pg.Pool({
    connectionString: requireDatabaseUrl(urls, 'etl'),
    max: server.etlPoolSize,
    application_name: 'seqmeta-ingest',
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection must not crash the process.
  for (const [name, pool] of [['api', api], ['etl', etl]] as const) {
    pool.on('error', (error) => logger.warn({ pool: name, err: error }, 'idle database connection failed'));
  }
  return {
    api,
    etl,
    close: async () => {
      await Promise.all([api.end(), etl.end()]);
    },
  };
}
