// One benchmark run (bench/run.ts parses the command line): the dataset, the SQL recorded
// in-process, the servers under test as child processes, each scenario against each server,
// then the results written where `paths` says.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { API_NODE_FLAGS } from '../src/nodeFlags.ts';
import { createToken } from '../src/tokens.ts';
import { startPgbouncer, throughPgbouncer, type RunningPgbouncer } from '../test/support/pgbouncer.ts';
import { startRecordingPlain, startRecordingSeqmeta, type RecordedStatement, type RecordingServer } from './capture.ts';
import { gitCommit } from './gitCommit.ts';
import { DATASET_SEED, prepareDatabase, type BenchDatabase, type Scale } from './dataset.ts';
import { driveHttp, driveSql, summarise, type LoadSample } from './load.ts';
import { clearProfiles, summariseProfiles } from './profile.ts';
import { freePort, peakRssMegabytes, resetPeakRss, startServerProcess, treeCpuMilliseconds, type ServerProcess } from './processes.ts';
import {
  renderSummary,
  resultsBaseName,
  SERVER_LABELS,
  writeReports,
  type BenchResults,
  type Measurement,
  type ReportFiles,
  type ScenarioResult,
  type ServerName,
  SERVERS,
} from './report.ts';
import {
  drawValues,
  FILES_PER_CALL,
  ingestScenario,
  outputFiles,
  readScenarios,
  registerIngestRuns,
  SAMPLE_PAGE,
  SAMPLE_PAGE_SIZE,
  type Scenario,
  type ScenarioId,
} from './scenarios.ts';
import { inheritedEnvironment } from '../test/support/inheritedEnvironment.ts';

/** distinct requests recorded per read scenario, replayed in turn as the raw SQL */
const CAPTURED_REQUESTS = 60;
/**
 * RUNNING runs that (d)'s calls go round, per connection and server. Each server writes to
 * runs of its own: the payload counts the run's outputs, and a run filled by another server's
 * calls would make that count, not the write, what is measured. Enough runs that a run ends a
 * full benchmark with thousands of outputs, as a large pipeline run does, not tens of thousands.
 */
const INGEST_RUNS_PER_CONNECTION = 16;

export type Options = {
  scale: Scale;
  duration: number;
  rounds: number;
  warmUp: number;
  connections: number;
  scenarios: ScenarioId[];
  servers: ServerName[];
  adminUrl?: string;
  workers: number;
  apiPoolSize: number;
  etlPoolSize: number;
  experiment?: string;
  /** write bench/results/<name>-<scale>.* (and its own block of BENCHMARKS.md) instead of <scale>.* */
  resultsName?: string;
  setupSql?: string;
  cpuProfile: boolean;
  check: boolean;
};

const say = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** The child's environment: this one's, less any seqmeta setting, plus `settings`. */
function childEnvironment(settings: Record<string, string>): Record<string, string> {
  return { ...inheritedEnvironment(), GRAPHILE_ENV: 'production', NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...settings };
}

type Readings = { server: number | null; database: number | null };

/** `databasePids`: the postmaster's, and a pooler's in front of it; null when the cluster is elsewhere */
function readCpu(serverPid: number | null, databasePids: number[] | null): Readings {
  return {
    server: serverPid === null ? null : treeCpuMilliseconds(serverPid),
    database: databasePids === null ? null : databasePids.reduce((sum, pid) => sum + treeCpuMilliseconds(pid), 0),
  };
}

const perRequest = (milliseconds: number | null, requests: number) =>
  milliseconds === null || requests === 0 ? null : Math.round((milliseconds / requests) * 100) / 100;

/** Requests of different rounds are numbered apart, so no round repeats another's variables. */
const REQUESTS_PER_ROUND = 1_000_000;

/** One server under one scenario: how to load it, and the process to read. */
type Target = {
  server: ServerName;
  /** the server's process, null for raw SQL */
  pid: number | null;
  /** a process counted with the database's CPU: the PgBouncer this target goes through */
  poolerPid?: number;
  /** load for `seconds`, numbering requests from `firstRequest` */
  drive: (phase: 'warmUp' | 'measure', seconds: number, firstRequest: number) => Promise<LoadSample>;
};

type Tally = { samples: LoadSample[]; serverCpu: number | null; databaseCpu: number | null; peakRss: number | null };

