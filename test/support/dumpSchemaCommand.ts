// npm run db:dump          rewrites db/schema.sql from the migrations
// npm run db:dump -- --check   fails when db/schema.sql and the migrations disagree
import { writeFile } from 'node:fs/promises';
import { schemaFile } from '../../src/database/migrate.ts';
import { dumpMigratedSchema, readCommittedSchema } from './schemaDump.ts';

const adminUrl = process.env.SEQMETA_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const check = process.argv.includes('--check');

try {
  const dump = await dumpMigratedSchema(adminUrl);
  if (!check) {
    await writeFile(schemaFile, dump);
    console.error(`wrote ${schemaFile}`);
  } else if (dump !== (await readCommittedSchema())) {
    console.error('db/schema.sql differs from the migrations: run `npm run db:dump` and commit the result.');
    process.exitCode = 1;
  } else {
    console.error('db/schema.sql matches the migrations');
  }
} catch (error) {
  console.error(`schema dump failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
