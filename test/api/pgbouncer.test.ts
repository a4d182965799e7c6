// PgBouncer in transaction pooling mode between the API and Postgres (Debian's `pgbouncer`
// package; without it this file fails and says how to install it). Each of a client's
// transactions may run on another server connection, so nothing may live on a connection: the
// read pool's statement_timeout goes into each read's transaction and statements are sent
// unnamed (src/pools.ts), with SEQMETA_TRANSACTION_POOLING=true. This file always runs through a
// PgBouncer of its own; SEQMETA_TEST_PGBOUNCER=1 sends the whole API suite through one (.ci/run).
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createToken } from '../../src/tokens.ts';
import { startTestApi, type TestApi } from '../support/apiServer.ts';
import { loadFixture, type Fixture } from '../support/fixtures.ts';
import { startPgbouncer, throughPgbouncer, type RunningPgbouncer } from '../support/pgbouncer.ts';

let pgbouncer: RunningPgbouncer;

beforeAll(async () => {
  pgbouncer = await startPgbouncer(inject('testServer').adminUrl);
});
afterAll(() => pgbouncer?.stop());

it('an API not told of the pooler does not start behind it: PgBouncer refuses statement_timeout as a startup parameter', async () => {
  await expect(startTestApi({ SEQMETA_TRANSACTION_POOLING: 'false' }, { pgbouncer })).rejects.toThrow(/unsupported startup parameter: statement_timeout/);
});

describe('with SEQMETA_TRANSACTION_POOLING=true, many reads at once', () => {
  let api: TestApi;
  let fixture: Fixture;

  beforeAll(async () => {
    // a statement timeout that 60 reads in flight on a loaded 2-core machine stay well within
    api = await startTestApi({ SEQMETA_API_STATEMENT_TIMEOUT_MS: '2000' }, { pgbouncer });
    fixture = await loadFixture(api.database, { patients: 12 });
  });
  afterAll(() => api?.stop());

  it('answers many different reads at once, over few server connections, without a prepared-statement error', async () => {
    expect(api.config.server).toMatchObject({ transactionPooling: true, preparedStatements: false });
    // distinct documents, many in flight: named statements would meet server connections that
    // never prepared them ("prepared statement … does not exist") or already had ("… already exists")
    const reads = fixture.samples.flatMap((sample, index) => [
      api.graphql('query ($id: String!) { sample(sampleId: $id) { sampleId runs { totalCount } } }', { id: sample.sampleId }),
      api.graphql(`{ samples(first: ${index + 1}) { totalCount nodes { sampleId patient { patientHash } } } }`),
      api.graphql(`{ runs(first: ${index + 1}, filter: { status: { equalTo: SUCCEEDED } }) { totalCount nodes { runId files { totalCount } } } }`),
    ]);
    const answers = await Promise.all(reads);
    expect(answers.length).toBeGreaterThan(60);
    for (const answer of answers) {
      expect(answer.body.errors, JSON.stringify(answer.body.errors)).toBeUndefined();
      expect(answer.status).toBe(200);
    }
    expect(answers[0]!.body.data.sample.sampleId).toBe(fixture.samples[0]!.sampleId);
  });
});

