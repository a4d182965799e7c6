// Loads the synthetic dataset the way the pipeline's writes arrive: as etl_worker (never the
// owner), patient ids hashed and encrypted in this process, runs registered PENDING and
// walked through the database's state machine, one audit row per transaction. Each batch
// of patients is one transaction of set-based statements (unnest over arrays), so S scale
// (10k patients, ~540k rows) loads in seconds rather than the minutes row-by-row would take.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { explainConnectionError } from '../database/connectionErrors.ts';
import { encryptPatientId, pseudonymisePatientId } from '../phi.ts';
import type { PhiKeys } from '../phiKeys.ts';
import {
  DEFAULT_BATCH_SIZE,
  generateDemoData,
  validateDemoDataOptions,
  type DemoDataBatch,
  type RunStatus,
} from './generate.ts';

export type DemoDataCounts = { patients: number; samples: number; runs: number; files: number };

export type DemoDataProgress = {
  /** rows committed so far */
  loaded: DemoDataCounts;
  /** patients asked for */
  totalPatients: number;
  elapsedSeconds: number;
};

export type LoadDemoDataOptions = {
  /** the etl_worker login */
  etlUrl: string;
  keys: PhiKeys;
  patients: number;
  seed: number;
  /** patients per transaction */
  batchSize?: number;
  /** connections loading batches side by side */
  connections?: number;
  onProgress?: (progress: DemoDataProgress) => void;
};

export type DemoDataSummary = DemoDataCounts & {
  seed: number;
  seconds: number;
  /** all rows written (patients, samples, runs, files) per second of wall time */
  rowsPerSecond: number;
};

export type LoadOnceResult =
  | { loaded: true; summary: DemoDataSummary }
  | { loaded: false; existingPatients: number };

export const DEMO_DATA_PRINCIPAL = 'demo-data';
const INGEST_ROLE = 'etl_worker';
export const DEMO_DATA_ACTION = 'load_demo_data';

/** Something the user can fix: the database is not empty, not migrated, or refuses the login. */
export class DemoDataError extends Error {
  override name = 'DemoDataError';
}

// One transaction per generated batch: 100 patients, about 5,400 rows. Larger batches
// saved nothing measurable and cost the generator more garbage collection.
const LOAD_BATCH_SIZE = DEFAULT_BATCH_SIZE;

// The database does most of the work (foreign key checks, index entries, the state machine
// trigger); a second connection lets it use a second core while this process generates.
const LOAD_CONNECTIONS = 2;

// Serialises concurrent "load once" callers (two `npm start`s on one database): the check
// and the load happen under this session-level advisory lock.
const LOAD_ONCE_LOCK = 0x5e9_de30;

/** Loads `patients` synthetic patients with their samples, runs and files. */
export async function loadDemoData(options: LoadDemoDataOptions): Promise<DemoDataSummary> {
  validateDemoDataOptions({ patients: options.patients, seed: options.seed, batchSize: options.batchSize ?? LOAD_BATCH_SIZE });
  const client = await connect(options.etlUrl);
  try {
    return await loadWith(client, options);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Loads the demo data unless the database already has patients (demo data or real): what
 * `npm start` calls at every start. Writes nothing when there are patients.
 */
export async function loadDemoDataOnce(options: LoadDemoDataOptions): Promise<LoadOnceResult> {
  validateDemoDataOptions({ patients: options.patients, seed: options.seed, batchSize: options.batchSize ?? LOAD_BATCH_SIZE });
  const client = await connect(options.etlUrl);
  try {
    await client.query('select pg_advisory_lock($1)', [LOAD_ONCE_LOCK]);
    const existingPatients = await countPatients(client);
    if (existingPatients > 0) return { loaded: false, existingPatients };
    return { loaded: true, summary: await loadWith(client, options) };
  } finally {
    // Ending the session releases the advisory lock as well.
    await client.end().catch(() => undefined);
  }
}

/** Patients in the database, as etl_worker sees them. */
export async function countPatients(client: pg.ClientBase): Promise<number> {
  try {
    const result = await client.query<{ count: string }>('select count(*) from core.patients');
    return Number(result.rows[0]!.count);
  } catch (error) {
    throw explainDatabaseError(error);
  }
}

async function connect(etlUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: etlUrl, application_name: 'seqmeta demo-data' });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw explainConnectionError(error, etlUrl, 'SEQMETA_ETL_DATABASE_URL');
  }
  // Demo data goes in the way the pipeline's data does; the owner could write what
  // etl_worker may not (and would own nothing it should not), so it is refused here.
  const { rows } = await client.query<{ user: string }>('select current_user as user');
  if (rows[0]?.user !== INGEST_ROLE) {
    await client.end().catch(() => undefined);
    throw new DemoDataError(
      `demo data is written as ${INGEST_ROLE}, but SEQMETA_ETL_DATABASE_URL logs in as "${rows[0]?.user}"; nothing was written`,
    );
  }
  return client;
}

