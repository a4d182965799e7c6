// `seqmeta db …`: set up and migrate the database, as its owner. The running server never
// uses these logins.
import type { Command } from 'commander';
import { loadConfig, requireDatabaseUrl, type DatabaseUrls } from '../config.ts';
import { bootstrap } from '../database/bootstrap.ts';
import { migrate, rollback } from '../database/migrate.ts';
import { connectDatabase, setUpDatabase } from '../database/setup.ts';
import { say } from './output.ts';

/** Runs `work` against the configured database, stopping an embedded one afterwards. */
export async function withDatabase(work: (urls: DatabaseUrls) => Promise<void>): Promise<void> {
  const config = loadConfig(process.env);
  if (config.mode === 'embedded') {
    say(`no database URL configured: using the embedded Postgres in ${config.dataDirectory}`);
  }
  const database = await connectDatabase(config);
  try {
    await work(database.urls);
  } finally {
    await database.stop();
  }
}

export function registerDatabaseCommands(program: Command): void {
  const database = program
    .command('db')
    .description('set up and migrate the database (as its owner; never used by the running server)');

  database
    .command('setup')
    .description('bootstrap and migrate; with no database URL configured, in the embedded Postgres')
    .action(() =>
      withDatabase(async (urls) => {
        await setUpDatabase(urls, say);
        say('database is ready');
      }),
    );

  database
    .command('bootstrap')
    .description('create the roles and the database and lock them down (needs SEQMETA_ADMIN_DATABASE_URL); idempotent')
    .action(() =>
      withDatabase(async (urls) => {
        const report = await bootstrap(urls);
        say(report.createdDatabase ? `created database ${report.databaseName}` : `database ${report.databaseName} was already there`);
        say('roles and privileges are in place');
      }),
    );

  database
    .command('migrate')
    .description('apply pending migrations as the owner (dbmate up)')
    .action(() => withDatabase(async (urls) => say(await migrate(requireDatabaseUrl(urls, 'owner')))));

  database
    .command('rollback')
    .description('undo the latest migration as the owner (dbmate rollback)')
    .action(() => withDatabase(async (urls) => say(await rollback(requireDatabaseUrl(urls, 'owner')))));
}
