import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secureDatabase } from '../../src/database/bootstrap.ts';
import { generateDemoData, type DemoDataBatch } from '../../src/demoData/generate.ts';
import {
  DEMO_DATA_ACTION,
  DEMO_DATA_PRINCIPAL,
  DemoDataError,
  loadDemoData,
  loadDemoDataOnce,
  type DemoDataSummary,
} from '../../src/demoData/load.ts';
import { decryptPatientId, pseudonymisePatientId } from '../../src/phi.ts';
import type { PhiKeys } from '../../src/phiKeys.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { adminQuery } from '../support/server.ts';

// Synthetic keys: bytes 0x40..0x5f and 0x60..0x7f.
const keys: PhiKeys = {
  pseudonymKey: Buffer.from(Array.from({ length: 32 }, (_, index) => 0x40 + index)),
  keyring: { currentVersion: 1, keys: new Map([[1, Buffer.from(Array.from({ length: 32 }, (_, index) => 0x60 + index))]]) },
};

const PATIENTS = 300;
const SEED = 11;
// five transactions, spread over the loader's two connections
const BATCH_SIZE = 64;

function generated(patients: number, seed: number): DemoDataBatch {
  const all: DemoDataBatch = { patients: [], samples: [], runs: [], files: [] };
  for (const batch of generateDemoData({ patients, seed })) {
    all.patients.push(...batch.patients);
    all.samples.push(...batch.samples);
    all.runs.push(...batch.runs);
    all.files.push(...batch.files);
  }
  return all;
}

const tally = (values: string[]) =>
  Object.fromEntries([...new Set(values)].sort().map((value) => [value, values.filter((other) => other === value).length]));

async function countRows(client: pg.Client, relations: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const relation of relations) {
    const result = await client.query(`select count(*)::integer as count from ${relation}`);
    counts[relation] = result.rows[0].count;
  }
  return counts;
}

const CORE_TABLES = ['core.patients', 'core.samples', 'core.runs', 'core.run_files', 'core.audit_events'];
const VIEWS = ['api.frontend_patients', 'api.frontend_samples', 'api.frontend_runs', 'api.frontend_run_files'];

let database: TestDatabase;
let admin: pg.Client;
let api: pg.Client;
let summary: DemoDataSummary;
const expected = generated(PATIENTS, SEED);

beforeAll(async () => {
  database = await createTestDatabase();
  summary = await loadDemoData({ etlUrl: database.urls.etl, keys, patients: PATIENTS, seed: SEED, batchSize: BATCH_SIZE });
  admin = await database.connect('admin');
  api = await database.connect('api');
});
afterAll(() => database?.destroy());