describe('with SEQMETA_TRANSACTION_POOLING=true, over one server connection per login', () => {
  const timeoutMilliseconds = 400;
  // default_pool_size = 1: every transaction of a login, the API's and any other client's,
  // runs on the same server connection, so whatever the API left on it shows to the next
  let singleConnection: RunningPgbouncer;
  let api: TestApi;
  let fixture: Fixture;
  let owner: pg.Client;
  let token: string;

  beforeAll(async () => {
    singleConnection = await startPgbouncer(inject('testServer').adminUrl, { poolSize: 1 });
    api = await startTestApi({ SEQMETA_API_STATEMENT_TIMEOUT_MS: String(timeoutMilliseconds) }, { pgbouncer: singleConnection });
    fixture = await loadFixture(api.database, { patients: 12 });
    owner = await api.database.connect('owner');
    token = (await createToken(owner, { name: 'pgbouncer-pipeline', scopes: 'ingest,read' })).token;
  });
  afterAll(async () => {
    await api?.stop();
    await singleConnection?.stop();
  });

  it('cancels a read that runs past the statement timeout, set in the read\'s own transaction', async () => {
    await owner.query('begin');
    await owner.query('lock table core.samples in access exclusive mode');
    try {
      const started = performance.now();
      const response = await api.graphql('{ samples(first: 5) { totalCount nodes { sampleId } } }');
      const elapsed = performance.now() - started;
      expect(response.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'QUERY_TIMEOUT' } })]);
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMilliseconds - 50);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      await owner.query('rollback');
    }
    const after = await api.graphql('{ samples(first: 5) { nodes { sampleId } } }');
    expect(after.body.errors).toBeUndefined();
    expect(after.body.data.samples.nodes).toHaveLength(5);
  });

  it('leaves no statement_timeout behind on the server connection other clients get next', async () => {
    // the API's reads have just run on PgBouncer's one server connection for frontend_api; a
    // session-level SET would now show in another client's transactions there
    const other = new pg.Client({ connectionString: throughPgbouncer(api.database.urls.api, singleConnection) });
    await other.connect();
    try {
      const seen = new Set<string>();
      for (let attempt = 0; attempt < 10; attempt += 1) {
        await Promise.all([api.graphql('{ samples(first: 1) { totalCount } }'), api.graphql('{ runs(first: 1) { totalCount } }')]);
        seen.add((await other.query<{ statement_timeout: string }>('show statement_timeout')).rows[0]!.statement_timeout);
      }
      expect([...seen]).toEqual(['0']);
    } finally {
      await other.end();
    }
  });

  it('runs the pipeline\'s calls through it: each a transaction of its own, a retry changing nothing', async () => {
    const authorization = { authorization: `Bearer ${token}` };
    const sampleId = fixture.samples[0]!.sampleId;
    const runId = '00000000-0000-4000-8000-0000000b0a7c';
    const call = async (document: string, input: Record<string, unknown>) => {
      const answer = await api.graphql(document, { input }, authorization);
      expect(answer.body.errors, JSON.stringify(answer.body.errors)).toBeUndefined();
      return answer.body.data;
    };
    await call('mutation ($input: RegisterRunInput!) { registerRun(input: $input) { run { runId } } }', {
      runId,
      sampleId,
      assayType: 'WGS',
      pipelineName: 'nf-core/sarek',
      inputs: [{ uri: 's3://synthetic-bucket/pgbouncer/in.fastq.gz', format: 'FASTQ', readNumber: 1 }],
    });
    await call('mutation ($input: StartRunInput!) { startRun(input: $input) { run { status } } }', { runId, executor: 'local' });
    const files = Array.from({ length: 20 }, (_, index) => {
      const uri = `s3://synthetic-bucket/pgbouncer/out${index}.bam`;
      return { uri, format: 'BAM', sizeBytes: String(index + 1), sha256: createHash('sha256').update(uri).digest('hex') };
    });
    const logged = await Promise.all([1, 2].map(() => call('mutation ($input: LogRunOutputsInput!) { logRunOutputs(input: $input) { fileCount } }', { runId, files })));
    expect(logged.map((data) => data.logRunOutputs.fileCount)).toEqual([20, 20]);
    const finished = await call('mutation ($input: FinishRunInput!) { finishRun(input: $input) { run { status files { totalCount } } } }', { runId, status: 'SUCCEEDED', exitCode: 0 });
    expect(finished.finishRun.run).toEqual({ status: 'SUCCEEDED', files: { totalCount: 21 } });
    const audit = await owner.query<{ action: string }>('select action from core.audit_events where run_id = $1 order by event_id', [runId]);
    expect(audit.rows.map((row) => row.action)).toEqual(['register_run', 'start_run', 'log_run_outputs', 'finish_run']);
  });
});
