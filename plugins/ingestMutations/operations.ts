// The pipeline's writes, each one transaction on the etl_worker pool: checks first, then the
// rows, then an audit row. A retried call with the same input finds its rows already there,
// compares them, and returns the same result without writing anything.
import type pg from 'pg';
import type { IngestRules } from '../../src/config.ts';
import { PRIMARY_POSITION_SQL, type ReadYourWrites } from '../../src/database/readRouting.ts';
import type { Principal } from '../../src/http/requestContext.ts';
import { encryptPatientId, PhiError, pseudonymisePatientId } from '../../src/phi.ts';
import type { PhiKeys } from '../../src/phiKeys.ts';
import { ingestError } from './errors.ts';
import { checkDate, checkFiles, checkText, type CheckedFile, type FileInput } from './rules.ts';


/** Rows an ingest call wrote, by kind; a retried call that writes nothing counts nothing. */
export type IngestRowKind = 'patient' | 'sample' | 'run' | 'input_file' | 'output_file';

/** Told of the rows of each committed transaction (src/metrics.ts counts them). */
export type IngestMetrics = { rowsWritten: (kind: IngestRowKind, count: number) => void };

export type IngestDependencies = {
  pool: pg.Pool;
  rules: IngestRules;
  keys: PhiKeys;
  metrics?: IngestMetrics;
  /** with reads on a streaming replica: wait for it to replay each commit before the payload is read */
  readYourWrites?: ReadYourWrites | null;
};

/** Notes rows written inside a transaction; reported only once it has committed. */
type RowTally = (kind: IngestRowKind, count: number) => void;

/** Who is asking, from the GraphQL context. */
export type IngestRequest = { principal: Principal | null; requestId: string };

const terminalStatuses = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

function requireIngestScope(request: IngestRequest): void {
  if (!request.principal) {
    throw ingestError('FORBIDDEN', 'ingest needs a token with the ingest scope: send Authorization: Bearer <token>');
  }
  if (!request.principal.scopes.has('ingest')) {
    throw ingestError('FORBIDDEN', `token "${request.principal.name}" lacks the ingest scope`);
  }
}

/** Database refusals the caller can act on, as typed errors; anything else stays internal. */
function translateDatabaseError(error: unknown): unknown {
  const { code, message, constraint } = error as { code?: string; message?: string; constraint?: string };
  switch (code) {
    case 'SQ001':
      return ingestError('ILLEGAL_TRANSITION', message ?? 'illegal run status transition');
    case '23503':
      return ingestError('NOT_FOUND', `a referenced row does not exist (${constraint ?? 'foreign key'})`);
    case '23514':
      return ingestError('INVALID_INPUT', `a value breaks the rule ${constraint ?? '(check constraint)'}`);
    case '22P02':
    case '22001':
    case '22003':
    case '22007':
    case '22008':
      // Postgres quotes the offending value, which may be PHI: say only which kind of error
      return ingestError('INVALID_INPUT', `a value has the wrong form (SQLSTATE ${code})`);
    default:
      return error;
  }
}

async function inTransaction<T>(
  { pool, metrics, readYourWrites }: IngestDependencies,
  work: (client: pg.PoolClient, tally: RowTally) => Promise<T>,
): Promise<T> {
  // with the replica down and no fallback, the payload could not be read: refuse before writing
  readYourWrites?.beforeWrite();
  const client = await pool.connect();
  let broken = false;
  const written = new Map<IngestRowKind, number>();
  const tally: RowTally = (kind, count) => {
    if (count > 0) written.set(kind, (written.get(kind) ?? 0) + count);
  };
  let result: T;
  let committedAt: string | null = null;
  try {
    await client.query('begin');
    result = await work(client, tally);
    await client.query('commit');
    for (const [kind, count] of written) metrics?.rowsWritten(kind, count);
    // The primary's WAL flush position after the (synchronous) commit: at or past this
    // transaction's commit record and every earlier one, including those of the rows a retried
    // call found already there, and never past what the replica can replay (PRIMARY_POSITION_SQL).
    if (readYourWrites) {
      committedAt = (await client.query<{ lsn: string }>(PRIMARY_POSITION_SQL)).rows[0]!.lsn;
    }
  } catch (error) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw translateDatabaseError(error);
  } finally {
    // a connection that could not even roll back is discarded, not reused
    client.release(broken);
  }
  // the payload is read through the API's read pool, on the replica: it must have this write
  if (committedAt !== null) await readYourWrites!.afterCommit(committedAt);
  return result;
}

