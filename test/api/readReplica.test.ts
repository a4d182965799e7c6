// Read routing with a streaming read replica (src/database/readRouting.ts), on a primary and a
// replica of this file's own (test/support/replicatedPostgres.ts: PostgreSQL's own binaries,
// pg_basebackup, always the machine's installation whatever server the rest of the suite uses):
// - the API's reads land on the replica, its writes on the primary;
// - a mutation's payload and the pipeline's next query see the write on a replica that applies
//   every commit 300 ms late (the mutation waits for the replay);
// - a replica further behind than SEQMETA_REPLICA_WAIT_MS: reads move to the primary until it
//   has caught up (fallback=primary), or the call answers 503 saying its write is committed (fail);
// - the replica stopped: /readyz says so, reads fall back to the primary (fallback=primary) or
//   are refused at once with 503 (fail), and both return to the replica when it is back;
// - the position a mutation waits for is one the replica reaches even when the primary's last
//   WAL record ends exactly on a page boundary and nothing follows;
// - a process that finds the replica back after an outage keeps its reads on the primary until
//   the replica has the writes another process made meanwhile;
// - a server whose pools log in as another role than frontend_api / etl_worker, or as a
//   superuser, refuses to start.
// The servers are composed as src/main.ts composes them, in production mode. Figures measured
// are printed, for docs/SCALING.md.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createReadRouting, PRIMARY_POSITION_SQL } from '../../src/database/readRouting.ts';
import { createLogger } from '../../src/logger.ts';
import { createToken } from '../../src/tokens.ts';
import { startInProcessServer, type InProcessServer } from '../support/apiServer.ts';
import { runCli } from '../support/cli.ts';
import { findPostgresBinaries, startReplicatedPostgres, type ReplicatedPostgres } from '../support/replicatedPostgres.ts';

/** generous on a shared 2-core machine; the measured latencies are printed */
const FAIL_FAST_BOUND_MILLISECONDS = 5_000;
const APPLY_DELAY_MILLISECONDS = 300;
/** the servers' SEQMETA_REPLICA_WAIT_MS: well above the 300 ms delay, well below the lagging one */
const WAIT_MILLISECONDS = 1_500;
const LAGGING_DELAY_MILLISECONDS = 4_000;

const SAMPLE_ID = 'SYN-REPLICA-S1';
const PATIENT_ID = 'SYN-PAT-REPLICA-0001';

const report = (line: string) => console.log(`[read replica] ${line}`);
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const round = (milliseconds: number) => Math.round(milliseconds);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

type Served = InProcessServer & {
  /** statements each read pool sent: `api` the primary's frontend_api, `apiReplica` the replica's */
  statements: { api: number; apiReplica: number };
};

let replicated: ReplicatedPostgres;
let token: string;
const started: Served[] = [];

/** The server as src/main.ts composes it, over the primary with reads on the replica. */
async function serve(settings: Record<string, string> = {}): Promise<Served> {
  const statements = { api: 0, apiReplica: 0 };
  const server = await startInProcessServer(
    {
      SEQMETA_API_DATABASE_URL: replicated.primary.urls.api,
      SEQMETA_ETL_DATABASE_URL: replicated.primary.urls.etl,
      SEQMETA_API_REPLICA_DATABASE_URL: replicated.replica.urls.api,
      SEQMETA_REPLICA_WAIT_MS: String(WAIT_MILLISECONDS),
      ...settings,
    },
    {
      preparePools(pools) {
        for (const name of ['api', 'apiReplica'] as const) {
          pools[name]!.on('connect', (client) => {
            const query = client.query.bind(client) as (...args: unknown[]) => unknown;
            (client as { query: unknown }).query = (...args: unknown[]) => {
              statements[name] += 1;
              return query(...args);
            };
          });
        }
      },
    },
  );
  const served: Served = { ...server, statements };
  started.push(served);
  return served;
}

