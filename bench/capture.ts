// The SQL behind each scenario, recorded in-process: the seqmeta server and the plain
// PostGraphile baseline run here on pools whose clients record every statement (text,
// parameters, prepared statement name, row mode), as test/support/apiServer.ts counts them.
// The counts are the "SQL statements per request"; the recorded statements are replayed
// through pg as the raw-SQL limit.
import type { Server } from 'node:http';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import type { PhiKeys } from '../src/phiKeys.ts';
import { createPools } from '../src/pools.ts';
import { startServer } from '../src/server.ts';
import type { DatabaseLogins } from './dataset.ts';
import { startPlainPostgraphile } from './plainPostgraphile.ts';
import type { GraphqlCall } from './scenarios.ts';

export type RecordedStatement = {
  pool: 'api' | 'etl';
  text: string;
  values: unknown[];
  /** prepared statement name, when @dataplan/pg gave one */
  name?: string;
  rowMode?: 'array';
};

// @dataplan/pg sends this once on each new connection, not per request.
const CONNECTION_SETUP = /^set jit_optimize_above_cost = -1;?$/;

type Recorder = { statements: RecordedStatement[] };

function record(pool: pg.Pool, name: RecordedStatement['pool'], recorder: Recorder): void {
  pool.on('connect', (client) => {
    const originalQuery = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text: string; values?: unknown[]; name?: string; rowMode?: string };
      const statement: RecordedStatement =
        typeof first === 'string'
          ? { pool: name, text: first, values: Array.isArray(args[1]) ? (args[1] as unknown[]) : [] }
          : {
              pool: name,
              text: first.text,
              values: first.values ?? (Array.isArray(args[1]) ? (args[1] as unknown[]) : []),
              ...(first.name ? { name: first.name } : {}),
              ...(first.rowMode === 'array' ? { rowMode: 'array' as const } : {}),
            };
      if (!CONNECTION_SETUP.test(statement.text.trim())) recorder.statements.push(statement);
      return originalQuery(...args);
    };
  });
}

export type RecordingServer = {
  url: string;
  graphql: GraphqlCall;
  /** runs one request alone and returns its response and the statements it sent */
  capture: (
    document: string,
    variables: Record<string, unknown>,
    authorization?: string | null,
  ) => Promise<{ body: { data?: any; errors?: unknown[] }; statements: RecordedStatement[] }>;
  stop: () => Promise<void>;
};

export function graphqlOver(url: string): GraphqlCall {
  return async (document, variables, authorization) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify({ query: document, variables }),
    });
    return (await response.json()) as { data?: any; errors?: unknown[] };
  };
}

function recordingServer(url: string, recorder: Recorder, stop: () => Promise<void>): RecordingServer {
  const graphql = graphqlOver(url);
  let busy = false;
  return {
    url,
    graphql,
    async capture(document, variables, authorization) {
      if (busy) throw new Error('capture one request at a time');
      busy = true;
      try {
        recorder.statements.length = 0;
        const body = await graphql(document, variables, authorization);
        return { body, statements: recorder.statements.splice(0) };
      } finally {
        busy = false;
      }
    },
    stop,
  };
}

async function closeHttp(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The seqmeta server as `npm start` builds it, with anonymous reads open, recording both pools;
 * `settings` on top (e.g. transaction pooling, behind PgBouncer).
 */
export async function startRecordingSeqmeta(urls: DatabaseLogins, keys: PhiKeys, poolSize: number, settings: Record<string, string> = {}): Promise<RecordingServer> {
  const config = loadConfig({
    SEQMETA_API_DATABASE_URL: urls.api,
    SEQMETA_ETL_DATABASE_URL: urls.etl,
    SEQMETA_ALLOW_ANONYMOUS_READS: 'true',
    SEQMETA_API_POOL_SIZE: String(poolSize),
    ...settings,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
  });
  const logger = createLogger(config);
  const pools = createPools(config.databaseUrls!, config.server, logger);
  const recorder: Recorder = { statements: [] };
  record(pools.api, 'api', recorder);
  record(pools.etl, 'etl', recorder);
  const server = await startServer({ config, pools, logger, keys });
  return recordingServer(server.url, recorder, async () => {
    await closeHttp(server.httpServer);
    await server.release();
    await pools.close();
  });
}

export async function startRecordingPlain(urls: DatabaseLogins, poolSize: number): Promise<RecordingServer> {
  const pool = new pg.Pool({ connectionString: urls.api, max: poolSize });
  const recorder: Recorder = { statements: [] };
  record(pool, 'api', recorder);
  const server = await startPlainPostgraphile(pool, '127.0.0.1', 0);
  return recordingServer(server.url, recorder, async () => {
    await closeHttp(server.httpServer);
    await server.release();
    await pool.end();
  });
}