function audit(
  client: pg.PoolClient,
  request: IngestRequest,
  action: string,
  ids: { runId?: string | null; sampleId?: string | null },
  details: Record<string, unknown> = {},
) {
  return client.query(
    `insert into core.audit_events (principal, action, run_id, sample_id, request_id, details)
     values ($1, $2, $3, $4, $5, $6)`,
    [request.principal!.name, action, ids.runId ?? null, ids.sampleId ?? null, request.requestId, details],
  );
}

/**
 * Stores the files not stored yet and says how many were new. Not which: sending back 1,000
 * uris to learn that all were new cost more than the rare retry's comparison of every file.
 */
async function insertFiles(client: pg.PoolClient, runId: string, role: 'INPUT' | 'OUTPUT', files: CheckedFile[]): Promise<number> {
  const result = await client.query(
    `insert into core.run_files (run_id, role, uri, format, size_bytes, md5, sha256, read_number)
     select $1, $2, file.uri, file.format, file.size_bytes, file.md5, file.sha256, file.read_number
     from unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::smallint[])
       as file (uri, format, size_bytes, md5, sha256, read_number)
     on conflict (run_id, role, uri) do nothing`,
    [
      runId,
      role,
      files.map((file) => file.uri),
      files.map((file) => file.format),
      files.map((file) => file.sizeBytes),
      files.map((file) => file.md5),
      files.map((file) => file.sha256),
      files.map((file) => file.readNumber),
    ],
  );
  return result.rowCount ?? 0;
}

/** The stored files of a run with these uris, keyed by uri. */
async function storedFiles(client: pg.PoolClient, runId: string, role: string, uris: string[]) {
  const result = await client.query<CheckedFile & { readNumber: number | null }>(
    `select uri, format, size_bytes::text as "sizeBytes", md5, sha256, read_number as "readNumber"
     from core.run_files where run_id = $1 and role = $2 and uri = any($3::text[])`,
    [runId, role, uris],
  );
  return new Map(result.rows.map((row) => [row.uri, row]));
}

const sameFile = (a: CheckedFile, b: CheckedFile) =>
  a.format === b.format && a.sizeBytes === b.sizeBytes && a.md5 === b.md5 && a.sha256 === b.sha256 && a.readNumber === b.readNumber;

/**
 * Files already stored must be exactly the ones sent again: a changed checksum is a conflict.
 * Files this transaction stored are among `files` too, and equal by construction.
 */
async function requireSameFiles(client: pg.PoolClient, runId: string, role: string, files: CheckedFile[]) {
  const stored = await storedFiles(client, runId, role, files.map((file) => file.uri));
  for (const file of files) {
    const existing = stored.get(file.uri);
    if (existing && !sameFile(existing, file)) {
      throw ingestError(
        'CONFLICT',
        `${file.uri} is already logged for run ${runId} with a different format, size or checksum; files are never overwritten`,
        { uri: file.uri },
      );
    }
  }
}

export type RegisterSampleInput = {
  sampleId: string;
  patientId: string;
  specimenType: string;
  timepoint?: number | null;
  collectionDate?: string | null;
};

