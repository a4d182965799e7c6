// npm run schema:export — rewrites schema.graphql from a freshly migrated database (the
// embedded one, or the configured URLs).
import { writeFile } from 'node:fs/promises';
import { loadConfig, requireDatabaseUrl } from '../../src/config.ts';
import { connectDatabase, setUpDatabase } from '../../src/database/setup.ts';
import { buildSchema, printStableSchema, schemaFile } from './graphqlSchema.ts';

const config = loadConfig(process.env);
const database = await connectDatabase(config);
try {
  if (config.mode === 'embedded') await setUpDatabase(database.urls, () => undefined);
  const schema = await buildSchema(requireDatabaseUrl(database.urls, 'api'), requireDatabaseUrl(database.urls, 'etl'));
  await writeFile(schemaFile, printStableSchema(schema));
  console.error(`wrote ${schemaFile}`);
} finally {
  await database.stop();
}
process.exit(0);
