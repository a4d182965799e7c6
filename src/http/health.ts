// /healthz: the process answers. /readyz: the database answers, so a load balancer only sends
// traffic to servers that can serve it.
//
// /readyz asks the database gate (src/http/databaseGate.ts), not the API's pool: while the
// gate is closed it says 503 at once; otherwise the gate's probe (a fresh connection and
// `select 1`, within its timeout) decides, at most once a second, every /readyz meanwhile
// sharing the verdict. A pool that is merely busy is no reason to leave the load balancer: a
// `select 1` queued behind a burst that saturates the pool failed readiness on every server at
// once, and took the whole service out.
//
// With a read replica (src/database/readRouting.ts), /readyz also says how the replica is and
// where reads go now: `{"status":"ready","replica":"unavailable","reads":"primary"}` while reads
// fall back to the primary; 503 with `"reads":"none"` while they are refused
// (SEQMETA_REPLICA_FALLBACK=fail). While reads go to the replica, /readyz also sends one
// `select 1` there (at most one at a time, without waiting for it): a replica that fails it is
// probed by the read routing, and the next /readyz says so.
import type { Express, Response } from 'express';
import type { ReadRouting, ReadState } from '../database/readRouting.ts';
import type { DatabaseGate } from './databaseGate.ts';

const unavailable = (response: Response, retryAfterSeconds: number, replica: ReadState | null = null, reason = 'the database does not answer') => {
  response.setHeader('Retry-After', String(retryAfterSeconds));
  response.status(503).json({ status: 'unavailable', reason, ...replica });
};

export type HealthOptions = {
  /** how long one verdict of the gate's probe answers /readyz (a burst of checks costs one connection) */
  verdictMilliseconds?: number;
  /** with a read replica: where reads go, and the replica's state */
  readRouting?: Pick<ReadRouting, 'pool' | 'state'>;
};

export function installHealth(
  app: Express,
  gate: Pick<DatabaseGate, 'isOpen' | 'probe' | 'retryAfterSeconds'>,
  { verdictMilliseconds = 1_000, readRouting }: HealthOptions = {},
): void {
  let verdict: { at: number; answered: Promise<boolean> } | null = null;
  const databaseAnswers = (): Promise<boolean> => {
    if (verdict === null || Date.now() - verdict.at >= verdictMilliseconds) verdict = { at: Date.now(), answered: gate.probe() };
    return verdict.answered;
  };

  let replicaCheckedAt = 0;
  let checkingReplica = false;
  const checkReplica = (): void => {
    if (readRouting?.state()?.reads !== 'replica' || checkingReplica || Date.now() - replicaCheckedAt < verdictMilliseconds) return;
    checkingReplica = true;
    replicaCheckedAt = Date.now();
    // the read routing hears of a failure and probes; its verdict is in state()
    void readRouting.pool
      .query('select 1')
      .catch(() => undefined)
      .finally(() => {
        checkingReplica = false;
      });
  };

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    if (!gate.isOpen()) {
      unavailable(response, gate.retryAfterSeconds, readRouting?.state());
      return;
    }
    checkReplica();
    const answered = await databaseAnswers();
    const replica = readRouting?.state() ?? null;
    if (!answered) {
      unavailable(response, gate.retryAfterSeconds, replica);
    } else if (replica?.reads === 'none') {
      unavailable(response, gate.retryAfterSeconds, replica, 'the read replica does not answer');
    } else {
      response.json({ status: 'ready', ...replica });
    }
  });
}
