// The composition root of the API: one line per part. Each part gets what it needs as
// arguments; nothing is looked up from globals.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { postgraphile } from 'postgraphile';
import { createAuthenticator } from './authentication.ts';
import type { Config } from './config.ts';
import { installAuthentication } from './http/authentication.ts';
import { installGraphQL } from './http/graphql.ts';
import { installHealth } from './http/health.ts';
import { installRequestId } from './http/requestId.ts';
import type { Logger } from './logger.ts';
import type { PhiKeys } from './phiKeys.ts';
import type { Pools } from './pools.ts';
import { createPreset } from './preset.ts';

export type RunningServer = {
  httpServer: Server;
  /** e.g. http://127.0.0.1:5678 */
  url: string;
  /** stops PostGraphile (the HTTP server and the pools are closed by their owners) */
  release: () => Promise<void>;
};

export type ServerParts = { config: Config; pools: Pools; logger: Logger; keys: PhiKeys };

export async function startServer({ config, pools, logger, keys }: ServerParts): Promise<RunningServer> {
  const instance = postgraphile(createPreset({ config, pools, logger, keys }));
  // Introspect now: a server that cannot read its database must fail at start (and be
  // restarted by its orchestrator), not serve errors behind a green health check.
  await instance.getSchema();
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  installRequestId(app);
  const { allowAnonymousReads } = config.server;
  const authenticator = createAuthenticator({ etlPool: pools.etl, allowAnonymousReads });
  installHealth(app, pools);
  installAuthentication(app, authenticator, { allowAnonymousReads, logger });
  await installGraphQL(app, httpServer, instance);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.server.port, config.server.host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    httpServer,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    release: async () => {
      await instance.release();
    },
  };
}
