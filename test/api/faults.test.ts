// Faults injected for real, and what the API does about them:
// (a) Postgres stopped under load: /graphql and /readyz fail fast with 503, the process stays
//     up, and it serves again by itself when Postgres is back (src/http/databaseGate.ts);
// (b) the ingest connection killed in the middle of a logRunOutputs: nothing of the call is
//     kept, the answer is a 503 the CLI retries, and the retry writes the files exactly once;
// (c) SIGTERM to the real server (a child process, production mode) with requests in flight:
//     each one gets its whole answer, new connections are refused, the process exits 0.
// (a) and (b) run on a Postgres of this file's own, which it stops and starts; (c) on the
// shared test server. The figures measured are printed, for RELIABILITY.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { loadDemoData } from '../../src/demoData/load.ts';
import { createLogger } from '../../src/logger.ts';
import { formatKey, generateKey } from '../../src/phi.ts';
import { createPools, type Pools } from '../../src/pools.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createToken } from '../../src/tokens.ts';
import { testPhiKeys } from '../support/apiServer.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { loadFixture } from '../support/fixtures.ts';
import { freePort } from '../support/freePort.ts';
import { adminQuery } from '../support/server.ts';
import { startStoppablePostgres, type StoppablePostgres } from '../support/stoppablePostgres.ts';
import { inheritedEnvironment } from '../support/inheritedEnvironment.ts';

/** "Fast" for these tests: generous on a shared 2-core machine; the measured latencies are printed. */
const FAIL_FAST_BOUND_MILLISECONDS = 5_000;
const projectDirectory = fileURLToPath(new URL('../../', import.meta.url));

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const report = (line: string) => console.log(`[faults] ${line}`);

type Outcome = {
  started: number;
  finished: number;
  status: number;
  code: string | null;
  retryAfter: string | null;
  hasData: boolean;
  /** a network error or a body that is not JSON */
  failure: string | null;
};

async function post(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Outcome & { body: any }> {
  const started = performance.now();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    const finished = performance.now();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      return { started, finished, status: response.status, code: null, retryAfter: null, hasData: false, failure: text.slice(0, 200), body: text };
    }
    return {
      started,
      finished,
      status: response.status,
      code: body.errors?.[0]?.extensions?.code ?? null,
      retryAfter: response.headers.get('retry-after'),
      hasData: body.data !== undefined && body.data !== null && !body.errors,
      failure: null,
      body,
    };
  } catch (error) {
    return { started, finished: performance.now(), status: 0, code: null, retryAfter: null, hasData: false, failure: String(error), body: null };
  }
}

/**
 * POST /graphql over a keep-alive connection that the client never closes (node:http's Agent
 * keeps idle sockets open for as long as the server does), as a long-lived client would.
 */