async function loadWith(firstClient: pg.Client, options: LoadDemoDataOptions): Promise<DemoDataSummary> {
  const started = performance.now();
  const loaded: DemoDataCounts = { patients: 0, samples: 0, runs: 0, files: 0 };
  const batchSize = options.batchSize ?? LOAD_BATCH_SIZE;
  const batches = generateDemoData({ patients: options.patients, seed: options.seed, batchSize });
  const batchCount = Math.ceil(options.patients / batchSize);
  const connections = Math.max(1, Math.min(options.connections ?? LOAD_CONNECTIONS, batchCount));
  const clients = [firstClient];
  try {
    while (clients.length < connections) clients.push(await connect(options.etlUrl));
    let failed = false;
    // Each connection takes the next batch as soon as its previous one commits: the
    // generator is synchronous, so two workers never take the same batch.
    const work = async (client: pg.Client) => {
      while (!failed) {
        const next = batches.next();
        if (next.done) return;
        const batch = next.value;
        try {
          await insertBatch(client, batch, options.keys);
        } catch (error) {
          failed = true;
          throw error;
        }
        loaded.patients += batch.patients.length;
        loaded.samples += batch.samples.length;
        loaded.runs += batch.runs.length;
        loaded.files += batch.files.length;
        options.onProgress?.({
          loaded: { ...loaded },
          totalPatients: options.patients,
          elapsedSeconds: (performance.now() - started) / 1000,
        });
      }
    };
    const outcomes = await Promise.allSettled(clients.map(work));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    await Promise.all(clients.slice(1).map((client) => client.end().catch(() => undefined)));
  }
  const seconds = (performance.now() - started) / 1000;
  const rows = loaded.patients + loaded.samples + loaded.runs + loaded.files;
  return { ...loaded, seed: options.seed, seconds, rowsPerSecond: Math.round(rows / seconds) };
}

// Each statement sends one array per column; unnest turns them back into rows, so a batch
// costs the same few round trips whatever its size.
//
// Enum columns arrive as text and are matched against the enum's values, which are reached
// through the table's row type: etl_worker has USAGE on the api enums but not on the api
// schema, so it cannot write their names (`$1::api.assay_type[]` is refused). A misspelt
// value would drop its row, so every statement's row count is checked.
const enumValues = (table: string, column: string) => `unnest(enum_range((null::core.${table}).${column}))`;

const INSERT_PATIENTS = `
  insert into core.patients (patient_hash, patient_id_ciphertext, encryption_key_version)
  select * from unnest($1::text[], $2::bytea[], $3::smallint[])`;

const INSERT_SAMPLES = `
  insert into core.samples (sample_id, patient_hash, specimen_type, timepoint, collection_date)
  select sample.sample_id, sample.patient_hash, specimen_type.value, sample.timepoint, sample.collection_date
  from unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::date[])
         as sample (sample_id, patient_hash, specimen_type, timepoint, collection_date)
  join ${enumValues('samples', 'specimen_type')} as specimen_type (value) on specimen_type.value::text = sample.specimen_type`;

const INSERT_RUNS = `
  insert into core.runs (run_id, sample_id, assay_type, pipeline_name, pipeline_version, pipeline_revision)
  select run.run_id, run.sample_id, assay_type.value, run.pipeline_name, run.pipeline_version, run.pipeline_revision
  from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         as run (run_id, sample_id, assay_type, pipeline_name, pipeline_version, pipeline_revision)
  join ${enumValues('runs', 'assay_type')} as assay_type (value) on assay_type.value::text = run.assay_type`;

const INSERT_FILES = `
  insert into core.run_files (run_id, role, uri, format, size_bytes, md5, sha256, read_number)
  select file.run_id, role.value, file.uri, file.format, file.size_bytes, file.md5, file.sha256, file.read_number
  from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::smallint[])
         as file (run_id, role, uri, format, size_bytes, md5, sha256, read_number)
  join ${enumValues('run_files', 'role')} as role (value) on role.value::text = file.role`;

// The state machine allows one step at a time, so runs that got further are moved twice:
// PENDING -> RUNNING (the trigger stamps started_at), then RUNNING -> their final state
// (it stamps finished_at).
const START_RUNS = `
  update core.runs
  set status = 'RUNNING', executor = started.executor, nextflow_session_id = started.nextflow_session_id
  from unnest($1::uuid[], $2::text[], $3::uuid[]) as started (run_id, executor, nextflow_session_id)
  where runs.run_id = started.run_id`;

