// The GraphQL schema as the API serves it, printed in a stable order, for the committed
// schema.graphql and the test that compares the two.
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'postgraphile/graphql';
import { postgraphile } from 'postgraphile';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createPools } from '../../src/pools.ts';
import { createPreset } from '../../src/preset.ts';
import { testPhiKeys } from './apiServer.ts';

export const schemaFile = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

/** Builds the schema by introspecting `apiUrl` as frontend_api, exactly as the server does. */
export async function buildSchema(apiUrl: string, etlUrl: string): Promise<GraphQLSchema> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const logger = createLogger(config);
  const pools = createPools({ admin: null, owner: null, api: apiUrl, etl: etlUrl }, config.server, logger);
  const instance = postgraphile(createPreset({ config, pools, logger, keys: testPhiKeys() }));
  try {
    return await instance.getSchema();
  } finally {
    await instance.release();
    await pools.close();
  }
}

export const printStableSchema = (schema: GraphQLSchema) => `${printSchema(lexicographicSortSchema(schema))}\n`;
