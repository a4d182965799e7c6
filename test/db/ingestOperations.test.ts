// The pipeline's writes against a real database, below HTTP: every rule, idempotent retries,
// concurrency, and a connection killed mid-call. The HTTP tests cover the same mutations
// through the API; here the database's side is looked at directly.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { Principal } from '../../src/http/requestContext.ts';
import {
  finishRun,
  logRunOutputs,
  registerRun,
  registerSample,
  startRun,
  type IngestDependencies,
  type IngestRequest,
} from '../../plugins/ingestMutations/operations.ts';
import { testPhiKeys } from '../support/apiServer.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let pool: pg.Pool;
let admin: pg.Client;
let dependencies: IngestDependencies;

const pipeline: Principal = { name: 'pipeline-test', scopes: new Set(['ingest']) };
const request = (): IngestRequest => ({ principal: pipeline, requestId: randomUUID() });
const patientId = 'SYN-PAT-INGEST-0001';
const sha256 = (digit: string) => digit.repeat(64);

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.urls.etl, max: 4 });
  admin = await database.connect('admin');
  dependencies = { pool, rules: loadConfig({}).ingest, keys: testPhiKeys() };
  await registerSample(dependencies, request(), {
    sampleId: 'SYN-SMP-I1',
    patientId,
    specimenType: 'TUMOUR',
    collectionDate: '2024-03-05',
  });
});
afterAll(async () => {
  await pool?.end();
  await database?.destroy();
});

const auditCount = async () => Number((await admin.query('select count(*) from core.audit_events')).rows[0].count);
const fileCount = async (runId: string) =>
  Number((await admin.query('select count(*) from core.run_files where run_id = $1', [runId])).rows[0].count);

async function runningRun(): Promise<string> {
  const { runId } = await registerRun(dependencies, request(), {
    sampleId: 'SYN-SMP-I1',
    assayType: 'WGS',
    pipelineName: 'nf-core/sarek',
    inputs: [{ uri: 's3://bucket/r1.fastq.gz', format: 'FASTQ', readNumber: 1 }],
  });
  await startRun(dependencies, request(), { runId, executor: 'local' });
  return runId;
}

const outputs = (count: number, digit = 'a') =>
  Array.from({ length: count }, (_, index) => ({
    uri: `s3://bucket/out/file-${index}.bam`,
    format: 'BAM',
    sizeBytes: String(1000 + index),
    sha256: sha256(digit),
  }));

describe('the whole flow', () => {
  it('registers, starts, logs outputs and finishes a run, auditing each write', async () => {
    const before = await auditCount();
    const runId = randomUUID();
    await registerRun(dependencies, request(), {
      runId,
      sampleId: 'SYN-SMP-I1',
      assayType: 'RNA_SEQ',
      pipelineName: 'nf-core/rnaseq',
      pipelineVersion: '3.14.0',
      inputs: [
        { uri: 's3://bucket/a_R1.fastq.gz', format: 'fastq', readNumber: 1 },
        { uri: 's3://bucket/a_R2.fastq.gz', format: 'FASTQ', readNumber: 2 },
      ],
    });
    await startRun(dependencies, request(), { runId, executor: 'slurm', nextflowSessionId: randomUUID() });
    const logged = await logRunOutputs(dependencies, request(), { runId, files: outputs(3) });
    expect(logged).toEqual({ runId, fileCount: 3 });
    await finishRun(dependencies, request(), { runId, status: 'SUCCEEDED', exitCode: 0 });

    const run = (await admin.query('select status::text, started_at, finished_at, exit_code from core.runs where run_id = $1', [runId])).rows[0];
    expect(run).toMatchObject({ status: 'SUCCEEDED', exit_code: 0 });
    expect(await fileCount(runId)).toBe(5);
    const actions = (
      await admin.query('select action, principal from core.audit_events where run_id = $1 order by event_id', [runId])
    ).rows;
    expect(actions).toEqual(
      ['register_run', 'start_run', 'log_run_outputs', 'finish_run'].map((action) => ({ action, principal: 'pipeline-test' })),
    );
    expect(await auditCount()).toBe(before + 4);
  });
});