describe('loadDemoData', () => {
  it('reports the counts it generated', () => {
    expect(summary).toMatchObject({
      patients: PATIENTS,
      samples: expected.samples.length,
      runs: expected.runs.length,
      files: expected.files.length,
      seed: SEED,
    });
    expect(summary.seconds).toBeGreaterThan(0);
    const rows = PATIENTS + expected.samples.length + expected.runs.length + expected.files.length;
    expect(summary.rowsPerSecond).toBe(Math.round(rows / summary.seconds));
  });

  it('writes every generated row to the tables and shows it in the views', async () => {
    const tableCounts = await countRows(admin, CORE_TABLES.slice(0, 4));
    expect(Object.values(tableCounts)).toEqual([PATIENTS, expected.samples.length, expected.runs.length, expected.files.length]);
    const viewCounts = await countRows(api, VIEWS);
    expect(Object.values(viewCounts)).toEqual(Object.values(tableCounts));
  });

  it('stores the samples as generated, with the patient pseudonym', async () => {
    const { rows } = await admin.query(
      `select sample_id, patient_hash, specimen_type::text, timepoint, to_char(collection_date, 'YYYY-MM-DD') as collection_date
       from core.samples order by sample_id`,
    );
    expect(rows).toEqual(
      expected.samples.map((sample) => ({
        sample_id: sample.sampleId,
        patient_hash: pseudonymisePatientId(keys.pseudonymKey, sample.patientId),
        specimen_type: sample.specimenType,
        timepoint: sample.timepoint,
        collection_date: sample.collectionDate,
      })),
    );
  });

  it('stores the runs as generated, each in its final status', async () => {
    const { rows } = await admin.query(
      `select run_id, sample_id, assay_type::text, status::text, pipeline_name, pipeline_version, pipeline_revision,
              executor, nextflow_session_id, exit_code, message
       from core.runs order by run_id`,
    );
    const byId = (left: { runId: string }, right: { runId: string }) => (left.runId < right.runId ? -1 : 1);
    expect(rows).toEqual(
      [...expected.runs].sort(byId).map((run) => ({
        run_id: run.runId,
        sample_id: run.sampleId,
        assay_type: run.assayType,
        status: run.status,
        pipeline_name: run.pipelineName,
        pipeline_version: run.pipelineVersion,
        pipeline_revision: run.pipelineRevision,
        executor: run.executor,
        nextflow_session_id: run.nextflowSessionId,
        exit_code: run.exitCode,
        message: run.message,
      })),
    );
  });

  it('shows the generated status and assay distribution through frontend_runs', async () => {
    const { rows } = await api.query(
      'select status::text, assay_type::text, count(*)::integer as count from api.frontend_runs group by 1, 2',
    );
    const fromView = (column: 'status' | 'assay_type') =>
      Object.fromEntries(
        [...new Set(rows.map((row) => row[column] as string))]
          .sort()
          .map((value) => [value, rows.filter((row) => row[column] === value).reduce((sum, row) => sum + row.count, 0)]),
      );
    expect(fromView('status')).toEqual(tally(expected.runs.map((run) => run.status)));
    expect(fromView('assay_type')).toEqual(tally(expected.runs.map((run) => run.assayType)));
    expect(Object.keys(fromView('status'))).toEqual(['CANCELLED', 'FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED']);
  });

  it('lets the state machine stamp consistent run times', async () => {
    const { rows } = await admin.query(`
      select status::text,
             count(*)::integer as runs,
             count(*) filter (where started_at is null)::integer as not_started,
             count(*) filter (where finished_at is null)::integer as not_finished,
             count(*) filter (where started_at < created_at or finished_at < started_at)::integer as out_of_order
      from core.runs group by status order by status`);
    for (const row of rows) {
      expect(row.out_of_order, row.status).toBe(0);
      expect(row.not_started, row.status).toBe(row.status === 'PENDING' ? row.runs : 0);
      expect(row.not_finished, row.status).toBe(['PENDING', 'RUNNING'].includes(row.status) ? row.runs : 0);
    }
    const durations = await api.query(`
      select count(*) filter (where duration_seconds is not null)::integer as with_duration,
             count(*) filter (where duration_seconds < 0)::integer as negative
      from api.frontend_runs`);
    const finished = expected.runs.filter((run) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)).length;
    expect(durations.rows[0]).toEqual({ with_duration: finished, negative: 0 });
  });

  it('stores the files as generated', async () => {
    const { rows } = await admin.query(
      `select run_id, role::text, uri, format, size_bytes::float8 as size_bytes, md5, sha256, read_number
       from core.run_files order by run_id, role, uri`,
    );
    const key = (file: { runId: string; role: string; uri: string }) => `${file.runId} ${file.role} ${file.uri}`;
    const sorted = [...expected.files].sort((left, right) => (key(left) < key(right) ? -1 : 1));
    expect(rows).toEqual(
      sorted.map((file) => ({
        run_id: file.runId,
        role: file.role,
        uri: file.uri,
        format: file.format,
        size_bytes: file.sizeBytes,
        md5: file.md5,
        sha256: file.sha256,
        read_number: file.readNumber,
      })),
    );
  });

  it('leaves one audit event per transaction, with counts and no ids', async () => {
    const { rows } = await admin.query(
      'select principal, action, run_id, sample_id, request_id, details from core.audit_events order by event_id',
    );
    expect(rows).toHaveLength(Math.ceil(PATIENTS / BATCH_SIZE));
    for (const row of rows) {
      expect(row).toMatchObject({ principal: DEMO_DATA_PRINCIPAL, action: DEMO_DATA_ACTION, run_id: null, sample_id: null });
      expect(row.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(rows.map((row) => row.request_id)).size).toBe(rows.length);
    const total = (name: string) => rows.reduce((sum, row) => sum + row.details[name], 0);
    expect([total('patients'), total('samples'), total('runs'), total('files')]).toEqual([
      PATIENTS,
      expected.samples.length,
      expected.runs.length,
      expected.files.length,
    ]);
    // batches load concurrently, so their audit rows come in any order
    expect(rows.map((row) => row.details.patients).sort((first, second) => second - first)).toEqual([64, 64, 64, 64, 44]);
  });
});

