// The baseline: PostGraphile 5 as its documentation sets it up, over the same views with
// the same community presets seqmeta uses (Amber, simplify-inflection, connection-filter,
// pg-aggregates), so that a query compiles to the same SQL; none of seqmeta's plugins or
// middleware (read scope, pagination cap, query limits, ingest, authentication, request
// ids), the same pool size, grafserv on Express. Run as a child process by bench/run.ts:
//   SEQMETA_API_DATABASE_URL=… PORT=… tsx bench/plainPostgraphile.ts
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { PgAggregatesPreset } from '@graphile/pg-aggregates';
import { PgSimplifyInflectionPreset } from '@graphile/simplify-inflection';
import express from 'express';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/express/v4';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { PostGraphileConnectionFilterPreset } from 'postgraphile-plugin-connection-filter';
import { loadConfig, requireDatabaseUrl } from '../src/config.ts';

export function createPlainPreset(pool: pg.Pool): GraphileConfig.Preset {
  return {
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PostGraphileConnectionFilterPreset, PgAggregatesPreset],
    pgServices: [makePgService({ pool, schemas: ['api'] })],
    grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
    grafast: { explain: false },
  };
}

export type PlainServer = { httpServer: Server; url: string; release: () => Promise<void> };

export async function startPlainPostgraphile(pool: pg.Pool, host: string, port: number): Promise<PlainServer> {
  const instance = postgraphile(createPlainPreset(pool));
  await instance.getSchema();
  const app = express();
  const httpServer = createServer(app);
  await instance.createServ(grafserv).addTo(app, httpServer);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  return {
    httpServer,
    url: `http://${host}:${address.port}`,
    release: async () => {
      await instance.release();
    },
  };
}

/** Same settings as the seqmeta server where they apply: the API login, pool size, host and port. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (config.databaseUrls === null) throw new Error('set SEQMETA_API_DATABASE_URL');
  const pool = new pg.Pool({
    connectionString: requireDatabaseUrl(config.databaseUrls, 'api'),
    max: config.server.apiPoolSize,
    application_name: 'plain-postgraphile',
  });
  const server = await startPlainPostgraphile(pool, config.server.host, config.server.port);
  const stop = async () => {
    server.httpServer.close();
    server.httpServer.closeAllConnections();
    await server.release();
    await pool.end();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