describe('retries are safe', () => {
  it('returns the same result and writes nothing new for every mutation', async () => {
    const runId = randomUUID();
    const registration = {
      runId,
      sampleId: 'SYN-SMP-I1',
      assayType: 'WES',
      pipelineName: 'nf-core/sarek',
      inputs: [{ uri: 'gs://bucket/x.cram', format: 'CRAM', md5: 'b'.repeat(32) }],
    };
    const first = await registerRun(dependencies, request(), registration);
    await startRun(dependencies, request(), { runId, executor: 'k8s' });
    await logRunOutputs(dependencies, request(), { runId, files: outputs(2) });
    await finishRun(dependencies, request(), { runId, status: 'FAILED', exitCode: 1, message: 'process X failed' });
    const audits = await auditCount();
    const files = await fileCount(runId);

    expect(await registerRun(dependencies, request(), registration)).toEqual(first);
    await startRun(dependencies, request(), { runId, executor: 'k8s' }).catch(() => undefined); // terminal now
    expect(await logRunOutputs(dependencies, request(), { runId, files: outputs(2) })).toEqual({ runId, fileCount: 2 });
    expect(await finishRun(dependencies, request(), { runId, status: 'FAILED', exitCode: 1, message: 'process X failed' })).toEqual({ runId });
    await registerSample(dependencies, request(), { sampleId: 'SYN-SMP-I1', patientId, specimenType: 'TUMOUR', collectionDate: '2024-03-05' });

    expect(await auditCount()).toBe(audits);
    expect(await fileCount(runId)).toBe(files);
  });
});

describe('a call that repeats some logged files', () => {
  it('stores only the new ones, and audits their number', async () => {
    const runId = await runningRun();
    await logRunOutputs(dependencies, request(), { runId, files: outputs(3) });
    const before = await fileCount(runId);
    // a pipeline retrying a batch that was half-logged before it lost the connection
    expect(await logRunOutputs(dependencies, request(), { runId, files: outputs(5) })).toEqual({ runId, fileCount: 5 });
    expect(await fileCount(runId)).toBe(before + 2);
    const audits = await admin.query(
      `select details from core.audit_events where run_id = $1 and action = 'log_run_outputs' order by event_id`,
      [runId],
    );
    expect(audits.rows.map((row) => row.details)).toEqual([{ files: 3 }, { files: 2 }]);
  });
});