async function graphql(served: Served, query: string, variables: Record<string, unknown> = {}) {
  const began = performance.now();
  const response = await fetch(`${served.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as any;
  return { status: response.status, body, milliseconds: performance.now() - began, retryAfter: response.headers.get('retry-after') };
}

async function readiness(served: Served) {
  const began = performance.now();
  const response = await fetch(`${served.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, milliseconds: performance.now() - began };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, milliseconds = 20_000): Promise<T> {
  const deadline = Date.now() + milliseconds;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

/** the API's read connections (frontend_api, application_name seqmeta-api) open on a server, and those whose last statement read a view */
async function readConnections(server: 'primary' | 'replica'): Promise<{ connections: number; read_views: number }> {
  const result = await replicated.query(
    server,
    `select count(*)::int as connections, count(*) filter (where query like '%frontend_%')::int as read_views
     from pg_stat_activity where usename = 'frontend_api' and application_name = 'seqmeta-api'`,
  );
  return result.rows[0];
}

const READ = `{ samples(first: 5, orderBy: SAMPLE_ID_ASC) { totalCount nodes { sampleId runs { totalCount } } } }`;
const REGISTER_SAMPLE = `mutation ($sampleId: String!, $patientId: String!) {
  registerSample(input: { sampleId: $sampleId, patientId: $patientId, specimenType: TUMOUR }) { sample { sampleId } }
}`;
const REGISTER_RUN = `mutation ($runId: UUID!, $uri: String!) {
  registerRun(input: { runId: $runId, sampleId: "${SAMPLE_ID}", assayType: WGS, pipelineName: "seqmeta-replica",
                       inputs: [{ uri: $uri, format: "FASTQ", readNumber: 1 }] }) {
    run { runId status files { totalCount nodes { uri } } }
  }
}`;
const RUN = `query ($runId: UUID!) { run(runId: $runId) { runId status files { totalCount } } }`;

const registerRun = (served: Served, runId = randomUUID()) =>
  graphql(served, REGISTER_RUN, { runId, uri: `s3://syn-lab/replica/${runId}_R1.fastq.gz` }).then((result) => ({ ...result, runId }));

const expectedRun = (runId: string) => ({
  runId,
  status: 'PENDING',
  files: { totalCount: 1, nodes: [{ uri: `s3://syn-lab/replica/${runId}_R1.fastq.gz` }] },
});

/** a pg_lsn's text as one number */
const walPosition = (lsn: string) => {
  const [high = '0', low = '0'] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
};

/**
 * Writes WAL on the (otherwise idle) primary until its last record ends exactly on a WAL page
 * boundary, then waits for that record to be flushed. Non-transactional logical messages are
 * records of a chosen size that no checkpoint or standby snapshot counts as activity (they are
 * marked unimportant), so nothing else follows them by itself. Returns the insert and flush
 * positions: the insert position then lies past the next page's header, the flush position on
 * the boundary.
 */
async function endPrimaryWalOnPageBoundary(): Promise<{ insert: bigint; flush: bigint; pageBytes: bigint }> {
  const pageBytes = BigInt((await replicated.query('primary', 'show wal_block_size')).rows[0].wal_block_size);
  const position = async () => {
    const row = (await replicated.query('primary', 'select pg_current_wal_insert_lsn()::text as insert, pg_current_wal_flush_lsn()::text as flush')).rows[0];
    return { insert: walPosition(row.insert), flush: walPosition(row.flush) };
  };
  const emit = (bytes: bigint) =>
    replicated.query('primary', `select pg_logical_emit_message(false, 'seqmeta-test', repeat('x', $1))`, [Number(bytes)]);
  // the record's size beyond its content (header, the message's own fields, the prefix), learnt
  // from each attempt; records are 8-byte aligned
  let overhead = 80n;
  for (let attempt = 0; attempt < 30; attempt += 1) {
    const start = (await position()).insert;
    const room = pageBytes - (start % pageBytes);
    if (room < 1_024n) {
      // too close to the end of the page for a message of steady size: on to the next page
      await emit(1_024n);
      continue;
    }
    const content = room - overhead;
    await emit(content);
    const { insert } = await position();
    const boundary = start - (start % pageBytes) + pageBytes;
    if (insert > boundary && insert - boundary <= 40n) {
      // the record ended on the boundary (the insert position skips the page header: 24 bytes,
      // 40 at a segment's start); wait for the WAL writer to flush it
      const deadline = Date.now() + 10_000;
      for (;;) {
        const now = await position();
        if (now.insert !== insert) break; // something else wrote meanwhile: try again
        if (now.flush === boundary) return { ...now, pageBytes };
        if (Date.now() > deadline) break;
        await sleep(20);
      }
      continue;
    }
    // learn the overhead from what was written (a record that crossed the page also holds a page header)
    const written = insert - start - (insert > boundary ? 24n : 0n);
    overhead = written - content;
  }
  throw new Error('could not end the primary\'s WAL on a page boundary in 30 attempts');
}

const runsOnPrimary = async (runId: string) =>
  Number((await replicated.query('primary', 'select count(*) from core.runs where run_id = $1', [runId])).rows[0].count);

beforeAll(async () => {
  replicated = await startReplicatedPostgres();
  const owner = new pg.Client({ connectionString: replicated.primary.urls.owner });
  await owner.connect();
  try {
    token = (await createToken(owner, { name: 'read-replica-test', scopes: 'ingest,read' })).token;
  } finally {
    await owner.end();
  }
  report(`primary and streaming replica: PostgreSQL ${replicated.version} (pg_basebackup -R -X stream)`);
}, 180_000);

afterAll(async () => {
  for (const served of started.splice(0)) await served.stop().catch(() => undefined);
  await replicated?.destroy();
});

describe('the harness', () => {
  it('without PostgreSQL\'s server binaries, fails and says what to install (it never skips)', async () => {
    await expect(findPostgresBinaries('/nonexistent/postgresql')).rejects.toThrow(
      /found none .*apt-get install --no-install-recommends postgresql/,
    );
  });
});

describe('with the replica streaming', () => {
  let api: Served;

  beforeAll(async () => {
    api = await serve();
    const registered = await graphql(api, REGISTER_SAMPLE, { sampleId: SAMPLE_ID, patientId: PATIENT_ID });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    expect(registered.body.data.registerSample.sample).toEqual({ sampleId: SAMPLE_ID });
  }, 120_000);

  it('the replica is a hot standby, and the read login may ask it how far it has replayed', async () => {
    const login = new pg.Client({ connectionString: replicated.replica.urls.api });
    await login.connect();
    try {
      const result = await login.query('select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn() is not null as replaying, current_user');
      expect(result.rows[0]).toEqual({ standby: true, replaying: true, current_user: 'frontend_api' });
    } finally {
      await login.end();
    }
    expect((await replicated.query('primary', 'select pg_is_in_recovery() as standby')).rows[0].standby).toBe(false);
  });

  it('reads land on the replica: the read pool there is in recovery, the primary sees no read connection', async () => {
    for (let index = 0; index < 5; index += 1) {
      const read = await graphql(api, READ);
      expect(read.status, JSON.stringify(read.body)).toBe(200);
      expect(read.body.data.samples.nodes[0].sampleId).toBe(SAMPLE_ID);
    }
    // the pools the statements went through, and the servers' own view of who is connected
    expect(api.statements.apiReplica).toBeGreaterThan(0);
    expect(api.statements.api).toBe(0);
    // (before the pool's connection runs anything else: pg_stat_activity shows its last statement)
    const onReplica = await readConnections('replica');
    expect(onReplica.connections).toBeGreaterThan(0);
    expect(onReplica.read_views).toBeGreaterThan(0);
    expect(await readConnections('primary')).toEqual({ connections: 0, read_views: 0 });
    expect((await api.pools.apiReplica!.query('select pg_is_in_recovery() as standby')).rows[0].standby).toBe(true);
    expect(await readiness(api)).toMatchObject({ status: 200, body: { status: 'ready', replica: 'available', reads: 'replica' } });
  });

  it('writes land on the primary: the ingest login is connected there only, and the row is there', async () => {
    const registered = await registerRun(api);
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    expect(await runsOnPrimary(registered.runId)).toBe(1);
    const ingestConnections = `select count(*)::int as count from pg_stat_activity where usename = 'etl_worker' and application_name = 'seqmeta-ingest'`;
    expect((await replicated.query('primary', ingestConnections)).rows[0].count).toBeGreaterThan(0);
    expect((await replicated.query('replica', ingestConnections)).rows[0].count).toBe(0);
  });

  it('on a replica that applies each commit 300 ms late, a payload and the next query see their write', async () => {
    // without delay, for comparison
    const prompt: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      const registered = await registerRun(api);
      expect(registered.body.data?.registerRun?.run, JSON.stringify(registered.body)).toEqual(expectedRun(registered.runId));
      prompt.push(registered.milliseconds);
    }

    await replicated.setReplicaApplyDelay(APPLY_DELAY_MILLISECONDS);
    // the delay is real: a commit on the primary is not on the replica right after it
    const owner = new pg.Client({ connectionString: replicated.primary.urls.owner });
    await owner.connect();
    try {
      await createToken(owner, { name: 'read-replica-delay-probe', scopes: 'read' });
    } finally {
      await owner.end();
    }
    const tokenVisible = `select count(*)::int as count from core.api_tokens where name = 'read-replica-delay-probe'`;
    expect((await replicated.query('replica', tokenVisible)).rows[0].count).toBe(0);
    await replicated.waitForReplicaToCatchUp();
    expect((await replicated.query('replica', tokenVisible)).rows[0].count).toBe(1);

    const delayed: number[] = [];
    for (let index = 0; index < 8; index += 1) {
      const registered = await registerRun(api);
      expect(registered.status, JSON.stringify(registered.body)).toBe(200);
      expect(registered.body.data.registerRun.run).toEqual(expectedRun(registered.runId));
      // the read right after, as the pipeline's fetch-inputs would send it
      const read = await graphql(api, RUN, { runId: registered.runId });
      expect(read.body.data.run).toEqual({ runId: registered.runId, status: 'PENDING', files: { totalCount: 1 } });
      delayed.push(registered.milliseconds);
    }
    // it waited for the replay rather than falling back: reads never left the replica
    expect(Math.min(...delayed)).toBeGreaterThanOrEqual(APPLY_DELAY_MILLISECONDS - 50);
    expect(api.statements.api).toBe(0);
    expect(await readiness(api)).toMatchObject({ status: 200, body: { replica: 'available', reads: 'replica' } });
    report(
      `registerRun with its payload: median ${round(median(prompt))} ms on a prompt replica; with recovery_min_apply_delay = ` +
        `${APPLY_DELAY_MILLISECONDS} ms, median ${round(median(delayed))} ms (min ${round(Math.min(...delayed))}, max ` +
        `${round(Math.max(...delayed))}): the replay waited for, every payload with its run, every read after it too`,
    );
  }, 60_000);

  it('the position a mutation waits for is reached when the primary\'s last WAL record ends on a page boundary', async () => {
    // Over a page boundary the insert position (pg_current_wal_insert_lsn()) lies past the next
    // page's header, which the replica's replay position, the boundary, reaches only once more
    // WAL is written: on an idle primary, never. The flush position is the boundary.
    await replicated.setReplicaApplyDelay(0);
    await replicated.waitForReplicaToCatchUp();
    const { insert, flush, pageBytes } = await endPrimaryWalOnPageBoundary();
    expect(flush % pageBytes).toBe(0n);
    expect(insert).toBeGreaterThan(flush);

    const routing = createReadRouting({
      primary: api.pools.api,
      etl: api.pools.etl,
      replica: api.pools.apiReplica,
      fallback: 'primary',
      waitMilliseconds: WAIT_MILLISECONDS,
      logger: createLogger(loadConfig({ LOG_LEVEL: 'silent' })),
    });
    try {
      // what an ingest mutation reads after its commit (plugins/ingestMutations/operations.ts)
      const committedAt = (await api.pools.etl.query<{ lsn: string }>(PRIMARY_POSITION_SQL)).rows[0]!.lsn;
      expect(walPosition(committedAt)).toBe(flush);
      const began = performance.now();
      await routing.readYourWrites!.afterCommit(committedAt);
      // replayed at once, not waited for in vain and then counted as lagging
      expect(performance.now() - began).toBeLessThan(WAIT_MILLISECONDS);
      expect(routing.state()).toEqual({ replica: 'available', reads: 'replica' });
    } finally {
      routing.stop();
    }
  }, 60_000);

  it('the CLI: fetch-inputs right after register-run finds the run on the delayed replica', async () => {
    await replicated.setReplicaApplyDelay(APPLY_DELAY_MILLISECONDS);
    const environment = { SEQMETA_URL: api.url, SEQMETA_TOKEN: token };
    const runId = randomUUID();
    const uri = `s3://syn-lab/replica/${runId}_R1.fastq.gz`;
    const registered = await runCli(
      ['register-run', '--run-id', runId, '--sample-id', SAMPLE_ID, '--assay-type', 'WGS', '--pipeline-name', 'seqmeta-replica', '--input', uri],
      environment,
    );
    expect(registered.exitCode, registered.stderr).toBe(0);
    expect(registered.stdout.trim()).toBe(runId);
    const fetched = await runCli(['fetch-inputs', '--run-id', runId, '--format', 'json'], environment);
    expect(fetched.exitCode, fetched.stderr).toBe(0);
    expect(JSON.parse(fetched.stdout)).toMatchObject({ runId, sampleId: SAMPLE_ID, status: 'PENDING', inputs: [expect.objectContaining({ uri, format: 'FASTQ' })] });
    expect(api.statements.api).toBe(0);
  }, 60_000);
});

describe('a replica further behind than SEQMETA_REPLICA_WAIT_MS', () => {
  let fallingBack: Served;
  let failing: Served;

  beforeAll(async () => {
    await replicated.setReplicaApplyDelay(0);
    await replicated.waitForReplicaToCatchUp();
    [fallingBack, failing] = [await serve(), await serve({ SEQMETA_REPLICA_FALLBACK: 'fail' })];
    await replicated.setReplicaApplyDelay(LAGGING_DELAY_MILLISECONDS);
  }, 120_000);
  afterAll(async () => {
    await replicated.setReplicaApplyDelay(0);
  });

  it('fallback=primary: the payload is read on the primary, and reads return to the replica once it has replayed the write', async () => {
    const registered = await registerRun(fallingBack);
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    expect(registered.body.data.registerRun.run).toEqual(expectedRun(registered.runId));
    expect(registered.milliseconds).toBeGreaterThanOrEqual(WAIT_MILLISECONDS - 50);
    expect(fallingBack.statements.api).toBeGreaterThan(0);
    expect(await readiness(fallingBack)).toMatchObject({ status: 200, body: { status: 'ready', replica: 'lagging', reads: 'primary' } });
    const read = await graphql(fallingBack, RUN, { runId: registered.runId });
    expect(read.body.data.run).toMatchObject({ runId: registered.runId });

    const lagging = performance.now();
    const back = await waitFor(() => readiness(fallingBack), (result) => result.body.reads === 'replica', 30_000);
    expect(back.body).toEqual({ status: 'ready', replica: 'available', reads: 'replica' });
    const onPrimary = fallingBack.statements.api;
    const again = await graphql(fallingBack, RUN, { runId: registered.runId });
    expect(again.body.data.run).toMatchObject({ runId: registered.runId });
    expect(fallingBack.statements.api).toBe(onPrimary);
    report(
      `replica ${LAGGING_DELAY_MILLISECONDS} ms behind, wait ${WAIT_MILLISECONDS} ms, fallback=primary: registerRun answered with its run from ` +
        `the primary in ${round(registered.milliseconds)} ms; reads back on the replica ${round(performance.now() - lagging)} ms later`,
    );
  }, 60_000);

  it('fallback=fail: the call answers 503 saying the write is committed; repeated once the replica has it, the same run', async () => {
    const registered = await registerRun(failing);
    expect(registered.status, JSON.stringify(registered.body)).toBe(503);
    expect(registered.retryAfter).toMatch(/^\d+$/);
    expect(registered.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(registered.body.errors[0].message).toBe(
      `the read replica has not replayed this write within ${WAIT_MILLISECONDS} ms; the write is committed, and repeating the call is safe`,
    );
    expect(await runsOnPrimary(registered.runId)).toBe(1);
    expect(failing.statements.api).toBe(0);

    await replicated.waitForReplicaToCatchUp(30_000);
    const repeated = await registerRun(failing, registered.runId);
    expect(repeated.status, JSON.stringify(repeated.body)).toBe(200);
    expect(repeated.body.data.registerRun.run).toEqual(expectedRun(registered.runId));
    expect(await runsOnPrimary(registered.runId)).toBe(1);
    expect(failing.statements.api).toBe(0);
  }, 60_000);
});

describe('with the replica stopped', () => {
  let fallingBack: Served;
  let failing: Served;

  beforeAll(async () => {
    await replicated.waitForReplicaToCatchUp(30_000);
    [fallingBack, failing] = [await serve(), await serve({ SEQMETA_REPLICA_FALLBACK: 'fail' })];
    for (const served of [fallingBack, failing]) {
      expect((await graphql(served, READ)).status).toBe(200);
    }
  }, 120_000);
  afterAll(async () => {
    await replicated.startReplica();
  });

  it('/readyz says so; reads fall back to the primary or fail fast, as configured; both return when it is back', async () => {
    const stopping = performance.now();
    await replicated.stopReplica();
    const stopped = performance.now();

    // fallback=primary: the first read after the stop already succeeds, on the primary
    const fallbackReads: number[] = [];
    for (let index = 0; index < 10; index += 1) {
      const read = await graphql(fallingBack, READ);
      expect(read.status, JSON.stringify(read.body)).toBe(200);
      expect(read.body.data.samples.nodes[0].sampleId).toBe(SAMPLE_ID);
      fallbackReads.push(read.milliseconds);
    }
    expect(Math.max(...fallbackReads)).toBeLessThan(FAIL_FAST_BOUND_MILLISECONDS);
    expect(fallingBack.statements.api).toBeGreaterThan(0);
    expect((await readConnections('primary')).connections).toBeGreaterThan(0);
    const ready = await readiness(fallingBack);
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', replica: 'unavailable', reads: 'primary' } });
    // a mutation writes on the primary and reads its payload there
    const registered = await registerRun(fallingBack);
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    expect(registered.body.data.registerRun.run).toEqual(expectedRun(registered.runId));

    // fallback=fail: reads and mutations are refused at once, and the mutation wrote nothing
    const refusedReads: number[] = [];
    for (let index = 0; index < 10; index += 1) {
      const read = await graphql(failing, READ);
      expect(read.status, JSON.stringify(read.body)).toBe(503);
      expect(read.retryAfter).toMatch(/^\d+$/);
      expect(read.body.errors[0]).toMatchObject({
        message: 'reads are unavailable: the read replica does not answer; try again shortly',
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
      refusedReads.push(read.milliseconds);
    }
    expect(Math.max(...refusedReads)).toBeLessThan(FAIL_FAST_BOUND_MILLISECONDS);
    const unready = await readiness(failing);
    expect(unready.status).toBe(503);
    expect(unready.body).toEqual({ status: 'unavailable', reason: 'the read replica does not answer', replica: 'unavailable', reads: 'none' });
    const refusedWrite = await registerRun(failing);
    expect(refusedWrite.status, JSON.stringify(refusedWrite.body)).toBe(503);
    expect(refusedWrite.body.errors[0].message).toBe('reads are unavailable: the read replica does not answer; try again shortly; nothing was written');
    expect(await runsOnPrimary(refusedWrite.runId)).toBe(0);
    expect(failing.statements.api).toBe(0);

    // back: the replica catches up on the writes it missed, then reads return to it
    await replicated.startReplica();
    const restarted = performance.now();
    for (const served of [fallingBack, failing]) {
      const back = await waitFor(() => readiness(served), (result) => result.body.reads === 'replica', 30_000);
      expect(back).toMatchObject({ status: 200, body: { status: 'ready', replica: 'available', reads: 'replica' } });
    }
    const backAfter = performance.now() - restarted;
    const onPrimary = fallingBack.statements.api;
    const read = await graphql(fallingBack, RUN, { runId: registered.runId });
    expect(read.body.data.run).toMatchObject({ runId: registered.runId });
    expect(fallingBack.statements.api).toBe(onPrimary);
    const retried = await registerRun(failing, refusedWrite.runId);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.data.registerRun.run).toEqual(expectedRun(refusedWrite.runId));

    report(
      `replica stopped (fast shutdown, ${round(stopped - stopping)} ms): fallback=primary reads answered 200 from the primary, ` +
        `first ${round(fallbackReads[0]!)} ms, median ${round(median(fallbackReads))} ms; fallback=fail reads refused with 503, ` +
        `first ${round(refusedReads[0]!)} ms, median ${round(median(refusedReads))} ms; /readyz ${round(ready.milliseconds)} / ` +
        `${round(unready.milliseconds)} ms; reads back on the replica within ${round(backAfter)} ms of its start`,
    );
  }, 120_000);

  it('a server started while the replica is down serves from the primary with fallback=primary, and refuses to start with fail', async () => {
    await replicated.stopReplica();
    const served = await serve();
    expect(await readiness(served)).toMatchObject({ status: 200, body: { replica: 'unavailable', reads: 'primary' } });
    const read = await graphql(served, READ);
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    await expect(serve({ SEQMETA_REPLICA_FALLBACK: 'fail' })).rejects.toThrow('the read replica does not answer');
    await replicated.startReplica();
  }, 120_000);
});

describe('the replica back after an outage, behind writes another process made meanwhile', () => {
  /** long enough that the replica surely answers again before it applies the write */
  const BACK_DELAY_MILLISECONDS = 10_000;
  let reader: Served;
  let writer: Served;

  beforeAll(async () => {
    await replicated.startReplica();
    await replicated.setReplicaApplyDelay(0);
    await replicated.waitForReplicaToCatchUp(30_000);
    [reader, writer] = [await serve(), await serve()];
  }, 120_000);
  afterAll(async () => {
    await replicated.startReplica();
    await replicated.setReplicaApplyDelay(0);
  });

  it('fallback=primary: the process that did not write keeps its reads on the primary until the replica has the write', async () => {
    // a replica that comes back applies each commit 10 s after it was made
    await replicated.setReplicaApplyDelay(BACK_DELAY_MILLISECONDS);
    await replicated.stopReplica();
    // both processes notice the outage and read on the primary
    for (const served of [reader, writer]) {
      expect((await graphql(served, READ)).status).toBe(200);
      expect(await readiness(served)).toMatchObject({ status: 200, body: { replica: 'unavailable', reads: 'primary' } });
    }
    // the pipeline's write goes through one pod, its next query may land on another
    const registered = await registerRun(writer);
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    expect(registered.body.data.registerRun.run).toEqual(expectedRun(registered.runId));
    const written = performance.now();

    await replicated.startReplica();
    const answering = await waitFor(() => readiness(reader), (result) => result.body.replica !== 'unavailable', 30_000);
    const answeredAfter = performance.now() - written;
    // answering again, but behind the write: reads stay on the primary, where the run is
    expect(answeredAfter).toBeLessThan(BACK_DELAY_MILLISECONDS);
    expect(answering.body).toEqual({ status: 'ready', replica: 'lagging', reads: 'primary' });
    const read = await graphql(reader, RUN, { runId: registered.runId });
    expect(read.body.data.run, JSON.stringify(read.body)).toEqual({ runId: registered.runId, status: 'PENDING', files: { totalCount: 1 } });
    // the replica indeed does not have it yet
    expect((await replicated.query('replica', 'select count(*)::int as count from core.runs where run_id = $1', [registered.runId])).rows[0].count).toBe(0);

    // once it has replayed the write, reads go back to it, and find the run there
    const back = await waitFor(() => readiness(reader), (result) => result.body.reads === 'replica', 30_000);
    expect(back.body).toEqual({ status: 'ready', replica: 'available', reads: 'replica' });
    const onPrimary = reader.statements.api;
    const again = await graphql(reader, RUN, { runId: registered.runId });
    expect(again.body.data.run).toMatchObject({ runId: registered.runId });
    expect(reader.statements.api).toBe(onPrimary);
    report(
      `replica back ${round(answeredAfter)} ms after another process's write, applying it ${BACK_DELAY_MILLISECONDS} ms late: ` +
        `reads stayed on the primary until ${round(performance.now() - written)} ms after the write`,
    );
  }, 90_000);
});

describe('start-up checks who each pool logs in as', () => {
  const refusal = (setting: string, login: string, must: string) =>
    new RegExp(`^Refusing to start:\\n(- .*\\n)*- ${setting} logs in as ${login}; ${must}`);

  it('refuses to start with the owner\'s login for reads, or the read login for ingest, and says which setting', async () => {
    await expect(serve({ SEQMETA_API_DATABASE_URL: replicated.primary.urls.owner })).rejects.toThrow(
      refusal('SEQMETA_API_DATABASE_URL', 'seqmeta_owner', 'the API\'s reads must log in as frontend_api'),
    );
    await expect(serve({ SEQMETA_ETL_DATABASE_URL: replicated.primary.urls.api })).rejects.toThrow(
      refusal('SEQMETA_ETL_DATABASE_URL', 'frontend_api', 'the ingest writes must log in as etl_worker'),
    );
    // a ?user= parameter decides the login, whatever the URL's user name says
    const disguised = new URL(replicated.primary.urls.api);
    disguised.password = new URL(replicated.primary.urls.etl).password;
    disguised.searchParams.set('user', 'etl_worker');
    const error = await serve({ SEQMETA_API_DATABASE_URL: disguised.toString() }).then(
      () => null,
      (caught: Error) => caught,
    );
    expect(error?.message).toMatch(refusal('SEQMETA_API_DATABASE_URL', 'etl_worker', 'the API\'s reads must log in as frontend_api'));
    // never the password
    expect(error?.message).not.toContain(disguised.password);
  }, 60_000);

  it('refuses to start when the read login is a superuser', async () => {
    await replicated.query('primary', 'alter role frontend_api superuser');
    try {
      await expect(serve()).rejects.toThrow(
        /^Refusing to start:\n- SEQMETA_API_DATABASE_URL logs in as frontend_api, which is a superuser: no grant limits it/,
      );
    } finally {
      await replicated.query('primary', 'alter role frontend_api nosuperuser');
      await replicated.waitForReplicaToCatchUp(30_000);
    }
    // and starts once it is not
    const served = await serve();
    expect((await graphql(served, READ)).status).toBe(200);
  }, 60_000);
});
