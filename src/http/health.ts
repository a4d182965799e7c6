// /healthz: the process answers. /readyz: the database answers through the API's pool, so
// a load balancer only sends traffic to replicas that can serve it. Both answer within a
// bound: while the database gate (src/http/databaseGate.ts) knows the database is down,
// /readyz says so at once; otherwise its `select 1` gets the gate's probe timeout.
// With a read replica (src/database/readRouting.ts), /readyz checks where the reads go now and
// the primary (through the ingest pool, which tokens and writes need), and says how the replica
// is: `{"status":"ready","replica":"unavailable","reads":"primary"}` while reads fall back to the
// primary; 503 with `"reads":"none"` while they are refused (SEQMETA_REPLICA_FALLBACK=fail).
import type { Express, Response } from 'express';
import type { ReadRouting, ReadState } from '../database/readRouting.ts';
import type { Pools } from '../pools.ts';
import type { DatabaseGate } from './databaseGate.ts';

const unavailable = (response: Response, retryAfterSeconds: number, replica: ReadState | null = null, reason = 'the database does not answer') => {
  response.setHeader('Retry-After', String(retryAfterSeconds));
  response.status(503).json({ status: 'unavailable', reason, ...replica });
};

export type HealthOptions = {
  /** ms /readyz waits for its `select 1` (a pool busy for longer is not ready for more) */
  readinessTimeoutMilliseconds?: number;
  /** with a read replica: where reads go, and the replica's state */
  readRouting?: Pick<ReadRouting, 'pool' | 'state'>;
};

export function installHealth(
  app: Express,
  pools: Pick<Pools, 'api' | 'etl'>,
  gate: Pick<DatabaseGate, 'isOpen' | 'report' | 'retryAfterSeconds'>,
  { readinessTimeoutMilliseconds = 2_000, readRouting }: HealthOptions = {},
): void {
  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    if (!gate.isOpen()) {
      unavailable(response, gate.retryAfterSeconds, readRouting?.state());
      return;
    }
    const replicated = readRouting?.state() != null;
    let deadline: NodeJS.Timeout | undefined;
    let readsFailed = false;
    try {
      // without a replica, the reads' pool is the primary's; with one, the primary through the
      // ingest pool, so that only the replica sees the read login while reads go there
      const primary = (replicated ? pools.etl : pools.api).query('select 1');
      // the query may outlive the deadline; its failure is still reported to the gate
      primary.catch((error: unknown) => gate.report(error));
      // where reads go now; a replica that fails here is probed and, with the fallback, replaced
      const reads = replicated
        ? readRouting!.pool.query('select 1').catch((error: unknown) => {
            readsFailed = true;
            throw error;
          })
        : null;
      await Promise.race([
        Promise.all([primary, reads]),
        new Promise((_resolve, reject) => {
          deadline = setTimeout(() => reject(new Error('readiness check timed out')), readinessTimeoutMilliseconds);
        }),
      ]);
      response.json({ status: 'ready', ...readRouting?.state() });
    } catch {
      const replica = readRouting?.state() ?? null;
      const reason = readsFailed && replica?.reads === 'none' ? 'the read replica does not answer' : undefined;
      unavailable(response, gate.retryAfterSeconds, replica, reason);
    } finally {
      clearTimeout(deadline);
    }
  });
}
