// The PostGraphile preset: Amber + clean names + filters + aggregates, introspecting only
// the api schema through the frontend_api pool. PgRBACPlugin (part of Amber) hides what
// that role cannot select, so the schema is exactly what the database lets it read.
import { PgAggregatesPreset } from '@graphile/pg-aggregates';
import { PgSimplifyInflectionPreset } from '@graphile/simplify-inflection';
import { makePgService } from 'postgraphile/adaptors/pg';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { PostGraphileConnectionFilterPreset } from 'postgraphile-plugin-connection-filter';
import { createIngestMutationsPlugin } from '../plugins/ingestMutations/index.ts';
import { createPaginationCapPlugin } from '../plugins/paginationCap.ts';
import { createQueryLimitsPlugin } from '../plugins/queryLimits/index.ts';
import { createReadScopePlugin } from '../plugins/readScope.ts';
import type { Config } from './config.ts';
import { createErrorMasker } from './errors.ts';
import { exampleQuery, graphiqlExamples } from './graphiqlExamples.ts';
import { createGraphiqlPage } from './graphiqlPage.ts';
import './http/requestContext.ts';
import type { Logger } from './logger.ts';
import type { PhiKeys } from './phiKeys.ts';
import type { Pools } from './pools.ts';

export type PresetOptions = {
  config: Config;
  pools: Pools;
  logger: Logger;
  /** PHI keys for registerSample */
  keys: PhiKeys;
};

export function createPreset({ config, pools, logger, keys }: PresetOptions): GraphileConfig.Preset {
  return {
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PostGraphileConnectionFilterPreset, PgAggregatesPreset],
    plugins: [
      createReadScopePlugin({ allowAnonymousReads: config.server.allowAnonymousReads }),
      createPaginationCapPlugin(config.limits),
      createQueryLimitsPlugin(config.limits),
      createIngestMutationsPlugin({ pool: pools.etl, rules: config.ingest, keys }),
    ],
    pgServices: [makePgService({ pool: pools.api, schemas: ['api'] })],
    grafserv: {
      graphqlPath: '/graphql',
      graphiql: true,
      graphiqlPath: '/graphiql',
      graphiqlOnGraphQLGET: false,
      maxRequestLength: config.server.maximumBodyBytes,
      watch: false,
      maskError: createErrorMasker(logger, config.server.apiStatementTimeoutMilliseconds),
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
