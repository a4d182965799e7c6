// The benchmark's database: a pristine dataset at a named scale, kept as a template
// database and cloned for every run, so that what one run writes (scenario d logs
// hundreds of thousands of files) never changes what the next one reads. By default it
// lives in its own embedded Postgres under .seqmeta/bench-<scale>/ (git-ignored), reused
// across runs; with --admin-url it goes into the server at that superuser login instead.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { bootstrap, secureDatabase } from '../src/database/bootstrap.ts';
import { developmentPasswords, startEmbeddedPostgres, type RunningPostgres } from '../src/database/embedded.ts';
import { migrate } from '../src/database/migrate.ts';
import { loadDemoData, type DemoDataCounts } from '../src/demoData/load.ts';
import { formatKey, generateKey, parseKey, parseKeyring } from '../src/phi.ts';
import type { PhiKeys } from '../src/phiKeys.ts';

export type Scale = 'S' | 'M';

/** Patients per scale; each brings about 3 samples, 10 runs and 40 files. */
export const PATIENTS_PER_SCALE: Record<Scale, number> = { S: 10_000, M: 100_000 };

/** The generator's seed: the same seed gives the same dataset, so runs compare. */
export const DATASET_SEED = 1;

// A fixed port per scale, so a cluster left running by an interrupted run is found again.
const EMBEDDED_PORTS: Record<Scale, number> = { S: 54361, M: 54362 };

export type DatabaseLogins = { admin: string; owner: string; etl: string; api: string };

export type BenchDatabase = {
  /** logins on the clone this run uses */
  urls: DatabaseLogins;
  /** the PHI keys the dataset was loaded with (the servers need keys to start) */
  keys: PhiKeys;
  /** the same keys in the form the server's settings take */
  keySettings: { pseudonymKey: string; encryptionKeys: string };
  counts: DemoDataCounts;
  /** seconds the load took when the dataset was built (this run or an earlier one) */
  loadSeconds: number;
  /** whether this run built the dataset */
  builtNow: boolean;
  /** e.g. "18.1" */
  serverVersion: string;
  /** where the cluster runs: embedded in a folder, or the server of --admin-url */
  location: string;
  /** pid of the postmaster when it runs on this machine, to read the database's CPU from /proc */
  postmasterPid: number | null;
  /** drops the clone and stops the embedded server if this process started it */
  close: () => Promise<void>;
};

export type PrepareOptions = {
  scale: Scale;
  /** a superuser login on an existing server, instead of the embedded one */
  adminUrl: string | null;
  /** the project's folder; the embedded cluster and the keys go under .seqmeta/ */
  projectDirectory: string;
  progress: (message: string) => void;
};

const DATASET_MARK = 'seqmeta-bench-dataset ';

type DatasetMark = { scale: Scale; seed: number; counts: DemoDataCounts; loadSeconds: number };

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

