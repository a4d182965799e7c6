// Two API processes over one database, as two replicas behind a load balancer would run
// (src/main.ts in production mode, each with its own pools and memory): a bounded mixed load
// sent to both — reads while the pipeline's calls arrive twice, once at each process, and a
// logRunOutputs sent a third time — ends with no error and exactly the rows and audit rows of
// one pipeline run, the same answers from both, and a revoked token refused by both within
// the token cache's time (SEQMETA_TOKEN_CACHE_SECONDS, 1 s here). With SEQMETA_TEST_PGBOUNCER=1
// both processes reach the database through PgBouncer.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatKey } from '../../src/phi.ts';
import { createToken, revokeToken } from '../../src/tokens.ts';
import { testPhiKeys } from '../support/apiServer.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/freePort.ts';
import { apiLogins } from '../support/apiLogins.ts';
import { startServerProcess, type ServerProcess } from '../support/serverProcess.ts';
import { inheritedEnvironment } from '../support/inheritedEnvironment.ts';

const projectDirectory = fileURLToPath(new URL('../../', import.meta.url));

const SAMPLES = 4;
const RUNS_PER_SAMPLE = 2;
const BATCHES_PER_RUN = 3;
const FILES_PER_BATCH = 40;
const INPUTS_PER_RUN = 2;
const TOKEN_CACHE_SECONDS = 1;

let database: TestDatabase;
let owner: pg.Client;
let processes: ServerProcess[] = [];
let ingestToken: string;

/** The child's environment: this one's without any seqmeta setting, plus `settings`. */
function childEnvironment(settings: Record<string, string>): Record<string, string> {
  return { ...inheritedEnvironment(), GRAPHILE_ENV: 'production', NODE_ENV: 'production', ...settings };
}

