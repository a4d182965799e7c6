// A PgBouncer of our own, in transaction pooling mode, in front of a Postgres: the test run's
// (SEQMETA_TEST_PGBOUNCER=1 makes the global setup start one, and the API test servers send both
// pools through it, as a deployment with PgBouncer would: apiLogins.ts), a test file's
// (pgbouncer.test.ts) or the benchmark's. Debian's `pgbouncer` package provides the binary;
// without it, starting one fails and says how to install it.
//
// Authentication is the deployment's: clients log in with SCRAM against an auth_file holding the
// roles' SCRAM verifiers, read from pg_authid as an operator would, so no password is written
// down; PgBouncer then logs in to Postgres with the keys the client's SCRAM exchange gave it.
// One wildcard [databases] entry serves every test file's database under its own name.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './freePort.ts';
import { adminQuery } from './server.ts';

/** Where the run's PgBouncer listens; what the global setup hands the test files. */
export type PgbouncerAddress = { host: string; port: number };

export type RunningPgbouncer = PgbouncerAddress & {
  pid: number;
  /** e.g. "PgBouncer 1.18.0" */
  version: string;
  stop: () => Promise<void>;
};

/** the roles the API logs in as: the only ones PgBouncer lets through */
const POOLED_ROLES = ['frontend_api', 'etl_worker'];

const INSTALL_HINT = 'install Debian\'s package (`apt-get install --no-install-recommends pgbouncer`; .ci/run does when it is missing)';

/** The pgbouncer binary: on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
async function findPgbouncer(): Promise<string> {
  const directories = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'].filter(Boolean);
  for (const directory of directories) {
    const candidate = path.join(directory, 'pgbouncer');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`No pgbouncer binary was found (PATH, /usr/sbin): ${INSTALL_HINT}`);
}

/** `user`'s uid and gid, or null when there is no such user. */
function userIds(user: string): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;

export type PgbouncerOptions = {
  /** server connections per database and role (default_pool_size) */
  poolSize?: number;
};

/**
 * Starts PgBouncer (transaction pooling, SCRAM) in front of the server `adminUrl` logs in to
 * (a superuser: it reads the roles' verifiers). Stop it with stop().
 */
export async function startPgbouncer(adminUrl: string, { poolSize = 8 }: PgbouncerOptions = {}): Promise<RunningPgbouncer> {
  const binary = await findPgbouncer();
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  const verifiers = await adminQuery(adminUrl, 'select rolname, rolpassword from pg_authid where rolname = any($1) order by rolname', [POOLED_ROLES]);
  const missing = POOLED_ROLES.filter((role) => !verifiers.rows.some((row) => row.rolname === role && typeof row.rolpassword === 'string'));
  if (missing.length > 0) throw new Error(`PgBouncer needs a password for ${missing.join(', ')} (bootstrap sets them)`);
  const authType = verifiers.rows.every((row) => String(row.rolpassword).startsWith('SCRAM-SHA-256$')) ? 'scram-sha-256' : 'md5';

  const server = new URL(adminUrl);
  const port = await freePort();
  const folder = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-pgbouncer-'));
  const configFile = path.join(folder, 'pgbouncer.ini');
  const authFile = path.join(folder, 'userlist.txt');
  await writeFile(authFile, verifiers.rows.map((row) => `${quoted(row.rolname)} ${quoted(row.rolpassword)}\n`).join(''), { mode: 0o600 });
  await writeFile(
    configFile,
    [
      '[databases]',
      // every database name a client asks for, on the test server under the same name
      `* = host=${server.hostname === 'localhost' ? '127.0.0.1' : server.hostname} port=${server.port || '5432'}`,
      '',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      `auth_type = ${authType}`,
      `auth_file = ${authFile}`,
      'pool_mode = transaction',
      // several API servers per test file, each with its two pools, over few server connections
      'max_client_conn = 1000',
      `default_pool_size = ${poolSize}`,
      // no ignore_startup_parameters: a setting sent at connection start must fail loudly here,
      // as it would in a deployment, rather than vanish
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  // PgBouncer refuses to run as root: as root, it drops to the `postgres` user (-u), which must
  // own the files it reads.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const postgres = userIds('postgres');
    if (postgres === null) throw new Error('PgBouncer will not run as root and there is no `postgres` user to run it as');
    await chmod(folder, 0o700);
    for (const file of [folder, configFile, authFile]) await chown(file, postgres.uid, postgres.gid);
  }

  const child: ChildProcess = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-10_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (hasExited || Date.now() > deadline) {
      child.kill('SIGKILL');
      await rm(folder, { recursive: true, force: true });
      throw new Error(`PgBouncer did not start${hasExited ? ' (it exited)' : ''}:\n${output.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    host: '127.0.0.1',
    port,
    pid: child.pid!,
    version,
    async stop() {
      if (!hasExited) {
        // SIGTERM: immediate shutdown, whatever clients are still connected
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** Whether this run asked for PgBouncer (SEQMETA_TEST_PGBOUNCER=1). */
export function pgbouncerRequested(environment: NodeJS.ProcessEnv = process.env): boolean {
  return environment.SEQMETA_TEST_PGBOUNCER === '1';
}

/** `url` (a login on the server PgBouncer is in front of) through `pgbouncer`: same user, password and database. */
export function throughPgbouncer(url: string, pgbouncer: PgbouncerAddress): string {
  const routed = new URL(url);
  routed.hostname = pgbouncer.host;
  routed.port = String(pgbouncer.port);
  return routed.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    testPgbouncer: PgbouncerAddress | null;
  }
}
