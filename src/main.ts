// `npm start`. With no database URL configured: start the embedded Postgres, bootstrap,
// migrate, load demo data once and serve. With URLs: serve what is there (production mode;
// the migrate job of the deployment has prepared the database).
import { loadConfig, requireDatabaseUrl } from './config.ts';
import { connectDatabase, setUpDatabase } from './database/setup.ts';
import { loadDemoDataOnce } from './demoData/load.ts';
import { installShutdown } from './http/shutdown.ts';
import { createLogger } from './logger.ts';
import { loadPhiKeys } from './phiKeys.ts';
import { createPools } from './pools.ts';
import { startServer } from './server.ts';
import { isClusterPrimary, superviseWorkers } from './workers.ts';

/** enough to explore in GraphiQL, loaded in a few seconds on first start */
const demoPatients = 500;

const config = loadConfig(process.env);
const logger = createLogger(config);
// SEQMETA_WORKERS > 1 in production: this process forks the workers, each of which runs serve().
if (isClusterPrimary(config)) superviseWorkers(config.server.workers, logger);
else await serve();

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
