// /healthz: the process answers. /readyz: the database answers through the API's pool, so
// a load balancer only sends traffic to replicas that can serve it. Both answer within a
// bound: while the database gate (src/http/databaseGate.ts) knows the database is down,
// /readyz says so at once; otherwise its `select 1` gets the gate's probe timeout.
import type { Express, Response } from 'express';
import type { Pools } from '../pools.ts';
import type { DatabaseGate } from './databaseGate.ts';

const unavailable = (response: Response, retryAfterSeconds: number) => {
  response.setHeader('Retry-After', String(retryAfterSeconds));
  response.status(503).json({ status: 'unavailable', reason: 'the database does not answer' });
};

export type HealthOptions = {
  /** ms /readyz waits for its `select 1` (a pool busy for longer is not ready for more) */
  readinessTimeoutMilliseconds?: number;
};

export function installHealth(
  app: Express,
  pools: Pick<Pools, 'api'>,
  gate: Pick<DatabaseGate, 'isOpen' | 'report' | 'retryAfterSeconds'>,
  { readinessTimeoutMilliseconds = 2_000 }: HealthOptions = {},
): void {
  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    if (!gate.isOpen()) {
      unavailable(response, gate.retryAfterSeconds);
      return;
    }
    let deadline: NodeJS.Timeout | undefined;
    try {
      const query = pools.api.query('select 1');
      // the query may outlive the deadline; its failure is still reported to the gate
      query.catch((error: unknown) => gate.report(error));
      await Promise.race([
        query,
        new Promise((_resolve, reject) => {
          deadline = setTimeout(() => reject(new Error('readiness check timed out')), readinessTimeoutMilliseconds);
        }),
      ]);
      response.json({ status: 'ready' });
    } catch {
      unavailable(response, gate.retryAfterSeconds);
    } finally {
      clearTimeout(deadline);
    }
  });
}