const FINISH_RUNS = `
  update core.runs
  set status = status.value, exit_code = finished.exit_code, message = finished.message
  from unnest($1::uuid[], $2::text[], $3::integer[], $4::text[]) as finished (run_id, status, exit_code, message)
  join ${enumValues('runs', 'status')} as status (value) on status.value::text = finished.status
  where runs.run_id = finished.run_id`;

const INSERT_AUDIT_EVENT = `
  insert into core.audit_events (principal, action, request_id, details)
  values ($1, $2, $3, $4)`;

const TERMINAL: ReadonlySet<RunStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

async function insertBatch(client: pg.Client, batch: DemoDataBatch, keys: PhiKeys): Promise<void> {
  const hashes = new Map<string, string>();
  const patientHashes: string[] = [];
  const ciphertexts: Buffer[] = [];
  const keyVersions: number[] = [];
  for (const { patientId } of batch.patients) {
    const patientHash = pseudonymisePatientId(keys.pseudonymKey, patientId);
    const encrypted = encryptPatientId(keys.keyring, patientId, patientHash);
    hashes.set(patientId, patientHash);
    patientHashes.push(patientHash);
    ciphertexts.push(encrypted.ciphertext);
    keyVersions.push(encrypted.keyVersion);
  }

  const { samples, runs, files } = batch;
  const started = runs.filter((run) => run.status !== 'PENDING');
  const finished = started.filter((run) => TERMINAL.has(run.status));
  const details = { patients: batch.patients.length, samples: samples.length, runs: runs.length, files: files.length };

  try {
    await client.query('begin');
    // A batch updates a few thousand runs of a table that keeps growing. Costed for disk,
    // the planner preferred scanning all of core.runs to probing its primary key, which
    // made every batch slower than the one before; the batch's rows are only ever reached
    // through indexes.
    await client.query('set local enable_seqscan = off');
    await write(client, INSERT_PATIENTS, batch.patients.length, [patientHashes, ciphertexts, keyVersions]);
    await write(client, INSERT_SAMPLES, samples.length, [
      samples.map((sample) => sample.sampleId),
      samples.map((sample) => hashes.get(sample.patientId)),
      samples.map((sample) => sample.specimenType),
      samples.map((sample) => sample.timepoint),
      samples.map((sample) => sample.collectionDate),
    ]);
    await write(client, INSERT_RUNS, runs.length, [
      runs.map((run) => run.runId),
      runs.map((run) => run.sampleId),
      runs.map((run) => run.assayType),
      runs.map((run) => run.pipelineName),
      runs.map((run) => run.pipelineVersion),
      runs.map((run) => run.pipelineRevision),
    ]);
    await write(client, INSERT_FILES, files.length, [
      files.map((file) => file.runId),
      files.map((file) => file.role),
      files.map((file) => file.uri),
      files.map((file) => file.format),
      files.map((file) => file.sizeBytes),
      files.map((file) => file.md5),
      files.map((file) => file.sha256),
      files.map((file) => file.readNumber),
    ]);
    await write(client, START_RUNS, started.length, [
      started.map((run) => run.runId),
      started.map((run) => run.executor),
      started.map((run) => run.nextflowSessionId),
    ]);
    await write(client, FINISH_RUNS, finished.length, [
      finished.map((run) => run.runId),
      finished.map((run) => run.status),
      finished.map((run) => run.exitCode),
      finished.map((run) => run.message),
    ]);
    await write(client, INSERT_AUDIT_EVENT, 1, [DEMO_DATA_PRINCIPAL, DEMO_DATA_ACTION, randomUUID(), details]);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw explainDatabaseError(error);
  }
}

async function write(client: pg.Client, sql: string, expectedRows: number, values: unknown[]): Promise<void> {
  if (expectedRows === 0) return;
  const result = await client.query(sql, values);
  if (result.rowCount !== expectedRows) {
    throw new Error(`demo data: a statement wrote ${result.rowCount} rows instead of ${expectedRows}:${sql}`);
  }
}

/** Turns what a user can fix into a DemoDataError; anything else is passed on as it is. */
function explainDatabaseError(error: unknown): unknown {
  const { code, table } = error as { code?: string; table?: string };
  if (code === '42P01' || code === '3F000') {
    return new DemoDataError('the database has no seqmeta tables yet: run `seqmeta db setup` (or `seqmeta db migrate`) first', {
      cause: error,
    });
  }
  if (code === '42501') {
    return new DemoDataError(
      `the login may not write demo data (${(error as Error).message}); demo data is written as etl_worker: check SEQMETA_ETL_DATABASE_URL`,
      { cause: error },
    );
  }
  if (code === '23505') {
    return new DemoDataError(
      `the database already holds rows with the demo data's ids (in core.${table ?? 'patients'}); ` +
        'demo data is only loaded into a database without patients, and this batch was rolled back',
      { cause: error },
    );
  }
  return error;
}