describe('refusals change nothing', () => {
  const expectRefusal = async (attempt: () => Promise<unknown>, code: string, message?: RegExp) => {
    const before = await admin.query('select (select count(*) from core.run_files) as files, (select count(*) from core.audit_events) as audits, (select count(*) from core.runs) as runs, (select count(*) from core.samples) as samples');
    await expect(attempt()).rejects.toMatchObject({ extensions: { code }, ...(message ? { message: expect.stringMatching(message) } : {}) });
    const after = await admin.query('select (select count(*) from core.run_files) as files, (select count(*) from core.audit_events) as audits, (select count(*) from core.runs) as runs, (select count(*) from core.samples) as samples');
    expect(after.rows).toEqual(before.rows);
  };

  it('FORBIDDEN without a principal or without the ingest scope, before any database work', async () => {
    const untouchable = { ...dependencies, pool: { connect: () => Promise.reject(new Error('database touched')) } as unknown as pg.Pool };
    await expectRefusal(() => registerRun(untouchable, { principal: null, requestId: 'r' }, { sampleId: 'SYN-SMP-I1', assayType: 'WGS', pipelineName: 'p' }), 'FORBIDDEN');
    const reader: Principal = { name: 'reader', scopes: new Set(['read']) };
    await expectRefusal(() => finishRun(untouchable, { principal: reader, requestId: 'r' }, { runId: randomUUID(), status: 'FAILED' }), 'FORBIDDEN', /lacks the ingest scope/);
  });

  it('NOT_FOUND for an unknown sample or run', async () => {
    await expectRefusal(() => registerRun(dependencies, request(), { sampleId: 'SYN-SMP-NOPE', assayType: 'WGS', pipelineName: 'p' }), 'NOT_FOUND', /no sample SYN-SMP-NOPE/);
    await expectRefusal(() => startRun(dependencies, request(), { runId: randomUUID(), executor: 'local' }), 'NOT_FOUND');
    await expectRefusal(() => logRunOutputs(dependencies, request(), { runId: randomUUID(), files: outputs(1) }), 'NOT_FOUND');
    await expectRefusal(() => finishRun(dependencies, request(), { runId: randomUUID(), status: 'SUCCEEDED' }), 'NOT_FOUND');
  });

  it('ILLEGAL_TRANSITION from the database for a move the state machine forbids', async () => {
    const { runId } = await registerRun(dependencies, request(), { sampleId: 'SYN-SMP-I1', assayType: 'WGS', pipelineName: 'p' });
    await expectRefusal(() => finishRun(dependencies, request(), { runId, status: 'SUCCEEDED' }), 'ILLEGAL_TRANSITION', /PENDING -> SUCCEEDED/);
    await startRun(dependencies, request(), { runId, executor: 'local' });
    await finishRun(dependencies, request(), { runId, status: 'CANCELLED' });
    await expectRefusal(() => startRun(dependencies, request(), { runId, executor: 'local2' }), 'ILLEGAL_TRANSITION');
    await expectRefusal(() => finishRun(dependencies, request(), { runId, status: 'SUCCEEDED' }), 'ILLEGAL_TRANSITION');
    await expectRefusal(() => logRunOutputs(dependencies, request(), { runId, files: outputs(1, 'c') }), 'ILLEGAL_TRANSITION', /only while it is RUNNING/);
  });

  it('INVALID_INPUT for bad files, with the offending file named', async () => {
    const runId = await runningRun();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ uri: 'ftp://host/file.bam', format: 'BAM', sha256: sha256('a') }, /scheme "ftp" is not allowed/],
      [{ uri: 'not a uri', format: 'BAM', sha256: sha256('a') }, /not a URI/],
      [{ uri: 's3://b/x.bam', format: 'BAM', md5: 'xyz' }, /md5 must be 32 hex digits/],
      [{ uri: 's3://b/x.bam', format: 'BAM', sha256: 'A'.repeat(63) }, /sha256 must be 64 hex digits/],
      [{ uri: 's3://b/x.bam', format: 'BAM', sha256: sha256('a'), sizeBytes: '-1' }, /sizeBytes must be a whole number/],
      [{ uri: 's3://b/x.bam', format: 'BAM' }, /needs an md5 or a sha256/],
      [{ uri: 's3://b/x.bam', format: 'B A M', sha256: sha256('a') }, /format must be/],
      [{ uri: 's3://b/x.fq', format: 'FASTQ', sha256: sha256('a'), readNumber: 3 }, /readNumber must be 1 or 2/],
    ];
    for (const [file, message] of cases) {
      await expectRefusal(() => logRunOutputs(dependencies, request(), { runId, files: [outputs(1)[0]!, file as never] }), 'INVALID_INPUT', message);
    }
    expect(await fileCount(runId)).toBe(1); // the input only: no output of any refused call
  });

  it('INVALID_INPUT above the per-call cap of files', async () => {
    const runId = await runningRun();
    const capped = { ...dependencies, rules: { ...dependencies.rules, maximumFilesPerCall: 5 } };
    await expectRefusal(() => logRunOutputs(capped, request(), { runId, files: outputs(6) }), 'INVALID_INPUT', /at most 5/);
  });

  it('CONFLICT when a logged uri comes again with a different checksum, and nothing of that call is written', async () => {
    const runId = await runningRun();
    await logRunOutputs(dependencies, request(), { runId, files: outputs(2, 'a') });
    const changed = [...outputs(2, 'a').slice(0, 1), { ...outputs(2, 'a')[1]!, sha256: sha256('f') }, { uri: 's3://bucket/out/new.vcf', format: 'VCF', md5: 'c'.repeat(32) }];
    await expectRefusal(() => logRunOutputs(dependencies, request(), { runId, files: changed }), 'CONFLICT', /file-1\.bam is already logged/);
  });

  it('CONFLICT when a sample id is registered again for another patient', async () => {
    await expectRefusal(
      () => registerSample(dependencies, request(), { sampleId: 'SYN-SMP-I1', patientId: 'SYN-PAT-OTHER-0002', specimenType: 'TUMOUR', collectionDate: '2024-03-05' }),
      'CONFLICT',
    );
    const patients = await admin.query('select count(*) from core.patients');
    expect(Number(patients.rows[0].count)).toBe(1);
  });

  it('INVALID_INPUT for a malformed collection date, without repeating it', async () => {
    const attempt = () => registerSample(dependencies, request(), { sampleId: 'SYN-SMP-I9', patientId, specimenType: 'NORMAL', collectionDate: '2024-02-31' });
    await expectRefusal(attempt, 'INVALID_INPUT', /collectionDate must be a calendar date/);
    await expect(attempt()).rejects.not.toThrow(/2024-02-31/);
  });
});

