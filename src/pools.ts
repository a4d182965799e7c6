// One pg pool per runtime role. The API's reads go through frontend_api, which can select
// the frontend_* views and nothing else; the pipeline's writes through etl_worker.
import pg from 'pg';
import { requireDatabaseUrl, type Config, type DatabaseUrls } from './config.ts';
import type { Logger } from './logger.ts';

export type Pools = {
  /** frontend_api on the primary: the reads, or with a replica their fallback (src/database/readRouting.ts) */
  api: pg.Pool;
  etl: pg.Pool;
  /** frontend_api on a streaming read replica (SEQMETA_API_REPLICA_DATABASE_URL); null: reads on the primary */
  apiReplica: pg.Pool | null;
  close: () => Promise<void>;
};

export function createPools(urls: DatabaseUrls, server: Config['server'], logger: Logger): Pools {
  // the replica's pool is the primary's read pool pointed elsewhere: same size, timeout and name
  const readPool = (connectionString: string) => new pg.Pool({
    connectionString,
    max: server.apiPoolSize,
    // A runaway read is cancelled by the database, whatever the API's limits missed, and a read
    // uses at most the parallel workers config.ts allows. Set on the connection, unless a
    // transaction pooler is in between: PgBouncer refuses the startup parameters (or, told to
    // ignore them, drops them silently), so they are set in each read's transaction instead
    // (readSettingsPerTransaction).
    ...(server.transactionPooling
      ? {}
      : { statement_timeout: server.apiStatementTimeoutMilliseconds, options: `-c max_parallel_workers_per_gather=${server.apiParallelWorkersPerQuery}` }),
    application_name: 'seqmeta-api',
    // a database that does not answer makes a request fail, not hang
    connectionTimeoutMillis: 5_000,
  });
  const api = readPool(requireDatabaseUrl(urls, 'api'));
  const apiReplica = urls.apiReplica ? readPool(urls.apiReplica) : null;
  const etl = new pg.Pool({
    connectionString: requireDatabaseUrl(urls, 'etl'),
    max: server.etlPoolSize,
    application_name: 'seqmeta-ingest',
    connectionTimeoutMillis: 5_000,
  });
  // A client losing its connection must not crash the process. pg-pool listens for that only
  // while a client is idle (and re-emits it on the pool); a client in use (a query running, or
  // between two queries of a transaction) emits 'error' with no listener when its connection
  // ends: an uncaught exception, which ended the whole server when Postgres stopped
  // (test/api/faults.test.ts). The running query fails too, and that error reaches its caller.
  for (const [name, pool] of [['api', api], ['etl', etl], ...(apiReplica ? [['api_replica', apiReplica] as const] : [])] as const) {
    pool.on('connect', (client) => {
      client.on('error', (error) => logger.warn({ pool: name, err: error }, 'a database connection failed'));
    });
    // an idle client's failure, already logged by the listener above
    pool.on('error', () => undefined);
    if (!server.preparedStatements) pool.on('connect', sendStatementsUnnamed);
  }
  return {
    api,
    etl,
    apiReplica,
    close: async () => {
      await Promise.all([api.end(), etl.end(), apiReplica?.end()]);
    },
  };
}

/**
 * What the read pool's connections cannot carry behind a transaction pooler, where
 * consecutive transactions of one client may run on different server connections: PostGraphile
 * sets these in the transaction of every read (set_config(…, true), its pgSettings), so they
 * hold for that read and leak to no other. null without a transaction pooler: the connection
 * carries them, at no cost per read.
 */
export function readSettingsPerTransaction(server: Config['server']): Record<string, string> | null {
  if (!server.transactionPooling) return null;
  return {
    statement_timeout: String(server.apiStatementTimeoutMilliseconds),
    max_parallel_workers_per_gather: String(server.apiParallelWorkersPerQuery),
    // @dataplan/pg sets this once per connection, outside any transaction; behind a pooler that
    // reaches some server connection, not necessarily the one the next read runs on
    jit_optimize_above_cost: '-1',
  };
}

/**
 * Drops the name of every statement a client sends, so Postgres parses it as the unnamed
 * statement of its own round trip. @dataplan/pg names its statements to reuse their parsed
 * form; PgBouncer in transaction mode before 1.21 (or without max_prepared_statements) sends
 * the next statement of the same name to a server connection that never saw it ("prepared
 * statement … does not exist").
 */
function sendStatementsUnnamed(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
    if (typeof config === 'object' && config !== null && 'name' in config && !('submit' in config)) {
      const { name: _name, ...unnamed } = config as Record<string, unknown>;
      return query(unnamed, ...rest);
    }
    return query(config, ...rest);
  };
}