/**
 * Each target is warmed up, then measured in `options.rounds` rounds whose order alternates
 * (A B C, then C B A, …), so that a machine getting busier or quieter during the scenario
 * weighs on every target alike: the ratios are measured side by side.
 */
async function measureSideBySide(
  targets: readonly Target[],
  database: BenchDatabase,
  options: Options,
  rowsPerRequest: number | null,
): Promise<Partial<Record<ServerName, Measurement>>> {
  const tallies = new Map<ServerName, Tally>(targets.map((target) => [target.server, { samples: [], serverCpu: 0, databaseCpu: 0, peakRss: null }]));
  for (const target of targets) if (options.warmUp > 0) await target.drive('warmUp', options.warmUp, 0);
  for (let round = 0; round < options.rounds; round += 1) {
    for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
      const tally = tallies.get(target.server)!;
      if (target.pid !== null) resetPeakRss(target.pid);
      const databasePids = database.postmasterPid === null ? null : [database.postmasterPid, ...(target.poolerPid ? [target.poolerPid] : [])];
      const before = readCpu(target.pid, databasePids);
      tally.samples.push(await target.drive('measure', options.duration, round * REQUESTS_PER_ROUND));
      const after = readCpu(target.pid, databasePids);
      tally.serverCpu = tally.serverCpu === null || before.server === null ? null : tally.serverCpu + after.server! - before.server;
      tally.databaseCpu = tally.databaseCpu === null || before.database === null ? null : tally.databaseCpu + after.database! - before.database;
      if (target.pid !== null) tally.peakRss = Math.max(tally.peakRss ?? 0, peakRssMegabytes(target.pid).largestProcess);
    }
  }
  const measurements: Partial<Record<ServerName, Measurement>> = {};
  for (const target of targets) {
    const tally = tallies.get(target.server)!;
    const result = summarise(tally.samples);
    const measurement: Measurement = {
      ...result,
      apiCpuMillisecondsPerRequest: target.pid === null ? null : perRequest(tally.serverCpu, result.requests),
      databaseCpuMillisecondsPerRequest: perRequest(tally.databaseCpu, result.requests),
      peakRssMegabytes: tally.peakRss,
      rowsPerSecond: rowsPerRequest === null ? null : Math.round(result.requestsPerSecond * rowsPerRequest),
    };
    say(
      `  ${SERVER_LABELS[target.server]}: ${measurement.requestsPerSecond} req/s, p50 ${measurement.latencyMilliseconds.p50} ms, ` +
        `p99 ${measurement.latencyMilliseconds.p99} ms${measurement.errors ? `, ${measurement.errors} ERRORS (${measurement.firstError})` : ''}`,
    );
    measurements[target.server] = measurement;
  }
  return measurements;
}

type Capture = {
  /** per recorded request, the statements it sent */
  requests: RecordedStatement[][];
  statementsPerRequest: Partial<Record<ServerName, number>>;
  sameSqlAsPlain: boolean | null;
};

const sqlOf = (statements: RecordedStatement[]) => statements.map((statement) => statement.text).join('\n;\n');

/** Records what each read scenario sends, and checks both servers answer it alike. */
async function captureRead(scenario: Scenario, seqmeta: RecordingServer, plain: RecordingServer): Promise<Capture> {
  const requests: RecordedStatement[][] = [];
  const counts = { seqmeta: new Set<number>(), plain: new Set<number>() };
  let sameSql = true;
  for (let n = 0; n < CAPTURED_REQUESTS; n += 1) {
    const variables = scenario.variables('measure', n);
    const mine = await seqmeta.capture(scenario.document, variables);
    const theirs = await plain.capture(scenario.document, variables);
    for (const [name, body] of [['seqmeta', mine.body], ['plain PostGraphile', theirs.body]] as const) {
      if (body.errors?.length || !body.data) throw new Error(`(${scenario.id}) ${name} answered with errors: ${JSON.stringify(body).slice(0, 1_000)}`);
    }
    if (JSON.stringify(mine.body.data) !== JSON.stringify(theirs.body.data)) {
      throw new Error(`(${scenario.id}) seqmeta and plain PostGraphile answered ${JSON.stringify(variables)} differently`);
    }
    counts.seqmeta.add(mine.statements.length);
    counts.plain.add(theirs.statements.length);
    if (sqlOf(mine.statements) !== sqlOf(theirs.statements)) sameSql = false;
    requests.push(mine.statements);
  }
  const single = (values: Set<number>) => (values.size === 1 ? [...values][0]! : Math.max(...values));
  if (counts.seqmeta.size > 1) say(`  (${scenario.id}) statements per request vary: ${[...counts.seqmeta].join(', ')}`);
  return {
    requests,
    statementsPerRequest: { seqmeta: single(counts.seqmeta), plainPostgraphile: single(counts.plain), rawSql: single(counts.seqmeta) },
    sameSqlAsPlain: sameSql,
  };
}

