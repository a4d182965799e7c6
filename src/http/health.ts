// /healthz: the process answers. /readyz: the database answers through the API's pool, so
// a load balancer only sends traffic to replicas that can serve it.
import type { Express } from 'express';
import type { Pools } from '../pools.ts';

export function installHealth(app: Express, pools: Pick<Pools, 'api'>): void {
  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    try {
      await pools.api.query('select 1');
      response.json({ status: 'ready' });
    } catch {
      response.status(503).json({ status: 'unavailable', reason: 'the database does not answer' });
    }
  });
}