export async function registerSample(
  dependencies: IngestDependencies,
  request: IngestRequest,
  input: RegisterSampleInput,
): Promise<{ sampleId: string }> {
  requireIngestScope(request);
  let patientHash: string;
  let encrypted: ReturnType<typeof encryptPatientId>;
  try {
    patientHash = pseudonymisePatientId(dependencies.keys.pseudonymKey, input.patientId);
    encrypted = encryptPatientId(dependencies.keys.keyring, input.patientId, patientHash);
  } catch (error) {
    // PhiError messages never repeat the identifier
    if (error instanceof PhiError) throw ingestError('INVALID_INPUT', `patientId: ${error.message}`);
    throw error;
  }
  const timepoint = input.timepoint ?? 0;
  const collectionDate = checkDate(input.collectionDate, 'collectionDate');
  return inTransaction(dependencies, async (client, tally) => {
    const patient = await client.query(
      `insert into core.patients (patient_hash, patient_id_ciphertext, encryption_key_version)
       values ($1, $2, $3) on conflict (patient_hash) do nothing`,
      [patientHash, encrypted.ciphertext, encrypted.keyVersion],
    );
    const inserted = await client.query(
      `insert into core.samples (sample_id, patient_hash, specimen_type, timepoint, collection_date)
       values ($1, $2, $3, $4, $5) on conflict (sample_id) do nothing`,
      [input.sampleId, patientHash, input.specimenType, timepoint, collectionDate],
    );
    tally('patient', patient.rowCount ?? 0);
    tally('sample', inserted.rowCount ?? 0);
    if (inserted.rowCount === 1) {
      await audit(client, request, 'register_sample', { sampleId: input.sampleId }, { newPatient: patient.rowCount === 1 });
      return { sampleId: input.sampleId };
    }
    const existing = await client.query(
      `select patient_hash = $2 and specimen_type::text = $3 and timepoint = $4
              and collection_date is not distinct from $5::date as same
       from core.samples where sample_id = $1`,
      [input.sampleId, patientHash, input.specimenType, timepoint, collectionDate],
    );
    if (!existing.rows[0]?.same) {
      throw ingestError('CONFLICT', `sample ${input.sampleId} is already registered with different details`);
    }
    return { sampleId: input.sampleId };
  });
}

export type RegisterRunInput = {
  runId?: string | null;
  sampleId: string;
  assayType: string;
  pipelineName: string;
  pipelineVersion?: string | null;
  pipelineRevision?: string | null;
  inputs?: FileInput[] | null;
};

export async function registerRun(
  dependencies: IngestDependencies,
  request: IngestRequest,
  input: RegisterRunInput,
): Promise<{ runId: string }> {
  requireIngestScope(request);
  const inputs = checkFiles(input.inputs ?? [], dependencies.rules, { requireChecksum: false });
  const pipeline = {
    name: checkText(input.pipelineName, 'pipelineName', 200)!,
    version: checkText(input.pipelineVersion, 'pipelineVersion', 100),
    revision: checkText(input.pipelineRevision, 'pipelineRevision', 100),
  };
  return inTransaction(dependencies, async (client, tally) => {
    const sample = await client.query('select 1 from core.samples where sample_id = $1', [input.sampleId]);
    if (sample.rowCount === 0) throw ingestError('NOT_FOUND', `no sample ${input.sampleId}: register it first`);

    const inserted = await client.query<{ run_id: string }>(
      `insert into core.runs (run_id, sample_id, assay_type, pipeline_name, pipeline_version, pipeline_revision)
       values (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6)
       on conflict (run_id) do nothing
       returning run_id`,
      [input.runId ?? null, input.sampleId, input.assayType, pipeline.name, pipeline.version, pipeline.revision],
    );
    const runId = inserted.rows[0]?.run_id;
    if (runId) {
      tally('run', 1);
      tally('input_file', await insertFiles(client, runId, 'INPUT', inputs));
      await audit(client, request, 'register_run', { runId, sampleId: input.sampleId }, { inputs: inputs.length });
      return { runId };
    }

    // The client-chosen run id exists: a retry is fine, anything else is a conflict.
    const existing = await client.query(
      `select sample_id = $2 and assay_type::text = $3 and pipeline_name = $4
              and pipeline_version is not distinct from $5 and pipeline_revision is not distinct from $6 as same,
              (select count(*) from core.run_files where run_id = $1 and role = 'INPUT')::integer as input_count
       from core.runs where run_id = $1`,
      [input.runId, input.sampleId, input.assayType, pipeline.name, pipeline.version, pipeline.revision],
    );
    const row = existing.rows[0];
    if (!row?.same || row.input_count !== inputs.length) {
      throw ingestError('CONFLICT', `run ${input.runId} is already registered with different details`);
    }
    const stored = await storedFiles(client, input.runId!, 'INPUT', inputs.map((file) => file.uri));
    if (stored.size !== inputs.length || inputs.some((file) => !sameFile(stored.get(file.uri)!, file))) {
      throw ingestError('CONFLICT', `run ${input.runId} is already registered with different inputs`);
    }
    return { runId: input.runId! };
  });
}