/** Replays one recorded request: its statements side by side, as the API may run them. */
function replay(requests: RecordedStatement[][]) {
  return (pool: pg.Pool, n: number) =>
    Promise.all(
      requests[n % requests.length]!.map((statement) =>
        pool.query({
          text: statement.text,
          values: statement.values,
          ...(statement.name ? { name: statement.name } : {}),
          ...(statement.rowMode ? { rowMode: statement.rowMode } : {}),
        } as pg.QueryConfig),
      ),
    );
}

/**
 * Statements one request of `scenario` sends through `server`: the most of three, the first
 * of which may also look the token up.
 */
async function countStatements(scenario: Scenario, server: RecordingServer): Promise<number> {
  let most = 0;
  for (let n = 0; n < 3; n += 1) {
    const recorded = await server.capture(scenario.document, scenario.variables('measure', n), scenario.authorization);
    if (recorded.body.errors?.length) throw new Error(`(${scenario.id}) failed: ${JSON.stringify(recorded.body.errors).slice(0, 1_000)}`);
    if (n > 0) most = Math.max(most, recorded.statements.length);
  }
  return most;
}

/** The raw-SQL limit of (d): the same 1,000 files as one multi-row INSERT. */
function rawInsert(runIds: readonly string[], prefix: string) {
  const placeholders = Array.from({ length: FILES_PER_CALL }, (_, row) => {
    const at = row * 5;
    return `($${at + 1}::uuid, 'OUTPUT', $${at + 2}, $${at + 3}, $${at + 4}::bigint, $${at + 5})`;
  }).join(',\n');
  const text = `insert into core.run_files (run_id, role, uri, format, size_bytes, md5) values\n${placeholders}`;
  return (phase: 'warmUp' | 'measure') => (pool: pg.Pool, n: number) => {
    const runId = runIds[n % runIds.length]!;
    const values = outputFiles(`${prefix}-${phase}`, runId, n).flatMap((file) => [runId, file.uri, file.format, file.sizeBytes, file.md5]);
    return pool.query(text, values);
  };
}

