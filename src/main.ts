// `npm start`. With no database URL configured: start the embedded Postgres, bootstrap,
// migrate, load demo data once and serve. With URLs: serve what is there (production mode;
// the migrate job of the deployment has prepared the database).
import { ConfigError, loadConfig, requireDatabaseUrl, type Config } from './config.ts';
import { DatabaseConnectionError } from './database/connectionErrors.ts';
import { EmbeddedPostgresError } from './database/embedded.ts';
import { MigrationError } from './database/migrate.ts';
import { connectDatabase, setUpDatabase } from './database/setup.ts';
import { isDatabaseUnavailableError } from './database/unavailable.ts';
import { LoginError } from './database/verifyLogins.ts';
import { loadDemoDataOnce } from './demoData/load.ts';
import { installShutdown } from './http/shutdown.ts';
import { createLogger } from './logger.ts';
import { loadPhiKeys } from './phiKeys.ts';
import { createPools } from './pools.ts';
import { startServer } from './server.ts';
import { isClusterPrimary, superviseWorkers } from './workers.ts';

/** enough to explore in GraphiQL, loaded in a few seconds on first start */
const demoPatients = 500;

// Errors an operator can act on from their message alone: printed as that message, not a stack.
const explainedErrors = [ConfigError, DatabaseConnectionError, EmbeddedPostgresError, LoginError, MigrationError];
const isExplained = (error: unknown) => explainedErrors.some((type) => error instanceof type);

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
const logger = createLogger(config);
// SEQMETA_WORKERS > 1 in production: this process forks the workers, each of which runs serve().
if (isClusterPrimary(config)) superviseWorkers(config.server.workers, logger);
else {
  await serve().catch((error: unknown) => {
    if (isExplained(error)) logger.fatal(`seqmeta could not start: ${(error as Error).message}`);
    else if (isDatabaseUnavailableError(error)) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      logger.fatal(`seqmeta could not start: the database does not answer (${reason}); check that Postgres runs and the SEQMETA_*_DATABASE_URL settings`);
    } else logger.fatal({ err: error }, 'seqmeta could not start');
    process.exit(1);
  });
}

async function serve(): Promise<void> {
  const database = await connectDatabase(config);
  if (config.mode === 'embedded') {
    logger.info({ dataDirectory: config.dataDirectory }, 'no database URL configured: embedded Postgres');
    await setUpDatabase(database.urls, (message) => logger.info(message));
  }
  const keys = await loadPhiKeys(config);
  if (keys.generatedFile) logger.warn({ file: keys.generatedFile }, 'development PHI keys in use (generated once into the data folder)');
  if (config.mode === 'embedded') {
    const demo = await loadDemoDataOnce({
      etlUrl: requireDatabaseUrl(database.urls, 'etl'),
      keys,
      patients: demoPatients,
      seed: 1,
    });
    if (demo.loaded) logger.info({ ...demo.summary }, 'loaded synthetic demo data (SYN-… identifiers only)');
  }
  const pools = createPools(database.urls, config.server, logger);
  const server = await startServer({ config, pools, logger, keys });
  installShutdown(
    server.httpServer,
    async () => {
      await server.release();
      await pools.close();
      await database.stop();
    },
    logger,
  );

  logger.info({ graphql: `${server.url}/graphql`, graphiql: `${server.url}/graphiql` }, `seqmeta is serving; GraphiQL at ${server.url}/graphiql`);
}
