// A Postgres of a test file's own that the test may stop and start again, for fault tests
// (the shared test server must never go down under the other files). The embedded Postgres 18
// in a temporary folder on a free port, bootstrapped and migrated: the same in both CI runs,
// whatever SEQMETA_TEST_ADMIN_URL says. destroy() stops it and removes the folder.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bootstrap } from '../../src/database/bootstrap.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/database/embedded.ts';
import { migrate } from '../../src/database/migrate.ts';
import { freePort } from './freePort.ts';

export type StoppablePostgres = {
  /** logins on the application database (admin: the superuser on `postgres`) */
  urls: RunningPostgres['urls'];
  /** the superuser on the application database, e.g. to lock a table or end a backend */
  adminOnApplicationDatabase: string;
  /** a fast shutdown: every connection is ended (57P01), new ones are refused; waits for the exit */
  stop: () => Promise<void>;
  /** starts it again on the same port and data; nothing when it runs */
  start: () => Promise<void>;
  isRunning: () => boolean;
  destroy: () => Promise<void>;
};

export async function startStoppablePostgres(): Promise<StoppablePostgres> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-faults-'));
  // as root, Postgres runs as the `postgres` user, which must be able to enter the folder
  await chmod(folder, 0o755);
  const options = { directory: path.join(folder, 'postgres'), port: await freePort() };
  let running: RunningPostgres | null = null;
  try {
    running = await startEmbeddedPostgres(options);
    await bootstrap(running.urls);
    await migrate(running.urls.owner);
  } catch (error) {
    await running?.stop();
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  const urls = running.urls;
  const adminOnApplicationDatabase = new URL(urls.admin);
  adminOnApplicationDatabase.pathname = new URL(urls.owner).pathname;

  return {
    urls,
    adminOnApplicationDatabase: adminOnApplicationDatabase.toString(),
    async stop() {
      await running?.stop();
      running = null;
    },
    async start() {
      running ??= await startEmbeddedPostgres(options);
    },
    isRunning: () => running !== null,
    async destroy() {
      await running?.stop();
      running = null;
      await rm(folder, { recursive: true, force: true });
    },
  };
}