/** `paths`: the project folder (children run there, .seqmeta/ is there) and where the reports go */
export async function runBenchmark(options: Options, paths: { projectDirectory: string; reportFiles: ReportFiles }): Promise<void> {
  const { projectDirectory, reportFiles } = paths;
  const startedAt = new Date().toISOString();
  // the commit whose migrations and code are measured: taken before anything runs
  const revision = gitCommit(projectDirectory);
  const loadAverageBefore = os.loadavg()[0]!;
  const database = await prepareDatabase({ scale: options.scale, adminUrl: options.adminUrl ?? null, projectDirectory, progress: say });
  const cleanups: Array<() => Promise<void>> = [() => database.close()];
  const runCleanups = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => say(`cleanup failed: ${String(error)}`));
  };
  try {
    const wanted = new Set(options.scenarios);
    const servers = new Set(options.servers);
    const token = await (async () => {
      const owner = new pg.Client({ connectionString: database.urls.owner });
      await owner.connect();
      try {
        return (await createToken(owner, { name: `bench-${Date.now()}`, scopes: ['ingest'], expiresInDays: 1 })).token;
      } finally {
        await owner.end();
      }
    })();
    const authorization = `Bearer ${token}`;
    if (options.setupSql) {
      const owner = new pg.Client({ connectionString: database.urls.owner });
      await owner.connect();
      try {
        await owner.query(await readFile(options.setupSql, 'utf8'));
        await owner.query('analyze');
      } finally {
        await owner.end();
      }
      say(`ran ${options.setupSql} on this run's copy`);
    }

    // seqmeta via PgBouncer: a PgBouncer in transaction pooling mode in front of this run's
    // cluster, with as many server connections per role as the API's pool has
    let pgbouncer: RunningPgbouncer | null = null;
    if (servers.has('seqmetaPgbouncer')) {
      pgbouncer = await startPgbouncer(database.urls.admin, { poolSize: options.apiPoolSize });
      const started = pgbouncer;
      cleanups.push(() => started.stop());
      say(`${pgbouncer.version} (transaction pooling) on port ${pgbouncer.port}`);
    }
    const pooledUrls =
      pgbouncer === null ? null : { ...database.urls, api: throughPgbouncer(database.urls.api, pgbouncer), etl: throughPgbouncer(database.urls.etl, pgbouncer) };
    const POOLED_SETTINGS = { SEQMETA_TRANSACTION_POOLING: 'true' };

    // In-process: draw the variables, record the SQL, check both servers answer alike.
    say('recording the SQL of each scenario in-process');
    const recordingSeqmeta = await startRecordingSeqmeta(database.urls, database.keys, options.apiPoolSize);
    const recordingPlain = await startRecordingPlain(database.urls, options.apiPoolSize);
    // the same server through PgBouncer: its statements, transactions included, per request
    const recordingPooled = pooledUrls === null ? null : await startRecordingSeqmeta(pooledUrls, database.keys, options.apiPoolSize, POOLED_SETTINGS);
    const capture: Partial<Record<ScenarioId, Capture>> = {};
    let statementsByPageSize: BenchResults['statementsByPageSize'] = null;
    let reads: ReturnType<typeof readScenarios>;
    /** (d)'s runs: a set for each server that writes, in the order of `ingestWriters` */
    let ingestRunIds: string[] = [];
    const ingestWriters = SERVERS.filter((name) => name !== 'plainPostgraphile' && servers.has(name));
    const ingestRunsPerServer = options.connections * INGEST_RUNS_PER_CONNECTION;
    const ingestRunsOf = (server: ServerName) => {
      const index = ingestWriters.indexOf(server);
      return ingestRunIds.slice(index * ingestRunsPerServer, (index + 1) * ingestRunsPerServer);
    };
    try {
      const drawn = await drawValues(database.urls.api, recordingSeqmeta.graphql);
      reads = readScenarios(drawn);
      for (const id of ['a', 'b', 'c'] as const) {
        if (!wanted.has(id)) continue;
        const captured = await captureRead(reads[id], recordingSeqmeta, recordingPlain);
        // two processes run the same code: the same statements
        captured.statementsPerRequest.seqmetaTwoProcesses = captured.statementsPerRequest.seqmeta;
        if (recordingPooled) captured.statementsPerRequest.seqmetaPgbouncer = await countStatements(reads[id], recordingPooled);
        capture[id] = captured;
      }
      if (wanted.has('a')) {
        const count = async (first: number) =>
          (await recordingSeqmeta.capture(SAMPLE_PAGE, { ...reads.a.variables('measure', 1), first })).statements.length;
        statementsByPageSize = { pageSize5: await count(5), pageSize100: await count(100) };
      }
      if (wanted.has('d')) {
        ingestRunIds = await registerIngestRuns(recordingSeqmeta.graphql, authorization, drawn.sampleIds, Math.max(1, ingestWriters.length) * ingestRunsPerServer);
        // the capture's three calls go to the first writer's runs: 3,000 outputs among its 128
        const scenario = ingestScenario(ingestRunIds.slice(0, ingestRunsPerServer), authorization, 'capture');
        let statements: RecordedStatement[] = [];
        // the first call also looks the token up; the last is what every call costs
        for (let n = 0; n < 3; n += 1) {
          const recorded = await recordingSeqmeta.capture(scenario.document, scenario.variables('measure', n), authorization);
          if (recorded.body.errors?.length) throw new Error(`(d) failed: ${JSON.stringify(recorded.body.errors).slice(0, 1_000)}`);
          statements = recorded.statements;
        }
        capture.d = {
          requests: [],
          statementsPerRequest: { seqmeta: statements.length, seqmetaTwoProcesses: statements.length, rawSql: 1 },
          sameSqlAsPlain: null,
        };
        if (recordingPooled) capture.d.statementsPerRequest.seqmetaPgbouncer = await countStatements(ingestScenario(ingestRunsOf('seqmetaPgbouncer'), authorization, 'capture-pooled'), recordingPooled);
        const onPool = (pool: RecordedStatement['pool']) => statements.filter((statement) => statement.pool === pool).length;
        say(`  (d) statements per call: ${onPool('etl')} on etl_worker, ${onPool('api')} on frontend_api`);
      }
    } finally {
      await recordingSeqmeta.stop();
      await recordingPlain.stop();
      await recordingPooled?.stop();
    }

    // The servers under test, as child processes.
    const processes: Partial<Record<ServerName, ServerProcess>> = {};
    /** seqmeta as `npm start` runs it in production mode, over `urls`, with `settings` on top */
    const startSeqmeta = async (
      server: 'seqmeta' | 'seqmetaTwoProcesses' | 'seqmetaPgbouncer',
      urls: { api: string; etl: string },
      settings: Record<string, string> = {},
      nodeArguments: string[] = [],
    ) => {
      const port = await freePort();
      const child = await startServerProcess({
        name: SERVER_LABELS[server],
        arguments: [...nodeArguments, ...API_NODE_FLAGS, '--import', 'tsx', 'src/main.ts'],
        environment: childEnvironment({
          SEQMETA_API_DATABASE_URL: urls.api,
          SEQMETA_ETL_DATABASE_URL: urls.etl,
          SEQMETA_PSEUDONYM_KEY: database.keySettings.pseudonymKey,
          SEQMETA_ENCRYPTION_KEYS: database.keySettings.encryptionKeys,
          SEQMETA_ALLOW_ANONYMOUS_READS: 'true',
          // the load comes from one address without a token: measure the server, not its rate limit
          SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN: '0',
          SEQMETA_API_POOL_SIZE: String(options.apiPoolSize),
          SEQMETA_ETL_POOL_SIZE: String(options.etlPoolSize),
          SEQMETA_WORKERS: String(options.workers),
          ...settings,
          PORT: String(port),
        }),
        port,
        workingDirectory: projectDirectory,
      });
      cleanups.push(() => child.stop());
      processes[server] = child;
    };
    if (servers.has('seqmeta')) {
      const profileDirectory = path.join(projectDirectory, '.seqmeta', 'bench-profiles');
      if (options.cpuProfile) await clearProfiles(profileDirectory);
      await startSeqmeta('seqmeta', database.urls, {}, options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`] : []);
    }
    // node:cluster: a primary and two workers on one port
    if (servers.has('seqmetaTwoProcesses')) await startSeqmeta('seqmetaTwoProcesses', database.urls, { SEQMETA_WORKERS: '2' });
    if (pooledUrls) await startSeqmeta('seqmetaPgbouncer', pooledUrls, POOLED_SETTINGS);
    if (servers.has('plainPostgraphile') && [...wanted].some((id) => id !== 'd')) {
      const port = await freePort();
      processes.plainPostgraphile = await startServerProcess({
        name: 'plain PostGraphile',
        arguments: ['--import', 'tsx', 'bench/plainPostgraphile.ts'],
        environment: childEnvironment({ SEQMETA_API_DATABASE_URL: database.urls.api, SEQMETA_API_POOL_SIZE: String(options.apiPoolSize), PORT: String(port) }),
        port,
        workingDirectory: projectDirectory,
      });
      cleanups.push(() => processes.plainPostgraphile!.stop());
    }
    // the raw SQL runs on pools like the API's, their connections set up as @dataplan/pg and
    // src/pools.ts set up the API's (all but statement_timeout: the raw SQL is the limit, not guarded)
    const { apiParallelWorkersPerQuery } = loadConfig({ SEQMETA_API_DATABASE_URL: database.urls.api, SEQMETA_ETL_DATABASE_URL: database.urls.etl }).server;
    const rawApiPool = new pg.Pool({
      connectionString: database.urls.api,
      max: options.apiPoolSize,
      options: `-c jit_optimize_above_cost=-1 -c max_parallel_workers_per_gather=${apiParallelWorkersPerQuery}`,
    });
    const rawEtlPool = new pg.Pool({ connectionString: database.urls.etl, max: options.etlPoolSize });
    cleanups.push(async () => {
      await rawApiPool.end();
      await rawEtlPool.end();
    });

    const scenarioResults: ScenarioResult[] = [];
    for (const id of options.scenarios) {
      const scenario = id === 'd' ? ingestScenario(ingestRunIds, authorization, `load-${Date.now()}`) : reads![id];
      say(`(${id}) ${scenario.title}`);
      const targets: Target[] = [];
      for (const server of ['seqmeta', 'seqmetaTwoProcesses', 'seqmetaPgbouncer', 'plainPostgraphile'] as const) {
        const child = processes[server];
        if (!child || (id === 'd' && server === 'plainPostgraphile')) continue;
        // (d) writes new files: each server its own, or the second would only retry the first's
        const load = id === 'd' ? ingestScenario(ingestRunsOf(server), authorization, `load-${server}-${Date.now()}`) : scenario;
        targets.push({
          server,
          pid: child.pid,
          ...(server === 'seqmetaPgbouncer' && pgbouncer ? { poolerPid: pgbouncer.pid } : {}),
          drive: (phase, seconds, firstRequest) =>
            driveHttp({
              url: child.url,
              connections: options.connections,
              durationSeconds: seconds,
              authorization: load.authorization,
              body: (n) => JSON.stringify({ query: load.document, variables: load.variables(phase, firstRequest + n) }),
            }),
        });
      }
      if (servers.has('rawSql')) {
        const insert = rawInsert(ingestRunsOf('rawSql'), `raw-${Date.now()}`);
        targets.push({
          server: 'rawSql',
          pid: null,
          drive: (phase, seconds, firstRequest) => {
            const request = id === 'd' ? insert(phase) : replay(capture[id]!.requests);
            return driveSql({
              pool: id === 'd' ? rawEtlPool : rawApiPool,
              connections: options.connections,
              durationSeconds: seconds,
              request: (pool, n) => request(pool, firstRequest + n),
            });
          },
        });
      }
      const measurements = await measureSideBySide(targets, database, options, scenario.rowsPerRequest);
      scenarioResults.push({
        id,
        title: scenario.title,
        statementsPerRequest: capture[id]?.statementsPerRequest ?? {},
        sameSqlAsPlain: capture[id]?.sameSqlAsPlain ?? null,
        measurements,
      });
    }
    await runCleanups();
    cleanups.length = 0;

    const results: BenchResults = {
      version: 1,
      scale: options.scale,
      ...(options.resultsName ? { resultsName: options.resultsName } : {}),
      startedAt,
      ...revision,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGigabytes: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
        node: process.version,
        postgres: database.serverVersion,
        loadAverageBefore: Math.round(loadAverageBefore * 100) / 100,
        loadAverageAfter: Math.round(os.loadavg()[0]! * 100) / 100,
      },
      dataset: { ...database.counts, seed: DATASET_SEED, loadSeconds: database.loadSeconds, location: database.location },
      settings: {
        connections: options.connections,
        durationSeconds: options.duration,
        rounds: options.rounds,
        warmUpSeconds: options.warmUp,
        apiPoolSize: options.apiPoolSize,
        workers: options.workers,
        samplePageSize: SAMPLE_PAGE_SIZE,
        filesPerCall: FILES_PER_CALL,
        ...(options.setupSql ? { setupSql: path.basename(options.setupSql) } : {}),
        ...(pgbouncer ? { pgbouncer: { version: pgbouncer.version, poolSize: options.apiPoolSize } } : {}),
      },
      statementsByPageSize,
      scenarios: scenarioResults,
    };
    // every run is kept (git-ignored), experiments only there
    const experimentsDirectory = path.join(projectDirectory, '.seqmeta', 'bench-experiments');
    const experimentName = options.experiment ?? `last-${options.scale}`;
    await mkdir(experimentsDirectory, { recursive: true });
    await writeFile(path.join(experimentsDirectory, `${experimentName}.json`), `${JSON.stringify(results, null, 2)}\n`);
    say(`wrote .seqmeta/bench-experiments/${experimentName}.json`);
    if (!options.experiment) {
      await writeReports(results, reportFiles);
      const base = resultsBaseName(results);
      say(`wrote bench/results/${base}.json, .md, .svg and the ${base} block of BENCHMARKS.md`);
    }
    process.stdout.write(`\n${renderSummary(results)}`);
    if (options.cpuProfile) {
      process.stdout.write(`\n${await summariseProfiles(path.join(projectDirectory, '.seqmeta', 'bench-profiles'))}`);
    }
  } finally {
    await runCleanups();
  }
}