function loginsOn(adminUrl: string, database: string): DatabaseLogins {
  const login = (user: string, password: string) => {
    const url = new URL(adminUrl);
    url.username = user;
    url.password = password;
    url.pathname = `/${database}`;
    return url.toString();
  };
  return {
    admin: withDatabase(adminUrl, database),
    owner: login('seqmeta_owner', developmentPasswords.owner),
    etl: login('etl_worker', developmentPasswords.etl),
    api: login('frontend_api', developmentPasswords.api),
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'seqmeta bench' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The keys of this dataset: generated once beside it, like the embedded mode's development keys. */
async function datasetKeys(folder: string): Promise<{ keys: PhiKeys; settings: BenchDatabase['keySettings'] }> {
  const file = path.join(folder, 'keys.json');
  if (!existsSync(file)) {
    await mkdir(folder, { recursive: true });
    const generated = { pseudonymKey: formatKey(generateKey()), encryptionKeys: `1:${formatKey(generateKey())}` };
    await writeFile(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600 });
  }
  const settings = JSON.parse(await readFile(file, 'utf8')) as BenchDatabase['keySettings'];
  return {
    settings,
    keys: {
      pseudonymKey: parseKey(settings.pseudonymKey, 'pseudonymKey'),
      keyring: parseKeyring(settings.encryptionKeys, 'encryptionKeys'),
    },
  };
}

// Postgres's own defaults (shared_buffers 128 MB): the dataset's pages are served from the
// operating system's cache beyond that, for the API and the raw SQL alike.
async function startEmbedded(folder: string, scale: Scale): Promise<RunningPostgres> {
  await mkdir(folder, { recursive: true });
  return startEmbeddedPostgres({ directory: path.join(folder, 'postgres'), port: EMBEDDED_PORTS[scale] });
}

async function readMark(adminUrl: string, database: string): Promise<DatasetMark | null> {
  return withClient(adminUrl, async (client) => {
    const result = await client.query<{ description: string | null }>(
      `select shobj_description(oid, 'pg_database') as description from pg_database where datname = $1`,
      [database],
    );
    const description = result.rows[0]?.description;
    if (!description?.startsWith(DATASET_MARK)) return null;
    return JSON.parse(description.slice(DATASET_MARK.length)) as DatasetMark;
  });
}

async function postmasterPid(adminUrl: string): Promise<number | null> {
  try {
    return await withClient(adminUrl, async (client) => {
      const result = await client.query<{ contents: string }>(`select pg_read_file('postmaster.pid') as contents`);
      const pid = Number(result.rows[0]?.contents.split('\n')[0]);
      // the server may run on another host or in a container: only a pid we can see counts
      return Number.isInteger(pid) && existsSync(`/proc/${pid}/stat`) ? pid : null;
    });
  } catch {
    return null;
  }
}

/**
 * Brings up the dataset of `scale` (building it the first time: S takes about half a
 * minute, M about ten) and a fresh clone of it for this run.
 */
export async function prepareDatabase(options: PrepareOptions): Promise<BenchDatabase> {
  const { scale, progress } = options;
  const folder = path.join(options.projectDirectory, '.seqmeta', `bench-${scale}`);
  let embedded: RunningPostgres | null = null;
  let serverAdminUrl: string;
  if (options.adminUrl === null) {
    progress(`starting the bench cluster in ${path.relative(options.projectDirectory, folder)}/postgres`);
    embedded = await startEmbedded(folder, scale);
    serverAdminUrl = embedded.urls.admin;
  } else {
    serverAdminUrl = options.adminUrl;
  }
  const { keys, settings: keySettings } = await datasetKeys(folder);
  const datasetName = `seqmeta_bench_${scale.toLowerCase()}`;
  const runName = `${datasetName}_run`;
  const dataset = loginsOn(serverAdminUrl, datasetName);

  try {
    // Roles and the template database; both idempotent. A dataset built by an earlier run is
    // migrated too, so a migration added since (an index, say) is part of what is measured.
    await bootstrap({ admin: serverAdminUrl, owner: dataset.owner, etl: dataset.etl, api: dataset.api });
    await migrate(dataset.owner);
    let mark = await readMark(serverAdminUrl, datasetName);
    let builtNow = false;
    if (mark === null || mark.seed !== DATASET_SEED || mark.counts.patients !== PATIENTS_PER_SCALE[scale]) {
      const patients = await withClient(dataset.owner, async (client) => {
        const result = await client.query<{ count: string }>('select count(*) from core.patients');
        return Number(result.rows[0]!.count);
      });
      if (patients > 0) {
        throw new Error(
          `${datasetName} holds ${patients} patients but no complete scale ${scale} dataset (an interrupted load?): ` +
            `drop it (\`drop database ${datasetName}\` as a superuser${embedded ? `, or delete ${folder}` : ''}) and run again`,
        );
      }
      progress(`loading the scale ${scale} dataset (${PATIENTS_PER_SCALE[scale].toLocaleString('en')} patients, seed ${DATASET_SEED}); S takes ~30 s, M ~10 min`);
      let lastReport = 0;
      const summary = await loadDemoData({
        etlUrl: dataset.etl,
        keys,
        patients: PATIENTS_PER_SCALE[scale],
        seed: DATASET_SEED,
        onProgress: ({ loaded, totalPatients, elapsedSeconds }) => {
          if (elapsedSeconds - lastReport < 10) return;
          lastReport = elapsedSeconds;
          progress(`  ${loaded.patients.toLocaleString('en')} of ${totalPatients.toLocaleString('en')} patients after ${Math.round(elapsedSeconds)} s`);
        },
      });
      progress(`loaded in ${summary.seconds.toFixed(1)} s; vacuum analyze`);
      // as the superuser: the owner may not vacuum the catalog, and analyze needs the stats of all
      await withClient(dataset.admin, (client) => client.query('vacuum (analyze)'));
      mark = {
        scale,
        seed: DATASET_SEED,
        counts: { patients: summary.patients, samples: summary.samples, runs: summary.runs, files: summary.files },
        loadSeconds: Math.round(summary.seconds * 10) / 10,
      };
      await withClient(serverAdminUrl, (client) =>
        client.query(`comment on database ${client.escapeIdentifier(datasetName)} is ${client.escapeLiteral(DATASET_MARK + JSON.stringify(mark))}`),
      );
      builtNow = true;
    } else {
      progress(`reusing the scale ${scale} dataset (${mark.counts.patients.toLocaleString('en')} patients)`);
    }

    // A fresh copy for this run; the statistics travel with it.
    const serverVersion = await withClient(serverAdminUrl, async (client) => {
      await client.query(`drop database if exists ${client.escapeIdentifier(runName)} with (force)`);
      const version = await client.query<{ server_version: string; server_version_num: string }>(
        'select current_setting($1) as server_version, current_setting($2) as server_version_num',
        ['server_version', 'server_version_num'],
      );
      const numeric = Number(version.rows[0]!.server_version_num);
      // FILE_COPY (15+) copies the files instead of writing the whole database to the WAL
      const strategy = numeric >= 150000 ? ' strategy file_copy' : '';
      const started = performance.now();
      await client.query(
        `create database ${client.escapeIdentifier(runName)} template ${client.escapeIdentifier(datasetName)} owner seqmeta_owner${strategy}`,
      );
      progress(`cloned the dataset for this run in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return version.rows[0]!.server_version.split(' ')[0]!;
    });
    // database-level grants do not travel with a template
    await secureDatabase(serverAdminUrl, runName, 'seqmeta_owner');

    const urls = loginsOn(serverAdminUrl, runName);
    return {
      urls,
      keys,
      keySettings,
      counts: mark.counts,
      loadSeconds: mark.loadSeconds,
      builtNow,
      serverVersion,
      location: embedded ? `embedded, ${path.relative(options.projectDirectory, folder)}/postgres` : 'the server of --admin-url',
      postmasterPid: await postmasterPid(serverAdminUrl),
      close: async () => {
        await withClient(serverAdminUrl, (client) =>
          client.query(`drop database if exists ${client.escapeIdentifier(runName)} with (force)`),
        ).catch(() => undefined);
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
