// /healthz says the process answers; /readyz says the database answers (the database gate's
// probe on a fresh connection, not the API's pool, which may only be busy), so a load balancer
// only routes to replicas that can serve. These tests compose the server the way src/main.ts
// does (not through startTestApi), because they point it at databases that go away or never
// existed, or hold its pool.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { secureDatabase } from '../../src/database/bootstrap.ts';
import { createLogger } from '../../src/logger.ts';
import { createPools } from '../../src/pools.ts';
import { startServer } from '../../src/server.ts';
import { startInProcessServer, testPhiKeys, type InProcessServer } from '../support/apiServer.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { adminQuery, serverUrls } from '../support/server.ts';

type Served = InProcessServer;

/** Starts the real server over the given logins, anonymous reads on; stop() closes everything it opened. */
const serve = (urls: { api: string; etl: string }, environment: Record<string, string> = {}): Promise<Served> =>
  startInProcessServer({
    SEQMETA_API_DATABASE_URL: urls.api,
    SEQMETA_ETL_DATABASE_URL: urls.etl,
    SEQMETA_ALLOW_ANONYMOUS_READS: 'true',
    ...environment,
  });

/** GET with a deadline: a probe that hangs is as bad as one that fails. */
async function probe(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.json() };
}

async function countSamples(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: '{ samples(first: 1) { totalCount } }' }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json() };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, milliseconds = 5_000): Promise<T> {
  const deadline = Date.now() + milliseconds;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('health and readiness', () => {
  let database: TestDatabase;
  let served: Served;

  beforeAll(async () => {
    database = await createTestDatabase();
    served = await serve(database.urls);
  });
  afterAll(async () => {
    await served?.stop();
    await database?.destroy();
  });

  it('/healthz answers 200 while the process is up', async () => {
    expect(await probe(`${served.url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('/readyz answers 200 while the database answers', async () => {
    expect(await probe(`${served.url}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });
    const graphql = await countSamples(served.url);
    expect(graphql).toEqual({ status: 200, body: { data: { samples: { totalCount: 0 } } } });
  });

  it('/readyz answers 503 when the database is gone, /healthz still 200, and both recover when it is back', async () => {
    await adminQuery(database.server.adminUrl, `drop database ${database.name} with (force)`);

    const unready = await waitFor(() => probe(`${served.url}/readyz`), (result) => result.status === 503);
    expect(unready.status).toBe(503);
    expect(unready.body).toEqual({ status: 'unavailable', reason: 'the database does not answer' });
    expect(JSON.stringify(unready.body)).not.toContain(database.name);
    expect(await probe(`${served.url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    // a read meanwhile is refused at once with a 503 the client can act on, not a crash
    const failedRead = await countSamples(served.url);
    expect(failedRead.status).toBe(503);
    expect(failedRead.body).toEqual({
      errors: [{ message: 'the database is unavailable; try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }],
    });

    // the same database again, as a deployment would restore it
    await adminQuery(
      database.server.adminUrl,
      `create database ${database.name} template ${database.server.templateDatabase} owner seqmeta_owner`,
    );
    await secureDatabase(database.server.adminUrl, database.name, 'seqmeta_owner');
    const ready = await waitFor(() => probe(`${served.url}/readyz`), (result) => result.status === 200);
    expect(ready).toEqual({ status: 200, body: { status: 'ready' } });
    const graphql = await waitFor(() => countSamples(served.url), (result) => result.body.data !== undefined);
    expect(graphql).toEqual({ status: 200, body: { data: { samples: { totalCount: 0 } } } });
  });
});

describe('readiness while the API pool is busy', () => {
  let database: TestDatabase;
  let served: Served;

  beforeAll(async () => {
    database = await createTestDatabase();
    served = await serve(database.urls, { SEQMETA_API_POOL_SIZE: '1' });
  });
  afterAll(async () => {
    await served?.stop();
    await database?.destroy();
  });

  it('/readyz answers 200, at once, while every connection of the pool is taken and requests wait for one', async () => {
    // a burst that saturates the pool is load, not an outage: failing readiness on every server
    // at once would take the whole service out of the load balancer
    const held = await served.pools.api.connect();
    let waiting: Promise<unknown> | null = null;
    try {
      const sleeping = held.query('select pg_sleep(3)');
      waiting = countSamples(served.url).catch(() => undefined);
      const started = performance.now();
      const ready = await probe(`${served.url}/readyz`);
      const elapsed = performance.now() - started;
      expect(ready).toEqual({ status: 200, body: { status: 'ready' } });
      // the pool would have kept it until the sleep ends (3 s); generous for a loaded machine
      expect(elapsed).toBeLessThan(2_500);
      await sleeping;
    } finally {
      held.release();
      await waiting;
    }
  });
});

describe('a start that fails after introspection', () => {
  it('leaves nothing running when the port is taken: the error is the listen error, and no probe still watches the pools', async () => {
    const database = await createTestDatabase();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const port = (taken.address() as { port: number }).port;
    const config = loadConfig({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: String(port) });
    const logger = createLogger(config);
    const pools = createPools({ ...database.urls, admin: null, owner: null }, config.server, logger);
    try {
      const listeners = () => [pools.api.listenerCount('error'), pools.etl.listenerCount('error')];
      const before = listeners();
      await expect(startServer({ config, pools, logger, keys: testPhiKeys() })).rejects.toThrow(/EADDRINUSE/);
      // the database gate watches the pools' idle errors until stopped
      expect(listeners()).toEqual(before);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      await pools.close();
      await database.destroy();
    }
  });
});

/** The start-up error's message, or 'started' (after stopping the server again). */
async function startOutcome(urls: { api: string; etl: string }): Promise<string> {
  return serve(urls).then(
    async (served) => {
      await served.stop();
      return 'started';
    },
    (error: Error) => String(error.message),
  );
}

describe('start-up without a database', () => {
  it('refuses to start when the API database does not answer, instead of serving errors', async () => {
    // PostGraphile builds the schema from the database. A server that started without it
    // answered /healthz and, once the database was back, /readyz with 200, yet every GraphQL
    // request with a 500 "Unknown error occurred", for ever (the schema is never rebuilt).
    // Failing at start lets the orchestrator restart it until the database is there.
    const missing = serverUrls(inject('testServer'), `seqmeta_test_missing_${process.pid}`);
    expect(await startOutcome({ api: missing.api, etl: missing.etl })).toMatch(/does not exist/);
  });

  it('refuses to start when the API database\'s port is closed', async () => {
    const closed = 'postgres://frontend_api:unused@127.0.0.1:1/seqmeta';
    expect(await startOutcome({ api: closed, etl: closed })).toMatch(/ECONNREFUSED/);
  });
});