function postKeepingAlive(agent: Agent, url: string, query: string, variables: Record<string, unknown>, token: string) {
  return new Promise<{ status: number; body: any; finished: number }>((resolve, reject) => {
    const payload = JSON.stringify({ query, variables });
    const outgoing = httpRequest(
      `${url}/graphql`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          try {
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(text), finished: performance.now() });
          } catch (error) {
            reject(new Error(`not JSON (HTTP ${response.statusCode}): ${text.slice(0, 200)}`, { cause: error }));
          }
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

async function timedGet(url: string): Promise<{ status: number; milliseconds: number; retryAfter: string | null }> {
  const started = performance.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  return { status: response.status, milliseconds: performance.now() - started, retryAfter: response.headers.get('retry-after') };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, milliseconds: number): Promise<T> {
  const deadline = Date.now() + milliseconds;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

const percentile = (values: number[], fraction: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
};
const round = (milliseconds: number) => Math.round(milliseconds);

const READ = `query ($first: Int!) {
  samples(first: $first, orderBy: SAMPLE_ID_ASC) {
    totalCount
    nodes { sampleId runs(first: 5) { nodes { runId status files(first: 5) { nodes { uri } } } } }
  }
}`;
const REGISTER_SAMPLE = `mutation ($patientId: String!) {
  registerSample(input: { sampleId: "SYN-FAULT-S1", patientId: $patientId, specimenType: TUMOUR, collectionDate: "2024-03-05" }) {
    sample { sampleId }
  }
}`;
const REGISTER_RUN = `mutation ($runId: UUID!) {
  registerRun(input: { runId: $runId, sampleId: "SYN-FAULT-S1", assayType: WGS, pipelineName: "seqmeta-faults" }) { run { runId } }
}`;
const START_RUN = `mutation ($runId: UUID!) { startRun(input: { runId: $runId, executor: "local" }) { run { runId status } } }`;
const PATIENT_ID = 'SYN-PAT-FAULT-0001';

describe('with a Postgres the test stops and starts', () => {
  let postgres: StoppablePostgres;
  let pools: Pools;
  let server: RunningServer;
  let token: string;
  /** one statement as the superuser on the application database, on its own connection (Postgres goes away) */
  const admin = { query: (sql: string, values: unknown[] = []) => adminQuery(postgres.adminOnApplicationDatabase, sql, values) };

  beforeAll(async () => {
    postgres = await startStoppablePostgres();
    await loadDemoData({ etlUrl: postgres.urls.etl, keys: testPhiKeys(), patients: 60, seed: 1 });
    const owner = new pg.Client({ connectionString: postgres.urls.owner });
    await owner.connect();
    try {
      token = (await createToken(owner, { name: 'faults-test', scopes: 'ingest,read' })).token;
    } finally {
      await owner.end();
    }
    // the server as src/main.ts composes it, in this process
    const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0' });
    const logger = createLogger(config);
    pools = createPools({ admin: null, owner: null, api: postgres.urls.api, etl: postgres.urls.etl }, config.server, logger);
    server = await startServer({ config, pools, logger, keys: testPhiKeys() });
    const registered = await post(server.url, REGISTER_SAMPLE, { patientId: PATIENT_ID }, token);
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
  }, 120_000);

  afterAll(async () => {
    if (server) {
      await new Promise<void>((resolve) => {
        server.httpServer.close(() => resolve());
        server.httpServer.closeAllConnections();
      });
      await server.release();
    }
    await pools?.close();
    await postgres?.destroy();
  });

  it('Postgres stopped under load: /graphql and /readyz answer 503 fast, the process stays up, and serves again when Postgres is back', async () => {
    // four clients, reads and an idempotent mutation, each sending its next request after the last
    let loading = true;
    const outcomes: Outcome[] = [];
    const loop = async (client: number) => {
      for (let n = 0; loading; n += 1) {
        const outcome =
          client === 0 && n % 2 === 1
            ? await post(server.url, REGISTER_SAMPLE, { patientId: PATIENT_ID }, token)
            : await post(server.url, READ, { first: 20 + ((client * 7 + n) % 30) });
        outcomes.push(outcome);
        await sleep(10);
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(loop));

    await sleep(1_500);
    const stopping = performance.now();
    await postgres.stop();
    const stopped = performance.now();
    await sleep(3_000);
    const readiness = await timedGet(`${server.url}/readyz`);
    const health = await timedGet(`${server.url}/healthz`);
    loading = false;
    await load;

    const before = outcomes.filter((outcome) => outcome.finished < stopping);
    const during = outcomes.filter((outcome) => outcome.finished >= stopping);
    const after = outcomes.filter((outcome) => outcome.started >= stopped);
    expect(before.length).toBeGreaterThan(5);
    expect(before.filter((outcome) => !(outcome.status === 200 && outcome.hasData))).toEqual([]);
    // each request in or after the outage got a whole answer: a success, or a 503 that says why
    const unexpected = during.filter(
      (outcome) =>
        !(outcome.status === 200 && outcome.hasData) &&
        !(outcome.status === 503 && outcome.code === 'SERVICE_UNAVAILABLE' && /^\d+$/.test(outcome.retryAfter ?? '')),
    );
    expect(unexpected).toEqual([]);
    // once Postgres is gone, every request is refused, and fast
    expect(after.length).toBeGreaterThan(20);
    expect(after.every((outcome) => outcome.status === 503)).toBe(true);
    const latencies = during.map((outcome) => outcome.finished - outcome.started);
    expect(Math.max(...latencies)).toBeLessThan(FAIL_FAST_BOUND_MILLISECONDS);
    expect(readiness.status).toBe(503);
    expect(readiness.retryAfter).toMatch(/^\d+$/);
    expect(readiness.milliseconds).toBeLessThan(FAIL_FAST_BOUND_MILLISECONDS);
    expect(health.status).toBe(200);

    await postgres.start();
    const restarted = performance.now();
    const ready = await waitFor(() => timedGet(`${server.url}/readyz`), (result) => result.status === 200, 30_000);
    const readyAfter = performance.now() - restarted;
    expect(ready.status).toBe(200);
    const read = await post(server.url, READ, { first: 10 });
    expect(read.status, JSON.stringify(read.body).slice(0, 500)).toBe(200);
    expect(read.body.data.samples.nodes).toHaveLength(10);
    const mutation = await post(server.url, REGISTER_SAMPLE, { patientId: PATIENT_ID }, token);
    expect(mutation.status, JSON.stringify(mutation.body)).toBe(200);
    expect(mutation.body.data.registerSample.sample.sampleId).toBe('SYN-FAULT-S1');

    const refused = during.filter((outcome) => outcome.status === 503);
    const refusedLatencies = refused.map((outcome) => outcome.finished - outcome.started);
    report(
      `(a) stop: ${before.length} requests answered before, ${during.length} during/after the stop (${refused.length} × 503, ` +
        `${during.length - refused.length} × 200 finishing before Postgres went); 503 latency p50 ${round(percentile(refusedLatencies, 0.5))} ms, ` +
        `p99 ${round(percentile(refusedLatencies, 0.99))} ms, max ${round(Math.max(...latencies))} ms; first 503 ` +
        `${round(Math.min(...refused.map((outcome) => outcome.finished)) - stopping)} ms after the stop began ` +
        `(the stop itself took ${round(stopped - stopping)} ms); /readyz 503 in ${round(readiness.milliseconds)} ms; ` +
        `ready again ${round(readyAfter)} ms after Postgres started`,
    );
  }, 90_000);

  describe('a connection killed in the middle of log-outputs', () => {
    const FILE_COUNT = 1_500;
    let outputs: string;

    beforeAll(async () => {
      await postgres.start();
      outputs = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-faults-outputs-'));
      await mkdir(path.join(outputs, 'results'));
      for (let index = 0; index < FILE_COUNT; index += 1) {
        await writeFile(path.join(outputs, 'results', `part-${String(index).padStart(5, '0')}.txt`), `SYN-FAULT output ${index}\n`);
      }
    }, 60_000);
    afterAll(async () => {
      if (outputs) await rm(outputs, { recursive: true, force: true });
    });

    async function runningRun(): Promise<string> {
      await waitFor(() => timedGet(`${server.url}/readyz`), (result) => result.status === 200, 30_000);
      const runId = randomUUID();
      for (const document of [REGISTER_RUN, START_RUN]) {
        const result = await post(server.url, document, { runId }, token);
        expect(result.status, JSON.stringify(result.body)).toBe(200);
      }
      return runId;
    }

    const counts = async (runId: string) => {
      const result = await admin.query(
        `select (select count(*) from core.run_files where run_id = $1 and role = 'OUTPUT')::int as files,
                (select count(distinct uri) from core.run_files where run_id = $1 and role = 'OUTPUT')::int as distinct_files,
                (select count(*) from core.audit_events where run_id = $1 and action = 'log_run_outputs')::int as audits`,
        [runId],
      );
      return result.rows[0] as { files: number; distinct_files: number; audits: number };
    };

    /**
     * Runs `log-outputs` while core.audit_events is locked, so the call stops after its file
     * rows went in and before its audit row; ends the etl_worker backend there, then lifts the
     * lock. Returns the CLI's result and whether the backend had written file rows when it died.
     */
    async function logOutputsKilledMidway(runId: string, retries: number) {
      const locker = new pg.Client({ connectionString: postgres.adminOnApplicationDatabase });
      locker.on('error', () => undefined);
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query('lock table core.audit_events in share mode');
        const cli = runCli(
          ['log-outputs', '--run-id', runId, '--batch-size', String(FILE_COUNT), '--retries', String(retries), path.join(outputs, 'results')],
          { SEQMETA_URL: server.url, SEQMETA_TOKEN: token },
          120_000,
        );
        const waiting = await waitFor(
          async () =>
            (
              await admin.query(
                `select pid, exists (select 1 from pg_locks l where l.pid = a.pid and l.relation = 'core.run_files'::regclass
                                      and l.mode = 'RowExclusiveLock' and l.granted) as wrote_files
                 from pg_stat_activity a where usename = 'etl_worker' and wait_event_type = 'Lock'`,
              )
            ).rows,
          (rows) => rows.length > 0,
          60_000,
        );
        expect(waiting).toHaveLength(1);
        await admin.query('select pg_terminate_backend($1)', [waiting[0].pid]);
        const whileDead = await counts(runId);
        await locker.query('rollback');
        return { result: await cli, wroteFilesBeforeKill: waiting[0].wrote_files as boolean, whileDead };
      } finally {
        await locker.end().catch(() => undefined);
      }
    }

    it('leaves no partial rows and answers 503; running the command again logs every file exactly once', async () => {
      const runId = await runningRun();
      const killed = await logOutputsKilledMidway(runId, 0);
      expect(killed.wroteFilesBeforeKill).toBe(true);
      expect(killed.result.exitCode, killed.result.stderr).toBe(6);
      expect(killed.result.stderr).toMatch(/HTTP 503/);
      expect(await counts(runId)).toEqual({ files: 0, distinct_files: 0, audits: 0 });
      expect(killed.whileDead).toEqual({ files: 0, distinct_files: 0, audits: 0 });

      const again = await runCli(['log-outputs', '--run-id', runId, '--batch-size', String(FILE_COUNT), path.join(outputs, 'results'), '--json'], {
        SEQMETA_URL: server.url,
        SEQMETA_TOKEN: token,
      });
      expect(again.exitCode, again.stderr).toBe(0);
      // the JSON of 1,500 files is larger than a pipe takes at once: all of it arrives
      expect(again.stdout.length).toBeGreaterThan(128 * 1024);
      expect(JSON.parse(again.stdout)).toMatchObject({ fileCount: FILE_COUNT, calls: 1 });
      expect(JSON.parse(again.stdout).files).toHaveLength(FILE_COUNT);
      expect(again.stderr).toContain(`logged ${FILE_COUNT} output(s) of run ${runId} (${FILE_COUNT} in all) in 1 call(s)`);
      expect(await counts(runId)).toEqual({ files: FILE_COUNT, distinct_files: FILE_COUNT, audits: 1 });
      const stored = await admin.query(`select uri, sha256 from core.run_files where run_id = $1 and role = 'OUTPUT' order by uri limit 1`, [runId]);
      const first = path.join(outputs, 'results', 'part-00000.txt');
      expect(stored.rows[0]).toEqual({ uri: pathToFileURL(first).href, sha256: createHash('sha256').update('SYN-FAULT output 0\n').digest('hex') });
    }, 180_000);

    it('the CLI retries the 503 by itself and the files are written exactly once, with one audit row', async () => {
      const runId = await runningRun();
      const killed = await logOutputsKilledMidway(runId, 5);
      expect(killed.wroteFilesBeforeKill).toBe(true);
      expect(killed.whileDead).toEqual({ files: 0, distinct_files: 0, audits: 0 });
      expect(killed.result.exitCode, killed.result.stderr).toBe(0);
      expect(killed.result.stderr).toContain('the API call did not go through (HTTP 503); retry 1 of 5');
      expect(killed.result.stderr).toContain(`logged ${FILE_COUNT} output(s) of run ${runId} (${FILE_COUNT} in all) in 1 call(s)`);
      expect(await counts(runId)).toEqual({ files: FILE_COUNT, distinct_files: FILE_COUNT, audits: 1 });
    }, 180_000);
  });
});

describe('SIGTERM to the real server with requests in flight', () => {
  let database: TestDatabase;
  let child: ChildProcess | null = null;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await database?.destroy();
  });

  it('finishes every in-flight request, refuses new connections, commits the ingest whole and exits 0', async () => {
    const fixture = await loadFixture(database, { patients: 250 });
    const run = fixture.runs.find((candidate) => candidate.status === 'RUNNING')!;
    const owner = await database.connect('owner');
    const { token } = await createToken(owner, { name: 'faults-shutdown', scopes: 'ingest,read' });
    // one login holds the lock; the other watches (pg_stat_activity stays as it was first read
    // within a transaction)
    const admin = await database.connect('admin');
    const watcher = await database.connect('admin');

    const port = await freePort();
    const inherited = inheritedEnvironment();
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: projectDirectory,
      env: {
        ...inherited,
        NODE_ENV: 'production',
        GRAPHILE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        SEQMETA_API_DATABASE_URL: database.urls.api,
        SEQMETA_ETL_DATABASE_URL: database.urls.etl,
        SEQMETA_PSEUDONYM_KEY: formatKey(generateKey()),
        SEQMETA_ENCRYPTION_KEYS: `1:${formatKey(generateKey())}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const started = Date.now();
    while (!output.includes('seqmeta is serving')) {
      if (Date.now() - started > 90_000 || child.exitCode !== null) throw new Error(`the server did not come up:\n${output}`);
      await sleep(200);
    }
    const url = `http://127.0.0.1:${port}`;

    // Hold the requests inside the database: while this lock is held, every statement that
    // touches core.run_files waits, so all three are surely in flight when SIGTERM comes.
    await admin.query('begin');
    await admin.query('lock table core.run_files in access exclusive mode');
    const files = Array.from({ length: 2_000 }, (_, index) => {
      const uri = `s3://syn-lab/shutdown/${run.runId}/part-${index}.bam`;
      return { uri, format: 'BAM', sizeBytes: String(1_000 + index), sha256: createHash('sha256').update(uri).digest('hex') };
    });
    const settled: string[] = [];
    const track = <T>(name: string, promise: Promise<T>) => promise.finally(() => settled.push(name));
    // clients that keep their connections open after the answer: the server must not wait for them
    const agent = new Agent({ keepAlive: true });
    const inFlight = [
      track(
        'large read',
        postKeepingAlive(agent, url, `{ samples(first: 400, orderBy: SAMPLE_ID_ASC) { nodes { sampleId runs(first: 10) { nodes { runId files(first: 10) { nodes { uri } } } } } } }`, {}, token),
      ),
      track(
        'logRunOutputs of 2,000 files',
        postKeepingAlive(agent, url, `mutation ($input: LogRunOutputsInput!) { logRunOutputs(input: $input) { fileCount } }`, { input: { runId: run.runId, files } }, token),
      ),
      track(
        'run by id',
        postKeepingAlive(agent, url, `query ($runId: UUID!) { run(runId: $runId) { runId files(first: 100) { totalCount nodes { uri } } } }`, { runId: run.runId }, token),
      ),
    ] as const;
    const waiting = await waitFor(
      async () =>
        Number((await watcher.query(`select count(*) from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'`, [database.name])).rows[0].count),
      (count) => count >= 3,
      30_000,
    );
    expect(waiting).toBeGreaterThanOrEqual(3);

    const signalled = performance.now();
    child.kill('SIGTERM');
    // the listening socket closes at once: a new connection is refused
    const connectOutcome = () =>
      new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
      });
    const refusal = await waitFor(connectOutcome, (outcome) => outcome === 'ECONNREFUSED', 5_000);
    const refusedAfter = performance.now() - signalled;
    expect(refusal).toBe('ECONNREFUSED');
    await sleep(500);
    expect(settled).toEqual([]);

    await admin.query('rollback');
    const [read, ingest, byId] = await Promise.all(inFlight);
    const lastAnswer = Math.max(read.finished, ingest.finished, byId.finished);
    const code = await exited;
    const exitedAt = performance.now();
    const exitedAfter = exitedAt - signalled;
    agent.destroy();
    child = null;

    expect(read.status, JSON.stringify(read.body).slice(0, 500)).toBe(200);
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data.samples.nodes).toHaveLength(400);
    expect(ingest.status, JSON.stringify(ingest.body).slice(0, 500)).toBe(200);
    expect(ingest.body).toEqual({ data: { logRunOutputs: { fileCount: 2_000 } } });
    expect(byId.status).toBe(200);
    expect(byId.body.data.run.runId).toBe(run.runId);
    expect(code).toBe(0);
    expect(output).toContain('"msg":"stopped"');
    // It did not wait for its idle keep-alive connections to time out (Node closes them after
    // 5 s, the clients never) before exiting: ~0.1 s here, bounded generously below those 5 s.
    expect(exitedAt - lastAnswer).toBeLessThan(4_000);

    const stored = await admin.query(
      `select (select count(*) from core.run_files where run_id = $1 and uri like 's3://syn-lab/shutdown/%')::int as files,
              (select count(*) from core.audit_events where run_id = $1 and action = 'log_run_outputs')::int as audits`,
      [run.runId],
    );
    expect(stored.rows[0]).toEqual({ files: 2_000, audits: 1 });
    report(
      `(c) SIGTERM with 3 requests held in flight: new connections refused ${round(refusedAfter)} ms after the signal; ` +
        `all 3 answered 200 in full after the hold was lifted; the 2,000-file ingest committed whole; exit code 0 ${round(exitedAfter)} ms after the signal, ` +
        `${round(exitedAt - lastAnswer)} ms after the last answer`,
    );
  }, 180_000);
});
