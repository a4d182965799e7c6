// A live seqmeta API over a fresh test database, on a free port, for HTTP tests. The API
// pool can count the statements it sends, to prove batching. With SEQMETA_TEST_PGBOUNCER=1 both
// pools go through the run's PgBouncer in transaction pooling mode (test/support/pgbouncer.ts).
import type { DestinationStream } from 'pino';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { generateKey } from '../../src/phi.ts';
import type { PhiKeys } from '../../src/phiKeys.ts';
import { createPools, type Pools } from '../../src/pools.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { apiLogins, testPgbouncer } from './apiLogins.ts';
import type { PgbouncerAddress } from './pgbouncer.ts';

/** Stops an in-process server: no new connections, open ones closed, PostGraphile released. */
export async function stopRunningServer(server: RunningServer): Promise<void> {
  await new Promise<void>((resolve) => {
    server.httpServer.close(() => resolve());
    server.httpServer.closeAllConnections();
  });
  await server.release();
}

export type InProcessServer = { url: string; config: Config; pools: Pools; server: RunningServer; stop: () => Promise<void> };

export type InProcessServerOptions = {
  /** e.g. to count the statements a pool sends; called before the server starts */
  preparePools?: (pools: Pools) => void;
};

/**
 * The real server composed as src/main.ts composes it, from `environment` (its database URLs
 * included), in this process on a free port; stop() closes what it opened.
 */
export async function startInProcessServer(
  environment: Record<string, string>,
  { preparePools }: InProcessServerOptions = {},
): Promise<InProcessServer> {
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', ...environment });
  const logger = createLogger(config);
  const pools = createPools(config.databaseUrls!, config.server, logger);
  preparePools?.(pools);
  let server: RunningServer;
  try {
    server = await startServer({ config, pools, logger, keys: testPhiKeys() });
  } catch (error) {
    await pools.close();
    throw error;
  }
  return {
    url: server.url,
    config,
    pools,
    server,
    async stop() {
      await stopRunningServer(server);
      await pools.close();
    },
  };
}

/** Fresh random keys: tests never depend on a particular key. */
export const testPhiKeys = (): PhiKeys => ({
  pseudonymKey: generateKey(),
  keyring: { currentVersion: 1, keys: new Map([[1, generateKey()]]) },
});

export type TestApi = {
  database: TestDatabase;
  /** the PHI keys the server uses, to compute expected pseudonyms */
  keys: PhiKeys;
  config: Config;
  url: string;
  /** POST /graphql with a JSON body; returns status and parsed body */
  graphql: (
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; body: any }>;
  /** SQL statements the API pool sent since the last reset */
  statements: string[];
  stop: () => Promise<void>;
};

export type TestApiOptions = {
  /**
   * Where the server's log lines go instead of stdout, e.g. to capture them (set LOG_LEVEL in
   * the environment too: logs are silent by default). The logger stays the server's own.
   */
  logDestination?: DestinationStream;
  /** through this PgBouncer rather than the run's (test/support/pgbouncer.ts); null: straight to Postgres */
  pgbouncer?: PgbouncerAddress | null;
};

export async function startTestApi(environment: Record<string, string> = {}, options: TestApiOptions = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  const logins = apiLogins(database.urls, options.pgbouncer === undefined ? testPgbouncer() : options.pgbouncer);
  // Tests send hundreds of requests a minute from one address: the per-caller request limit
  // is off unless a test sets it (test/api/edgeProtection.test.ts tests the limits).
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PORT: '0',
    SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN: '0',
    ...logins.environment,
    ...environment,
  });
  const logger = createLogger(config, options.logDestination);
  const statements: string[] = [];
  const keys = testPhiKeys();
  const pools: Pools = createPools({ admin: null, owner: null, etl: logins.etl, api: logins.api }, config.server, logger);
  // Record what PostGraphile sends through the frontend_api pool: every new connection's
  // query method is wrapped once.
  pools.api.on('connect', (client) => {
    const originalQuery = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text: string };
      statements.push(typeof first === 'string' ? first : first.text);
      return originalQuery(...args);
    };
  });
  let server: RunningServer;
  try {
    server = await startServer({ config, pools, logger, keys });
  } catch (error) {
    await pools.close();
    await database.destroy();
    throw error;
  }
  return {
    database,
    keys,
    config,
    url: server.url,
    statements,
    async graphql(query, variables, headers = {}) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: response.status, body };
    },
    async stop() {
      await stopRunningServer(server);
      await pools.close();
      await database.destroy();
    },
  };
}
