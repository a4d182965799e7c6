// Fail fast while the database is down. Without this, every /graphql request during an
// outage tried the pool, waited for a connection that could not be made, and came back as an
// opaque error with HTTP 200; /readyz waited up to the pool's connection timeout.
//
// The gate is a small circuit breaker with two states:
// - open (normal): requests go through. Any sign that the database may be gone — a request
//   failing with a connection error (src/errors.ts, src/http/authentication.ts), an idle pooled
//   connection dying — makes the gate *probe*: a fresh connection and `select 1`, bounded by a
//   short timeout; /readyz (src/http/health.ts) probes at most once a second. A sign alone
//   changes nothing: a pool that is merely busy, or one killed connection, is not an outage.
// - closed: a probe failed. /graphql answers 503 at once, with Retry-After and a GraphQL-shaped
//   error, without touching the pool; /readyz answers 503 at once. A probe runs every
//   `probeIntervalMilliseconds`; the first that succeeds opens the gate again, so the server
//   recovers by itself when the database is back.
//
// The probe opens its own connection instead of borrowing one from the pool: under load the
// pool's connections are all busy, and a probe queued behind them would report a busy
// database as a dead one.
import type { Express, Response } from 'express';
import type pg from 'pg';
import { queryOnFreshConnection } from '../database/freshConnection.ts';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailableError } from '../database/unavailable.ts';
import { loggableError, type Logger } from '../logger.ts';
import { refuse } from './refuse.ts';

export type DatabaseGateOptions = {
  /** the pool every GraphQL request needs (the API's reads); the probe connects with its settings */
  pool: pg.Pool;
  /** pools whose idle connections failing is a sign to probe (the API's and the ingest's) */
  watchedPools?: readonly pg.Pool[];
  logger: Logger;
  /** pause between probes while the database is down, and the least time between two probes */
  probeIntervalMilliseconds?: number;
  /** how long a probe (connect, then `select 1`) may take before the database counts as down */
  probeTimeoutMilliseconds?: number;
};

export type DatabaseGate = {
  /** false from a failed probe until one succeeds again */
  isOpen: () => boolean;
  /** what refused clients are told to wait (Retry-After), in seconds */
  retryAfterSeconds: number;
  /** a database error met by a request: when it is a connection error, probe now */
  report: (error: unknown) => void;
  /** connects afresh and runs `select 1`; opens or closes the gate; resolves to whether it answered */
  probe: () => Promise<boolean>;
  /** stops probing and watching (the server is released) */
  stop: () => void;
};

export function createDatabaseGate({
  pool,
  watchedPools = [pool],
  logger,
  probeIntervalMilliseconds = 1_000,
  probeTimeoutMilliseconds = 1_500,
}: DatabaseGateOptions): DatabaseGate {
  let open = true;
  let stopped = false;
  let probing: Promise<boolean> | null = null;
  let lastProbeStarted = 0;
  let nextProbe: NodeJS.Timeout | null = null;

  async function connectAndSelect(): Promise<unknown> {
    try {
      await queryOnFreshConnection(pool, 'select 1', { applicationName: 'seqmeta-probe', timeoutMilliseconds: probeTimeoutMilliseconds });
      return null;
    } catch (error) {
      return error;
    }
  }


  function settle(failure: unknown): boolean {
    const answered = failure === null;
    if (answered && !open) logger.info('the database answers again: serving /graphql again');
    if (!answered && open) {
      logger.error(
        { err: loggableError(failure), retryAfterSeconds: gate.retryAfterSeconds },
        'the database does not answer: /graphql and /readyz answer 503 until it does',
      );
    }
    open = answered;
    if (!open) scheduleProbe();
    return answered;
  }

  function scheduleProbe(): void {
    if (stopped || nextProbe !== null) return;
    nextProbe = setTimeout(() => {
      nextProbe = null;
      void gate.probe();
    }, probeIntervalMilliseconds);
    // a pending probe must not keep a stopping process alive
    nextProbe.unref();
  }

  const onIdleError = (error: Error) => gate.report(error);
  for (const watched of watchedPools) watched.on('error', onIdleError);

  const gate: DatabaseGate = {
    isOpen: () => open,
    retryAfterSeconds: Math.max(1, Math.ceil((probeIntervalMilliseconds + probeTimeoutMilliseconds) / 1000)),
    report(error) {
      if (stopped || !open || !isDatabaseUnavailableError(error)) return;
      // under a burst of failures, one probe per interval is enough
      if (probing === null && Date.now() - lastProbeStarted < probeIntervalMilliseconds) return;
      void gate.probe();
    },
    probe() {
      if (probing === null) {
        lastProbeStarted = Date.now();
        probing = connectAndSelect().then((failure) => {
          probing = null;
          return stopped ? failure === null : settle(failure);
        });
      }
      return probing;
    },
    stop() {
      stopped = true;
      if (nextProbe !== null) clearTimeout(nextProbe);
      nextProbe = null;
      for (const watched of watchedPools) watched.off('error', onIdleError);
    },
  };
  return gate;
}

/** The answer to a GraphQL request while the database is unavailable. */
export function refuseWhileDatabaseUnavailable(response: Response, retryAfterSeconds: number): void {
  refuse(response, {
    status: 503,
    code: 'SERVICE_UNAVAILABLE',
    message: DATABASE_UNAVAILABLE_MESSAGE,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** Refuses /graphql at once while the gate is closed; installed before authentication. */
export function installDatabaseGate(app: Express, gate: DatabaseGate): void {
  app.use('/graphql', (_request, response, next) => {
    if (gate.isOpen()) {
      next();
      return;
    }
    refuseWhileDatabaseUnavailable(response, gate.retryAfterSeconds);
  });
}