describe('patient identifiers', () => {
  it('stores no plaintext patient id in any column of any core table', async () => {
    const tables = await admin.query(
      `select table_name from information_schema.tables where table_schema = 'core' and table_type = 'BASE TABLE' order by 1`,
    );
    // every table of core, including any added after this test was written
    expect(tables.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['audit_events', 'patients', 'run_files', 'runs', 'samples']),
    );
    for (const { table_name: table } of tables.rows) {
      // the row as text shows bytea as hex, so the bytes are searched separately below
      const { rows } = await admin.query(`select count(*)::integer as count from core.${table} as row where row::text like '%PAT-%'`);
      expect(rows[0].count, table).toBe(0);
    }
    const plaintextBytes = await admin.query(
      `select count(*)::integer as count from core.patients where position(convert_to('PAT-', 'UTF8') in patient_id_ciphertext) > 0`,
    );
    expect(plaintextBytes.rows[0].count).toBe(0);
  });

  it('keeps ciphertext that decrypts, with the patient hash as associated data, to the synthetic ids', async () => {
    const { rows } = await admin.query<{ patient_hash: string; patient_id_ciphertext: Buffer; encryption_key_version: number }>(
      'select patient_hash, patient_id_ciphertext, encryption_key_version from core.patients',
    );
    const decrypted = rows.map((row) => {
      const patientId = decryptPatientId(keys.keyring, row.patient_id_ciphertext, row.encryption_key_version, row.patient_hash);
      expect(pseudonymisePatientId(keys.pseudonymKey, patientId)).toBe(row.patient_hash);
      return patientId;
    });
    expect(decrypted.sort()).toEqual(expected.patients.map((patient) => patient.patientId));
    expect(rows.every((row) => row.encryption_key_version === 1)).toBe(true);
  });
});

describe('refusals', () => {
  it('writes nothing more into a database that already has patients', async () => {
    const before = await countRows(admin, CORE_TABLES);
    await expect(loadDemoDataOnce({ etlUrl: database.urls.etl, keys, patients: 10, seed: 99 })).resolves.toEqual({
      loaded: false,
      existingPatients: PATIENTS,
    });
    await expect(loadDemoData({ etlUrl: database.urls.etl, keys, patients: 10, seed: 99 })).rejects.toThrow(DemoDataError);
    await expect(loadDemoData({ etlUrl: database.urls.etl, keys, patients: 10, seed: 99 })).rejects.toThrow(
      /already holds rows with the demo data's ids/,
    );
    expect(await countRows(admin, CORE_TABLES)).toEqual(before);
  });

  it('refuses to load as any login but etl_worker', async () => {
    const before = await countRows(admin, CORE_TABLES);
    for (const url of [database.urls.owner, database.urls.admin]) {
      await expect(loadDemoData({ etlUrl: url, keys, patients: 5, seed: 1 })).rejects.toThrow(/written as etl_worker/);
    }
    expect(await countRows(admin, CORE_TABLES)).toEqual(before);
  });

  it('says to migrate first when the database has no seqmeta tables', async () => {
    const name = `${database.name}_empty`;
    await adminQuery(database.server.adminUrl, `create database ${name} owner seqmeta_owner`);
    try {
      await secureDatabase(database.server.adminUrl, name, 'seqmeta_owner');
      const url = new URL(database.urls.etl);
      url.pathname = `/${name}`;
      await expect(loadDemoDataOnce({ etlUrl: url.toString(), keys, patients: 5, seed: 1 })).rejects.toThrow(
        /no seqmeta tables yet: run `seqmeta db setup`/,
      );
    } finally {
      await adminQuery(database.server.adminUrl, `drop database if exists ${name} with (force)`);
    }
  });
});

describe('loadDemoDataOnce', () => {
  let fresh: TestDatabase;
  beforeAll(async () => {
    fresh = await createTestDatabase();
  });
  afterAll(() => fresh?.destroy());

  it('loads into an empty database, and writes nothing the second time', async () => {
    const first = await loadDemoDataOnce({ etlUrl: fresh.urls.etl, keys, patients: 20, seed: 5 });
    expect(first).toMatchObject({ loaded: true, summary: { patients: 20 } });
    const owner = await fresh.connect('owner');
    const afterFirst = await countRows(owner, CORE_TABLES);
    expect(afterFirst['core.patients']).toBe(20);
    expect(afterFirst['core.audit_events']).toBe(1);

    const second = await loadDemoDataOnce({ etlUrl: fresh.urls.etl, keys, patients: 20, seed: 5 });
    expect(second).toEqual({ loaded: false, existingPatients: 20 });
    expect(await countRows(owner, CORE_TABLES)).toEqual(afterFirst);
  });

  it('lets concurrent callers load once between them', async () => {
    const other = await createTestDatabase();
    try {
      const results = await Promise.all(
        [1, 2, 3].map(() => loadDemoDataOnce({ etlUrl: other.urls.etl, keys, patients: 30, seed: 6 })),
      );
      expect(results.filter((result) => result.loaded)).toHaveLength(1);
      const owner = await other.connect('owner');
      expect((await countRows(owner, ['core.patients']))['core.patients']).toBe(30);
    } finally {
      await other.destroy();
    }
  });
});