async function lockRun(client: pg.PoolClient, runId: string) {
  const result = await client.query<{
    status: string;
    executor: string | null;
    nextflow_session_id: string | null;
    exit_code: number | null;
    message: string | null;
    sample_id: string;
  }>(
    `select status::text, executor, nextflow_session_id, exit_code, message, sample_id
     from core.runs where run_id = $1 for update`,
    [runId],
  );
  const run = result.rows[0];
  if (!run) throw ingestError('NOT_FOUND', `no run ${runId}`);
  return run;
}

export type StartRunInput = { runId: string; executor: string; nextflowSessionId?: string | null };

export async function startRun(
  dependencies: IngestDependencies,
  request: IngestRequest,
  input: StartRunInput,
): Promise<{ runId: string }> {
  requireIngestScope(request);
  const executor = checkText(input.executor, 'executor', 100);
  const sessionId = input.nextflowSessionId ?? null;
  return inTransaction(dependencies, async (client) => {
    const run = await lockRun(client, input.runId);
    if (run.status === 'RUNNING' && run.executor === executor && run.nextflow_session_id === sessionId) {
      return { runId: input.runId };
    }
    if (run.status === 'RUNNING') {
      throw ingestError('CONFLICT', `run ${input.runId} was already started by another executor or session`);
    }
    // From any state but PENDING the database refuses the move (ILLEGAL_TRANSITION).
    await client.query(
      `update core.runs set status = 'RUNNING', executor = $2, nextflow_session_id = $3 where run_id = $1`,
      [input.runId, executor, sessionId],
    );
    await audit(client, request, 'start_run', { runId: input.runId, sampleId: run.sample_id });
    return { runId: input.runId };
  });
}

export type LogRunOutputsInput = { runId: string; files: FileInput[] };

export async function logRunOutputs(
  dependencies: IngestDependencies,
  request: IngestRequest,
  input: LogRunOutputsInput,
): Promise<{ runId: string; fileCount: number }> {
  requireIngestScope(request);
  const files = checkFiles(input.files, dependencies.rules, { requireChecksum: true });
  return inTransaction(dependencies, async (client, tally) => {
    // The row lock makes concurrent calls for one run take turns: exactly one set of rows.
    const run = await lockRun(client, input.runId);
    const inserted = await insertFiles(client, input.runId, 'OUTPUT', files);
    // some were stored before (a retried call): every one sent must be the one stored
    if (inserted < files.length) await requireSameFiles(client, input.runId, 'OUTPUT', files);
    tally('output_file', inserted);
    if (inserted > 0) {
      if (run.status !== 'RUNNING') {
        throw ingestError(
          'ILLEGAL_TRANSITION',
          `run ${input.runId} is ${run.status}: new outputs can be logged only while it is RUNNING`,
        );
      }
      await audit(client, request, 'log_run_outputs', { runId: input.runId, sampleId: run.sample_id }, { files: inserted });
    }
    return { runId: input.runId, fileCount: files.length };
  });
}

export type FinishRunInput = { runId: string; status: string; exitCode?: number | null; message?: string | null };

export async function finishRun(
  dependencies: IngestDependencies,
  request: IngestRequest,
  input: FinishRunInput,
): Promise<{ runId: string }> {
  requireIngestScope(request);
  if (!terminalStatuses.includes(input.status)) {
    throw ingestError('INVALID_INPUT', `status must be one of ${terminalStatuses.join(', ')}`);
  }
  const message = checkText(input.message, 'message', 10_000);
  const exitCode = input.exitCode ?? null;
  return inTransaction(dependencies, async (client) => {
    const run = await lockRun(client, input.runId);
    if (run.status === input.status && run.exit_code === exitCode && run.message === message) {
      return { runId: input.runId };
    }
    await client.query('update core.runs set status = $2, exit_code = $3, message = $4 where run_id = $1', [
      input.runId,
      input.status,
      exitCode,
      message,
    ]);
    // the message is free text from the pipeline: it stays in core.runs, out of the audit log
    await audit(client, request, 'finish_run', { runId: input.runId, sampleId: run.sample_id }, { status: input.status, exitCode });
    return { runId: input.runId };
  });
}