beforeAll(async () => {
  database = await createTestDatabase();
  owner = await database.connect('owner');
  ingestToken = (await createToken(owner, { name: 'two-processes-pipeline', scopes: 'ingest,read' })).token;
  const logins = apiLogins(database.urls);
  const keys = testPhiKeys();
  const settings = {
    SEQMETA_API_DATABASE_URL: logins.api,
    SEQMETA_ETL_DATABASE_URL: logins.etl,
    ...logins.environment,
    SEQMETA_PSEUDONYM_KEY: formatKey(keys.pseudonymKey),
    SEQMETA_ENCRYPTION_KEYS: `1:${formatKey(keys.keyring.keys.get(1)!)}`,
    // the readiness probe of startServerProcess asks without a token
    SEQMETA_ALLOW_ANONYMOUS_READS: 'true',
    SEQMETA_TOKEN_CACHE_SECONDS: String(TOKEN_CACHE_SECONDS),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  processes = await Promise.all(
    ['A', 'B'].map(async (name) => {
      const port = await freePort();
      return startServerProcess({
        name: `API process ${name}`,
        arguments: ['--import', 'tsx', 'src/main.ts'],
        environment: childEnvironment({ ...settings, PORT: String(port) }),
        port,
        workingDirectory: projectDirectory,
      });
    }),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all(processes.map((server) => server.stop()));
  await database?.destroy();
});

type Answer = { status: number; body: { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> } };

async function graphql(server: ServerProcess, query: string, variables: Record<string, unknown> = {}, token: string | null = ingestToken): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** Fails with the process's name and the errors when a call did not succeed. */
function expectSuccess(answer: Answer, what: string): any {
  expect(answer.body.errors, `${what}: ${JSON.stringify(answer.body.errors)}`).toBeUndefined();
  expect(answer.status, what).toBe(200);
  return answer.body.data;
}

const documents = {
  registerSample: 'mutation ($input: RegisterSampleInput!) { registerSample(input: $input) { sample { sampleId patientHash } } }',
  registerRun: 'mutation ($input: RegisterRunInput!) { registerRun(input: $input) { run { runId status files { totalCount } } } }',
  startRun: 'mutation ($input: StartRunInput!) { startRun(input: $input) { run { runId status } } }',
  logRunOutputs: 'mutation ($input: LogRunOutputsInput!) { logRunOutputs(input: $input) { fileCount run { runId } } }',
  finishRun: 'mutation ($input: FinishRunInput!) { finishRun(input: $input) { run { runId status exitCode } } }',
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The same call to both processes at once; both must succeed and answer alike. */
async function toBoth(document: string, input: Record<string, unknown>, what: string): Promise<any> {
  const [a, b] = await Promise.all(processes.map((server) => graphql(server, document, { input })));
  const fromA = expectSuccess(a!, `${what} on process A`);
  const fromB = expectSuccess(b!, `${what} on process B`);
  expect(fromB, `${what}: both processes answer alike`).toEqual(fromA);
  return fromA;
}

const readDocument = `query ($first: Int!) {
  samples(first: $first, filter: { sampleId: { startsWith: "SYN-TWO-" } }) {
    totalCount
    nodes { sampleId runs { totalCount nodes { runId status files { totalCount } } } }
  }
}`;

describe('two API processes over one database', () => {
  it('serve a bounded mixed load sent to both with no error and no lost or duplicated row', async () => {
    const runId = (sample: number, run: number) => `00000000-0000-4000-8000-${String(sample * 100 + run).padStart(12, '0')}`;
    const runIds = Array.from({ length: SAMPLES }, (_, sample) => Array.from({ length: RUNS_PER_SAMPLE }, (_, run) => runId(sample, run))).flat();

    // Readers on both processes for as long as the pipeline's calls go on.
    let ingesting = true;
    const readFailures: string[] = [];
    let reads = 0;
    const reader = async (server: ServerProcess) => {
      while (ingesting) {
        const answer = await graphql(server, readDocument, { first: 20 });
        reads += 1;
        if (answer.status !== 200 || answer.body.errors) readFailures.push(`${server.name}: ${answer.status} ${JSON.stringify(answer.body.errors)}`);
      }
    };
    const readers = [...processes, ...processes].map(reader);

    try {
      // Each sample's calls in the pipeline's order; the samples side by side.
      await Promise.all(
        Array.from({ length: SAMPLES }, async (_, sample) => {
          const sampleId = `SYN-TWO-${sample}`;
          await toBoth(documents.registerSample, { sampleId, patientId: `SYN-PAT-TWO-${sample % 2}`, specimenType: 'TUMOUR', collectionDate: '2024-03-05' }, `registerSample ${sampleId}`);
          for (let run = 0; run < RUNS_PER_SAMPLE; run += 1) {
            const id = runId(sample, run);
            const inputs = Array.from({ length: INPUTS_PER_RUN }, (_, read) => ({
              uri: `s3://synthetic-bucket/two/${sampleId}/${run}_R${read + 1}.fastq.gz`,
              format: 'FASTQ',
              readNumber: read + 1,
            }));
            const registered = await toBoth(documents.registerRun, { runId: id, sampleId, assayType: 'WGS', pipelineName: 'nf-core/sarek', pipelineVersion: '3.5.1', inputs }, `registerRun ${id}`);
            expect(registered.registerRun.run.files.totalCount).toBe(INPUTS_PER_RUN);
            await toBoth(documents.startRun, { runId: id, executor: 'slurm', nextflowSessionId: '0e6a3b52-9c1d-4f7e-8b2a-5d4c3b2a1f0e' }, `startRun ${id}`);
            for (let batch = 0; batch < BATCHES_PER_RUN; batch += 1) {
              const files = Array.from({ length: FILES_PER_BATCH }, (_, file) => {
                const uri = `s3://synthetic-bucket/two/${sampleId}/${run}/batch${batch}/file${file}.cram`;
                return { uri, format: 'CRAM', sizeBytes: String(1_000 + file), sha256: sha256(uri) };
              });
              const input = { runId: id, files };
              const logged = await toBoth(documents.logRunOutputs, input, `logRunOutputs ${id} batch ${batch}`);
              expect(logged.logRunOutputs.fileCount).toBe(FILES_PER_BATCH);
              // the pipeline retries, this time at process A alone (its answer was lost on the way)
              expectSuccess(await graphql(processes[0]!, documents.logRunOutputs, { input }), `retried logRunOutputs ${id} batch ${batch}`);
            }
            const finished = await toBoth(documents.finishRun, { runId: id, status: 'SUCCEEDED', exitCode: 0 }, `finishRun ${id}`);
            expect(finished.finishRun.run.status).toBe('SUCCEEDED');
          }
        }),
      );
    } finally {
      ingesting = false;
      await Promise.all(readers);
    }
    expect(readFailures).toEqual([]);
    expect(reads).toBeGreaterThan(0);

    // The database holds one pipeline run's rows, once each.
    const counted = await owner.query<{ samples: number; patients: number; runs: number; succeeded: number; inputs: number; outputs: number }>(
      `select (select count(*) from core.samples where sample_id like 'SYN-TWO-%')::int as samples,
              (select count(distinct patient_hash) from core.samples where sample_id like 'SYN-TWO-%')::int as patients,
              (select count(*) from core.runs where run_id = any($1::uuid[]))::int as runs,
              (select count(*) from core.runs where run_id = any($1::uuid[]) and status = 'SUCCEEDED')::int as succeeded,
              (select count(*) from core.run_files where run_id = any($1::uuid[]) and role = 'INPUT')::int as inputs,
              (select count(*) from core.run_files where run_id = any($1::uuid[]) and role = 'OUTPUT')::int as outputs`,
      [runIds],
    );
    const runs = SAMPLES * RUNS_PER_SAMPLE;
    expect(counted.rows[0]).toEqual({
      samples: SAMPLES,
      patients: 2,
      runs,
      succeeded: runs,
      inputs: runs * INPUTS_PER_RUN,
      outputs: runs * BATCHES_PER_RUN * FILES_PER_BATCH,
    });

    // One audit row per change, none for the calls that changed nothing (the duplicates, the retries).
    const audited = await owner.query<{ action: string; rows: number; files: number | null }>(
      `select action, count(*)::int as rows, sum((details->>'files')::int)::int as files
       from core.audit_events where principal = 'two-processes-pipeline' group by action order by action`,
    );
    expect(audited.rows).toEqual([
      { action: 'finish_run', rows: runs, files: null },
      { action: 'log_run_outputs', rows: runs * BATCHES_PER_RUN, files: runs * BATCHES_PER_RUN * FILES_PER_BATCH },
      { action: 'register_run', rows: runs, files: null },
      { action: 'register_sample', rows: SAMPLES, files: null },
      { action: 'start_run', rows: runs, files: null },
    ]);

    // Both processes read the same, complete result.
    const [a, b] = await Promise.all(processes.map((server) => graphql(server, readDocument, { first: 20 })));
    const fromA = expectSuccess(a!, 'final read on process A');
    expect(expectSuccess(b!, 'final read on process B')).toEqual(fromA);
    expect(fromA.samples.totalCount).toBe(SAMPLES);
    for (const sample of fromA.samples.nodes) {
      expect(sample.runs.totalCount).toBe(RUNS_PER_SAMPLE);
      for (const run of sample.runs.nodes) {
        expect(run).toMatchObject({ status: 'SUCCEEDED', files: { totalCount: INPUTS_PER_RUN + BATCHES_PER_RUN * FILES_PER_BATCH } });
      }
    }
  }, 120_000);

  it('refuse a revoked token on both processes within the token cache time', async () => {
    const { token } = await createToken(owner, { name: 'two-processes-revoked', scopes: 'read' });
    const query = '{ samples(first: 1) { totalCount } }';
    // each process looks the token up and now trusts it for up to TOKEN_CACHE_SECONDS
    for (const server of processes) expectSuccess(await graphql(server, query, {}, token), `${server.name} before the revocation`);

    await revokeToken(owner, 'two-processes-revoked');
    const revokedAt = Date.now();
    const refusedAfter = await Promise.all(
      processes.map(async (server) => {
        for (;;) {
          const answer = await graphql(server, query, {}, token);
          if (answer.status === 401) {
            expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
            return Date.now() - revokedAt;
          }
          expectSuccess(answer, `${server.name} while it may still trust the token`);
          if (Date.now() - revokedAt > 20_000) throw new Error(`${server.name} still accepts a token revoked 20 s ago`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }),
    );
    // the cache time plus a generous margin for a busy machine: far below the default 30 s
    for (const milliseconds of refusedAfter) expect(milliseconds).toBeLessThan(TOKEN_CACHE_SECONDS * 1_000 + 8_000);
    // and it stays refused on both
    for (const server of processes) expect((await graphql(server, query, {}, token)).status).toBe(401);
  }, 60_000);
});