describe('concurrency and crashes', () => {
  it('two callers logging the same outputs at once leave exactly one set of rows', async () => {
    const runId = await runningRun();
    const files = outputs(50);
    const results = await Promise.all([
      logRunOutputs(dependencies, request(), { runId, files }),
      logRunOutputs(dependencies, request(), { runId, files }),
    ]);
    expect(results).toEqual([{ runId, fileCount: 50 }, { runId, fileCount: 50 }]);
    expect(await fileCount(runId)).toBe(51);
    const audits = await admin.query(`select count(*) from core.audit_events where run_id = $1 and action = 'log_run_outputs'`, [runId]);
    expect(Number(audits.rows[0].count)).toBe(1);
  });

  it('a connection killed in the middle of logRunOutputs leaves no partial rows', async () => {
    const runId = await runningRun();
    // A pool whose connection is terminated by the server right after the file rows went in.
    const crashing = new pg.Pool({ connectionString: database.urls.etl, max: 1 });
    crashing.on('error', () => undefined);
    const originalConnect = crashing.connect.bind(crashing);
    (crashing as { connect: unknown }).connect = async () => {
      const client = await originalConnect();
      client.on('error', () => undefined);
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as { query: unknown }).query = async (...args: unknown[]) => {
        const text = String((args[0] as { text?: string }).text ?? args[0]);
        if (text.includes('insert into core.audit_events')) {
          const pid = (await query('select pg_backend_pid() as pid')) as { rows: Array<{ pid: number }> };
          await admin.query('select pg_terminate_backend($1)', [pid.rows[0]!.pid]);
        }
        return query(...args);
      };
      return client;
    };
    await expect(logRunOutputs({ ...dependencies, pool: crashing }, request(), { runId, files: outputs(20) })).rejects.toThrow();
    await crashing.end();
    expect(await fileCount(runId)).toBe(1);
  });
});

describe('PHI', () => {
  it('stores the patient id only as ciphertext: no column of any core table holds the plaintext', async () => {
    const tables = await admin.query(`select table_name from information_schema.tables where table_schema = 'core'`);
    for (const { table_name } of tables.rows) {
      const dump = await admin.query(`select string_agg(t::text, ' ') as text from core.${table_name} t`);
      expect(String(dump.rows[0].text ?? ''), table_name).not.toContain(patientId);
    }
  });
});
