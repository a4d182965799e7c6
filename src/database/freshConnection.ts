// One statement on a connection of its own, made with a pool's settings. Probes and start-up
// checks use it: a pool whose connections are all busy is no outage, and a check must leave
// nothing behind in the pool it checks.
import pg from 'pg';

export type FreshConnectionOptions = {
  /** shown in pg_stat_activity */
  applicationName: string;
  /** bounds connecting and the statement alike; none: the pool's own settings */
  timeoutMilliseconds?: number;
};

export async function queryOnFreshConnection<Row extends pg.QueryResultRow>(
  pool: pg.Pool,
  sql: string,
  { applicationName, timeoutMilliseconds }: FreshConnectionOptions,
): Promise<pg.QueryResult<Row>> {
  const client = new pg.Client({
    ...pool.options,
    application_name: applicationName,
    ...(timeoutMilliseconds === undefined ? {} : { connectionTimeoutMillis: timeoutMilliseconds, query_timeout: timeoutMilliseconds }),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.query<Row>(sql);
  } finally {
    // not awaited: closing a connection that never opened must not hold a verdict up
    void client.end().catch(() => undefined);
  }
}
