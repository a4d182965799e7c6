// Once per test run: a Postgres (the embedded one in a temporary folder, or the server at
// SEQMETA_TEST_ADMIN_URL), bootstrapped, with a migrated template database that each test
// file clones (CREATE DATABASE ... TEMPLATE is much faster than migrating again). With
// SEQMETA_TEST_PGBOUNCER=1, also a PgBouncer in front of it that the API test servers use.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bootstrap } from '../../src/database/bootstrap.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/database/embedded.ts';
import { migrate } from '../../src/database/migrate.ts';
import { freePort } from './freePort.ts';
import { pgbouncerRequested, startPgbouncer, type RunningPgbouncer } from './pgbouncer.ts';
import { adminQuery, serverUrls, type TestServer } from './server.ts';


export default async function setup(project: TestProject) {
  const externalAdminUrl = process.env.SEQMETA_TEST_ADMIN_URL;
  let embedded: RunningPostgres | null = null;
  let embeddedDirectory: string | null = null;
  let adminUrl: string;
  if (externalAdminUrl) {
    adminUrl = externalAdminUrl;
  } else {
    embeddedDirectory = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-test-'));
    // as root, Postgres runs as the `postgres` user, which must be able to enter the folder
    await chmod(embeddedDirectory, 0o755);
    embedded = await startEmbeddedPostgres({ directory: path.join(embeddedDirectory, 'postgres'), port: await freePort() });
    adminUrl = embedded.urls.admin;
  }

  const server: TestServer = { adminUrl, templateDatabase: `seqmeta_template_${process.pid}`, serverVersion: 0 };
  const urls = serverUrls(server, server.templateDatabase);
  let pgbouncer: RunningPgbouncer | null = null;
  try {
    await adminQuery(adminUrl, `drop database if exists ${server.templateDatabase} with (force)`);
    await bootstrap(urls);
    await migrate(urls.owner);
    const version = await adminQuery(adminUrl, 'show server_version_num');
    server.serverVersion = Math.floor(Number(version.rows[0].server_version_num) / 10000);
    // after bootstrap, which sets the passwords PgBouncer reads
    if (pgbouncerRequested()) pgbouncer = await startPgbouncer(adminUrl);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  project.provide('testServer', server);
  project.provide('testPgbouncer', pgbouncer && { host: pgbouncer.host, port: pgbouncer.port });
  process.stderr.write(
    `[seqmeta tests] Postgres ${server.serverVersion} (${externalAdminUrl ? 'SEQMETA_TEST_ADMIN_URL' : 'embedded'})` +
      `${pgbouncer ? `, API pools through PgBouncer (transaction pooling) on port ${pgbouncer.port}` : ''}\n`,
  );

  return async () => {
    await pgbouncer?.stop();
    await adminQuery(adminUrl, `drop database if exists ${server.templateDatabase} with (force)`);
    await embedded?.stop();
    if (embeddedDirectory) await rm(embeddedDirectory, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    testServer: TestServer;
  }
}
