// The composition root of the API: one line per part. Each part gets what it needs as
// arguments; nothing is looked up from globals.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { postgraphile } from 'postgraphile';
import { createAuthenticator } from './authentication.ts';
import type { Config } from './config.ts';
import { createReadRouting } from './database/readRouting.ts';
import { verifyLogins } from './database/verifyLogins.ts';
import { installAccessLog } from './http/accessLog.ts';
import { installAuthentication } from './http/authentication.ts';
import { installCors } from './http/cors.ts';
import { createDatabaseGate, installDatabaseGate } from './http/databaseGate.ts';
import { installGraphQL } from './http/graphql.ts';
import { installHealth } from './http/health.ts';
import { installMetrics } from './http/metrics.ts';
import { createAuthenticationFailureLimit, installRequestRateLimit } from './http/rateLimits.ts';
import { installRequestBody } from './http/requestBody.ts';
import { installRequestId } from './http/requestId.ts';
import { installSecurityHeaders } from './http/securityHeaders.ts';
import type { Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import type { PhiKeys } from './phiKeys.ts';
import type { Pools } from './pools.ts';
import { createPreset, GRAPHIQL_PATH, GRAPHIQL_STATIC_PATH } from './preset.ts';

export type RunningServer = {
  httpServer: Server;
  /** e.g. http://127.0.0.1:5678 */
  url: string;
  /** stops PostGraphile (the HTTP server and the pools are closed by their owners) */
  release: () => Promise<void>;
};

export type ServerParts = { config: Config; pools: Pools; logger: Logger; keys: PhiKeys };

export async function startServer({ config, pools, logger, keys }: ServerParts): Promise<RunningServer> {
  await verifyLogins(pools, logger); // frontend_api and etl_worker, no superuser, or no start
  // answers 503 at once while the database is down, and notices when it is back
  const databaseGate = createDatabaseGate({ pool: pools.api, watchedPools: [pools.api, pools.etl], logger });
  // reads on the read replica when one is configured, else on pools.api; mutations read their own writes
  const { replicaFallback: fallback, replicaWaitMilliseconds: waitMilliseconds } = config.server;
  const readRouting = createReadRouting({ primary: pools.api, etl: pools.etl, replica: pools.apiReplica, fallback, waitMilliseconds, logger });
  // only when served; this server's own registry: cluster workers report separately
  const metrics = config.server.metrics ? createMetrics({ pools }) : null;
  const instance = postgraphile(createPreset({ config, pools, logger, keys, databaseGate, readRouting, ingestMetrics: metrics?.ingest }));
  const release = async () => {
    databaseGate.stop();
    readRouting.stop();
    metrics?.clear();
    await instance.release();
  };
  // Introspect now: a server that cannot read its database must fail at start (and be
  // restarted by its orchestrator), not serve errors behind a green health check.
  try {
    await instance.getSchema();
  } catch (error) {
    // a start that fails leaves nothing running (no probes, no PostGraphile) and reports its own error
    await release().catch(() => undefined);
    throw error;
  }
  const app = express();
  app.disable('x-powered-by');
  // which proxies' X-Forwarded-For names the client (rate limits, logs); none unless configured
  const { trustProxy } = config.edge;
  app.set('trust proxy', Array.isArray(trustProxy) ? [...trustProxy] : trustProxy);
  const httpServer = createServer(app);
  installRequestId(app);
  installAccessLog(app, logger);
  installSecurityHeaders(app, { graphiqlPaths: [GRAPHIQL_PATH, GRAPHIQL_STATIC_PATH] });
  installCors(app, config.edge.corsOrigins);
  if (metrics) installMetrics(app, metrics);
  const { allowAnonymousReads } = config.server;
  const authenticator = createAuthenticator({ etlPool: pools.etl, allowAnonymousReads, cacheMilliseconds: config.server.tokenCacheMilliseconds });
  installHealth(app, databaseGate, { readRouting });
  installDatabaseGate(app, databaseGate);
  const failureLimit = createAuthenticationFailureLimit(config.edge.authenticationFailuresPerMinute);
  installAuthentication(app, authenticator, { allowAnonymousReads, logger, databaseGate, failureLimit });
  installRequestRateLimit(app, config.edge.requestsPerMinutePerToken);
  installRequestBody(app, config.server.maximumBodyBytes);
  await installGraphQL(app, httpServer, instance, { graphiql: config.edge.graphiql });

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.server.port, config.server.host, () => resolve());
    });
  } catch (error) {
    // e.g. EADDRINUSE
    await release().catch(() => undefined);
    throw error;
  }
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    httpServer,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    release,
  };
}
