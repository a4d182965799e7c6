// db/schema.sql is dbmate's dump of a database migrated from scratch. pg_dump must match
// the server's major version, and only Postgres 15 has both here (the embedded 18 ships no
// pg_dump), so the dump is made against SEQMETA_TEST_ADMIN_URL, by default the local 15.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bootstrap } from '../../src/database/bootstrap.ts';
import { migrate, runDbmate, schemaFile } from '../../src/database/migrate.ts';
import { adminQuery, serverUrls } from './server.ts';

const run = promisify(execFile);

export class SchemaDumpError extends Error {
  override name = 'SchemaDumpError';
}

async function majorVersions(adminUrl: string): Promise<{ server: number; pgDump: number | null }> {
  const version = await adminQuery(adminUrl, 'show server_version_num');
  const server = Math.floor(Number(version.rows[0].server_version_num) / 10000);
  try {
    const { stdout } = await run('pg_dump', ['--version']);
    return { server, pgDump: Number(stdout.match(/(\d+)\.\d+/)?.[1]) };
  } catch {
    return { server, pgDump: null };
  }
}

/** Migrates a scratch database on the server and returns dbmate's dump of it. */
export async function dumpMigratedSchema(adminUrl: string): Promise<string> {
  const versions = await majorVersions(adminUrl);
  if (versions.pgDump !== versions.server) {
    throw new SchemaDumpError(
      `the schema dump needs pg_dump ${versions.server} for this Postgres ${versions.server} server, ` +
        `found ${versions.pgDump === null ? 'no pg_dump on PATH' : `pg_dump ${versions.pgDump}`}. ` +
        'Point SEQMETA_TEST_ADMIN_URL at a server whose pg_dump is installed (e.g. the local Postgres 15).',
    );
  }
  const database = `seqmeta_schema_dump_${process.pid}`;
  const urls = serverUrls({ adminUrl }, database);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-dump-'));
  const output = path.join(folder, 'schema.sql');
  try {
    await adminQuery(adminUrl, `drop database if exists ${database} with (force)`);
    await bootstrap(urls);
    await migrate(urls.owner);
    await runDbmate(urls.owner, ['--schema-file', output, 'dump']);
    return (await readFile(output, 'utf8'))
      // the patch release of the server and pg_dump does not change the schema
      .replace(/^-- Dumped (from|by) .*\n/gm, '')
      // pg_dump picks a random key for psql's \restrict guard; a fixed one keeps the file reproducible
      .replace(/^\\(un)?restrict \S+$/gm, (_line, un: string | undefined) => `\\${un ?? ''}restrict seqmeta`);
  } finally {
    await adminQuery(adminUrl, `drop database if exists ${database} with (force)`);
    await rm(folder, { recursive: true, force: true });
  }
}

export const readCommittedSchema = () => readFile(schemaFile, 'utf8');
