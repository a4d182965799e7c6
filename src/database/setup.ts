// Brings a database to the current schema: in embedded mode, start the local Postgres,
// bootstrap it and migrate it; with configured URLs, bootstrap and migrate what is there.
import path from 'node:path';
import type { Config, DatabaseUrls } from '../config.ts';
import { requireDatabaseUrl } from '../config.ts';
import { bootstrap } from './bootstrap.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { migrate } from './migrate.ts';

export type PreparedDatabase = {
  urls: DatabaseUrls;
  /** stops the embedded Postgres if this process started it; a no-op otherwise */
  stop: () => Promise<void>;
};

export type Progress = (message: string) => void;

/** Starts the embedded Postgres (embedded mode only) and returns the URLs to use. */
export async function connectDatabase(config: Config): Promise<PreparedDatabase> {
  if (config.databaseUrls !== null) {
    return { urls: config.databaseUrls, stop: async () => undefined };
  }
  return startEmbeddedPostgres({
    directory: path.join(config.dataDirectory, 'postgres'),
    port: config.embeddedPort,
  });
}

/** bootstrap + migrate; both are idempotent, so this is safe to run at every start. */
export async function setUpDatabase(urls: DatabaseUrls, progress: Progress): Promise<void> {
  progress('bootstrapping roles and database');
  const report = await bootstrap(urls);
  progress(report.createdDatabase ? `created database ${report.databaseName}` : `database ${report.databaseName} exists`);
  progress('migrating');
  await migrate(requireDatabaseUrl(urls, 'owner'));
}
