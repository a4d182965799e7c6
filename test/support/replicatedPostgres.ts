// A primary and a streaming read replica of a test file's own, on loopback, for the read-routing
// tests (test/api/readReplica.test.ts). The embedded Postgres 18 ships only initdb, pg_ctl and
// postgres, so this uses a full PostgreSQL installation's binaries (Debian's
// /usr/lib/postgresql/<version>/bin, the newest found with pg_basebackup): the same in both CI
// runs, whatever server the rest of the suite uses. Without them it fails and says what to
// install; it never skips.
//
// The primary: initdb (password logins over TCP, replication allowed from loopback, as initdb's
// own pg_hba.conf has it), started, then bootstrapped and migrated exactly as the global setup
// does. The replica: `pg_basebackup -R -X stream` from the running primary with a replication
// slot (so a replica stopped by a test catches up when started again), started on its own port;
// hot_standby is on by default. Roles, passwords and grants come along with the physical copy.
//
// Postgres refuses to run as root; as root (the tests and CI are), every binary runs as the
// `postgres` system user, in a temporary folder that user owns.
import { execFile, execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, appendFile, chmod, chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { bootstrap } from '../../src/database/bootstrap.ts';
import { developmentPasswords, embeddedUrls, type RunningPostgres } from '../../src/database/embedded.ts';
import { migrate } from '../../src/database/migrate.ts';
import { PRIMARY_POSITION_SQL } from '../../src/database/readRouting.ts';
import { freePort } from './freePort.ts';

export const INSTALL_HINT =
  'install Debian\'s PostgreSQL server package (`apt-get install --no-install-recommends postgresql`; .ci/run does when it is missing)';

const REQUIRED_BINARIES = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup'];
const REPLICATION_SLOT = 'seqmeta_test_replica';

export type ReplicatedServer = {
  port: number;
  /** logins on the application database `seqmeta` (admin: the superuser on `postgres`) */
  urls: RunningPostgres['urls'];
  /** the superuser on the application database */
  adminOnApplicationDatabase: string;
};

export type ReplicatedPostgres = {
  /** major version of the binaries, e.g. 15 */
  version: number;
  primary: ReplicatedServer;
  replica: ReplicatedServer;
  /** one statement as the superuser on the application database of `server`, on its own connection */
  query: (server: 'primary' | 'replica', sql: string, values?: unknown[]) => Promise<pg.QueryResult>;
  /**
   * recovery_min_apply_delay on the replica: each commit is replayed (and becomes visible
   * there) this long after it happened on the primary. 0 turns it off.
   */
  setReplicaApplyDelay: (milliseconds: number) => Promise<void>;
  /** resolves once the replica has replayed everything the primary has written so far */
  waitForReplicaToCatchUp: (timeoutMilliseconds?: number) => Promise<void>;
  /** a fast shutdown of the replica: its connections end (57P01), new ones are refused */
  stopReplica: () => Promise<void>;
  startReplica: () => Promise<void>;
  /** stops both servers and removes the folder */
  destroy: () => Promise<void>;
};

/** The newest /usr/lib/postgresql/<version>/bin holding every binary needed, or a loud error. */
export async function findPostgresBinaries(root = '/usr/lib/postgresql'): Promise<{ directory: string; version: number }> {
  const versions = await readdir(root).then(
    (entries) => entries.filter((entry) => /^\d+$/.test(entry)).map(Number).sort((a, b) => b - a),
    () => [] as number[],
  );
  for (const version of versions) {
    const directory = path.join(root, String(version), 'bin');
    const present = await Promise.all(
      REQUIRED_BINARIES.map((binary) => access(path.join(directory, binary), constants.X_OK).then(() => true, () => false)),
    );
    if (present.every(Boolean)) return { directory, version };
  }
  throw new Error(
    `The read-replica tests need PostgreSQL's server binaries with pg_basebackup (${REQUIRED_BINARIES.join(', ')}) ` +
      `in ${root}/<version>/bin, and found none (the embedded Postgres 18 has no pg_basebackup): ${INSTALL_HINT}`,
  );
}

/** the `postgres` system user's ids when running as root (Postgres will not run as root); null otherwise */
function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(`Postgres will not run as root and there is no \`postgres\` system user to run it as: ${INSTALL_HINT}`);
  }
}

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const binaries = await findPostgresBinaries();
  const user = postgresUser();
  const folder = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-replica-'));
  await chmod(folder, 0o700);
  if (user) await chown(folder, user.uid, user.gid);
  const primaryDirectory = path.join(folder, 'primary');
  const replicaDirectory = path.join(folder, 'replica');
  const primaryPort = await freePort();
  const replicaPort = await freePort();

  /** runs a binary of the installation (as `postgres` when root); rejects with its output */
  const run = (binary: string, args: string[], environment: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        path.join(binaries.directory, binary),
        args,
        { cwd: folder, env: { ...process.env, ...environment }, timeout: 120_000, ...(user ?? {}) },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`${binary} ${args.join(' ')} failed:\n${stderr || stdout}`, { cause: error }));
          else resolve(stdout);
        },
      );
    });
  const startServer = (directory: string) => run('pg_ctl', ['-D', directory, '-l', `${directory}.log`, '-w', '-t', '60', 'start']);
  const stopServer = (directory: string) => run('pg_ctl', ['-D', directory, '-m', 'fast', '-w', '-t', '60', 'stop']);
  /** TCP on loopback only, on its own port, no Unix socket (a system server may own the default one) */
  const listenOn = (directory: string, port: number) =>
    appendFile(
      path.join(directory, 'postgresql.conf'),
      `\n# test/support/replicatedPostgres.ts\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n` +
        // a throwaway cluster on a shared machine: no waiting for the disk (replication is unchanged)
        'fsync = off\n',
    );

  const running = { primary: false, replica: false };
  const destroy = async () => {
    if (running.replica) await stopServer(replicaDirectory).catch(() => undefined);
    if (running.primary) await stopServer(primaryDirectory).catch(() => undefined);
    running.primary = running.replica = false;
    await rm(folder, { recursive: true, force: true });
  };

  try {
    const passwordFile = path.join(folder, 'superuser-password');
    await writeFile(passwordFile, developmentPasswords.admin, { mode: 0o600 });
    if (user) await chown(passwordFile, user.uid, user.gid);
    // initdb's pg_hba.conf with scram everywhere: every login and the replica's replication
    // connection from loopback need a password, as in a deployment
    await run('initdb', [
      '-D', primaryDirectory, '-U', 'postgres', `--pwfile=${passwordFile}`, '--auth=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--no-sync',
    ]);
    await rm(passwordFile);
    await listenOn(primaryDirectory, primaryPort);
    await startServer(primaryDirectory);
    running.primary = true;
    const primaryUrls = embeddedUrls(primaryPort);
    await bootstrap(primaryUrls);
    await migrate(primaryUrls.owner);

    // -R: standby.signal and primary_conninfo (with the password, in the replica's own 0700
    // folder); -X stream: the WAL written during the copy comes along; -C -S: a slot, so the
    // primary keeps the WAL a stopped replica has yet to replay; -c fast: an immediate
    // checkpoint (the default, spread over checkpoint_timeout, took 100 s here)
    await run(
      'pg_basebackup',
      ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaDirectory, '-R', '-X', 'stream', '-C', '-S', REPLICATION_SLOT, '-c', 'fast'],
      { PGPASSWORD: developmentPasswords.admin },
    );
    await listenOn(replicaDirectory, replicaPort);
    await startServer(replicaDirectory);
    running.replica = true;
  } catch (error) {
    await destroy();
    throw error;
  }

  const server = (port: number): ReplicatedServer => {
    const urls = embeddedUrls(port);
    const admin = new URL(urls.admin);
    admin.pathname = new URL(urls.owner).pathname;
    return { port, urls, adminOnApplicationDatabase: admin.toString() };
  };
  const primary = server(primaryPort);
  const replica = server(replicaPort);

  async function query(target: 'primary' | 'replica', sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: (target === 'primary' ? primary : replica).adminOnApplicationDatabase });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.query(sql, values);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async function waitForReplicaToCatchUp(timeoutMilliseconds = 30_000): Promise<void> {
    // the flush position, as the API waits for (PRIMARY_POSITION_SQL): the insert position may lie
    // past a page header that an idle primary's replica never replays
    const target = (await query('primary', PRIMARY_POSITION_SQL)).rows[0].lsn as string;
    const deadline = Date.now() + timeoutMilliseconds;
    for (;;) {
      const replayed = await query('replica', 'select pg_last_wal_replay_lsn() >= $1::pg_lsn as replayed', [target]);
      if (replayed.rows[0].replayed === true) return;
      if (Date.now() > deadline) throw new Error(`the replica did not replay ${target} within ${timeoutMilliseconds} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const replicated: ReplicatedPostgres = {
    version: binaries.version,
    primary,
    replica,
    query,
    async setReplicaApplyDelay(milliseconds) {
      // ALTER SYSTEM works on a standby (it writes postgresql.auto.conf); the setting takes a reload
      await query('replica', `alter system set recovery_min_apply_delay = '${Math.round(milliseconds)}ms'`);
      await query('replica', 'select pg_reload_conf()');
      const deadline = Date.now() + 10_000;
      const current = async () =>
        Number((await query('replica', `select setting from pg_settings where name = 'recovery_min_apply_delay'`)).rows[0].setting);
      while ((await current()) !== Math.round(milliseconds)) {
        if (Date.now() > deadline) throw new Error('the replica did not take the new recovery_min_apply_delay');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    waitForReplicaToCatchUp,
    async stopReplica() {
      if (!running.replica) return;
      await stopServer(replicaDirectory);
      running.replica = false;
    },
    async startReplica() {
      if (running.replica) return;
      await startServer(replicaDirectory);
      running.replica = true;
    },
    destroy,
  };
  // the replica serves reads only once it has replayed the migrations
  try {
    await waitForReplicaToCatchUp();
  } catch (error) {
    await destroy();
    throw error;
  }
  return replicated;
}
