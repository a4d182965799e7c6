// The PostGraphile preset: Amber + clean names + filters + aggregates, introspecting only
// the api schema through the frontend_api pool. PgRBACPlugin (part of Amber) hides what
// that role cannot select, so the schema is exactly what the database lets it read.
import { PgAggregatesPreset } from '@graphile/pg-aggregates';
import { PgSimplifyInflectionPreset } from '@graphile/simplify-inflection';
import { makePgService } from 'postgraphile/adaptors/pg';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { PostGraphileConnectionFilterPreset } from 'postgraphile-plugin-connection-filter';
import { createDisableIntrospectionPlugin } from '../plugins/disableIntrospection.ts';
import { createGraphiqlScriptNoncePlugin } from '../plugins/graphiqlScriptNonce.ts';
import { createIngestMutationsPlugin } from '../plugins/ingestMutations/index.ts';
import type { IngestMetrics } from '../plugins/ingestMutations/operations.ts';
import { createOperationObserverPlugin } from '../plugins/operationObserver.ts';
import { createPaginationCapPlugin } from '../plugins/paginationCap.ts';
import { createQueryLimitsPlugin } from '../plugins/queryLimits/index.ts';
import { createReadScopePlugin } from '../plugins/readScope.ts';
import { createServiceUnavailableStatusPlugin } from '../plugins/serviceUnavailableStatus.ts';
import { createTrustedDocumentsPreset } from '../plugins/trustedDocuments.ts';
import type { Config } from './config.ts';
import { createErrorMasker } from './errors.ts';
import { exampleQuery, graphiqlExamples } from './graphiqlExamples.ts';
import { createGraphiqlPage } from './graphiqlPage.ts';
import type { ReadRouting } from './database/readRouting.ts';
import type { DatabaseGate } from './http/databaseGate.ts';
import './http/requestContext.ts';
import type { Logger } from './logger.ts';
import type { PhiKeys } from './phiKeys.ts';
import { readSettingsPerTransaction, type Pools } from './pools.ts';

/** GraphiQL's page and, under the other path, its scripts, styles and workers */
export const GRAPHIQL_PATH = '/graphiql';
export const GRAPHIQL_STATIC_PATH = '/ruru-static/';

export type PresetOptions = {
  config: Config;
  pools: Pools;
  logger: Logger;
  /** PHI keys for registerSample */
  keys: PhiKeys;
  /** counts the rows the ingest mutations write (src/metrics.ts) */
  ingestMetrics?: IngestMetrics;
  /** a serving server's: hears of connection errors; they are answered 503 with its Retry-After */
  databaseGate?: Pick<DatabaseGate, 'report' | 'retryAfterSeconds'>;
  /** a serving server's: reads on a streaming replica, and mutations reading their own writes there; without it, reads on pools.api */
  readRouting?: Pick<ReadRouting, 'pool' | 'readYourWrites'>;
};

export function createPreset({ config, pools, logger, keys, databaseGate, ingestMetrics, readRouting }: PresetOptions): GraphileConfig.Preset {
  const { edge } = config;
  return {
    extends: [
      PostGraphileAmberPreset,
      PgSimplifyInflectionPreset,
      PostGraphileConnectionFilterPreset,
      PgAggregatesPreset,
      ...(edge.persistedOperationsDirectory === null
        ? []
        : [createTrustedDocumentsPreset({ directory: edge.persistedOperationsDirectory, unpersistedOperationsFrom: edge.unpersistedOperationsFrom, logger })]),
    ],
    plugins: [
      createOperationObserverPlugin(),
      createReadScopePlugin({ allowAnonymousReads: config.server.allowAnonymousReads }),
      createPaginationCapPlugin(config.limits),
      createQueryLimitsPlugin(config.limits),
      createIngestMutationsPlugin({ pool: pools.etl, rules: config.ingest, keys, metrics: ingestMetrics, readYourWrites: readRouting?.readYourWrites }),
      ...(databaseGate ? [createServiceUnavailableStatusPlugin(databaseGate)] : []),
      ...(edge.introspection ? [] : [createDisableIntrospectionPlugin()]),
      ...(edge.graphiql ? [createGraphiqlScriptNoncePlugin()] : []),
    ],
    // behind a transaction pooler, the read pool's settings go into each read's transaction
    pgServices: [
      makePgService({ pool: readRouting?.pool ?? pools.api, schemas: ['api'], pgSettings: readSettingsPerTransaction(config.server) ?? undefined }),
    ],
    grafserv: {
      graphqlPath: '/graphql',
      graphiql: edge.graphiql,
      graphiqlPath: GRAPHIQL_PATH,
      graphiqlStaticPath: GRAPHIQL_STATIC_PATH,
      graphiqlOnGraphQLGET: false,
      maxRequestLength: config.server.maximumBodyBytes,
      watch: false,
      maskError: createErrorMasker(logger, config.server.apiStatementTimeoutMilliseconds, databaseGate?.report),
    },
    ruru: createGraphiqlPage({ projectName: 'seqmeta', defaultQuery: exampleQuery, examples: graphiqlExamples }),
    grafast: {
      explain: false,
      // What the plugins may know of the caller; never the request body or variables.
      context(requestContext) {
        const request = requestContext.expressv4?.req;
        return { principal: request?.seqmetaPrincipal ?? null, requestId: request?.seqmetaRequestId };
      },
    },
  };
}
