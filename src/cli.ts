// The `seqmeta` command. Each subcommand is a thin shell over a module of src/; errors the
// user can act on are printed as one message, anything else with its stack.
import { Command } from 'commander';
import { ConfigError, loadConfig, requireDatabaseUrl } from './config.ts';
import { DatabaseConnectionError } from './database/connectionErrors.ts';
import { bootstrap } from './database/bootstrap.ts';
import { EmbeddedPostgresError } from './database/embedded.ts';
import { MigrationError, migrate, rollback } from './database/migrate.ts';
import { connectDatabase, setUpDatabase } from './database/setup.ts';

const say = (message: string) => process.stderr.write(`seqmeta: ${message}\n`);

/** Runs `work` with the database of the configuration, stopping an embedded one after. */
async function withDatabase(work: (urls: Awaited<ReturnType<typeof connectDatabase>>['urls']) => Promise<void>) {
  const config = loadConfig(process.env);
  if (config.mode === 'embedded') say(`no database URL configured: using the embedded Postgres in ${config.dataDirectory}`);
  const database = await connectDatabase(config);
  try {
    await work(database.urls);
  } finally {
    await database.stop();
  }
}

const program = new Command()
  .name('seqmeta')
  .description('Metadata for sequencing data: Patient -> Sample -> Run -> files.')
  .showHelpAfterError();

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
  .action(() =>
    withDatabase(async (urls) => {
      process.stdout.write(await migrate(requireDatabaseUrl(urls, 'owner')));
    }),
  );

database
  .command('rollback')
  .description('undo the latest migration as the owner (dbmate rollback)')
  .action(() =>
    withDatabase(async (urls) => {
      process.stdout.write(await rollback(requireDatabaseUrl(urls, 'owner')));
    }),
  );

const expectedErrors = [ConfigError, DatabaseConnectionError, EmbeddedPostgresError, MigrationError];

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (expectedErrors.some((type) => error instanceof type)) {
    say((error as Error).message);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
}
