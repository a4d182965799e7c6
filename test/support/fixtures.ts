// A small deterministic dataset for the API tests, written the way the pipeline writes: as
// etl_worker, the patient id hashed and encrypted here (src/phi.ts), runs registered PENDING
// and walked through the database's state machine. The rows are also returned, so a test can
// work out what the API should answer without asking the API (or the database) first.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { encryptPatientId, pseudonymisePatientId } from '../../src/phi.ts';
import type { PhiKeys } from '../../src/phiKeys.ts';
import type { TestDatabase } from './database.ts';

export const ASSAY_TYPES = ['WGS', 'WES', 'RNA_SEQ', 'TARGETED_PANEL', 'METHYLATION'] as const;
export const RUN_STATUSES = ['SUCCEEDED', 'FAILED', 'RUNNING', 'PENDING', 'CANCELLED'] as const;
export const SPECIMEN_TYPES = ['TUMOUR', 'NORMAL', 'BLOOD', 'SALIVA', 'CELL_FREE_DNA'] as const;
export const FIRST_COLLECTION_YEAR = 2018;
export const COLLECTION_YEARS = 7;

export type AssayType = (typeof ASSAY_TYPES)[number];
export type RunStatus = (typeof RUN_STATUSES)[number];
export type SpecimenType = (typeof SPECIMEN_TYPES)[number];

export type FixturePatient = { patientId: string; patientHash: string };
export type FixtureSample = {
  sampleId: string;
  patientHash: string;
  specimenType: SpecimenType;
  timepoint: number;
  collectionYear: number;
};
export type FixtureRun = {
  runId: string;
  sampleId: string;
  assayType: AssayType;
  status: RunStatus;
  pipelineName: string;
};
export type FixtureFile = {
  runId: string;
  role: 'INPUT' | 'OUTPUT';
  uri: string;
  format: string;
  sizeBytes: number;
  md5: string | null;
  readNumber: 1 | 2 | null;
};

export type Fixture = {
  /** the keys the patient hashes and ciphertexts were made with */
  keys: PhiKeys;
  patients: FixturePatient[];
  samples: FixtureSample[];
  runs: FixtureRun[];
  files: FixtureFile[];
};

export type FixtureOptions = {
  patients: number;
  /** changes the keys (so the hashes) and the run ids; the shape stays the same */
  seed?: number;
  /** e.g. the test server's keys, for tests that hash a patient id as the API would; derived from the seed if absent */
  keys?: PhiKeys;
};

// Test-only keys, derived from the seed so that every run of the suite sees the same hashes.
function deriveKey(seed: number, purpose: string): Buffer {
  return createHash('sha256').update(`seqmeta test fixture ${seed} ${purpose}`).digest();
}

export function fixtureKeys(seed = 1): PhiKeys {
  return {
    pseudonymKey: deriveKey(seed, 'pseudonym'),
    keyring: { currentVersion: 1, keys: new Map([[1, deriveKey(seed, 'encryption')]]) },
  };
}

// A UUID in the version 5 layout from a name: stable across runs, distinct per name.
function nameBasedUuid(seed: number, name: string): string {
  const hex = createHash('sha1').update(`seqmeta test fixture ${seed} ${name}`).digest('hex');
  const variant = '89ab'[Number.parseInt(hex[16]!, 16) & 0x3];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/**
 * The dataset, without touching a database. Patient n has 1 + (n mod 3) samples; sample s has
 * 1 + (s mod 3) runs whose assay and final status cycle through every value; every run read a
 * pair of FASTQ files and every SUCCEEDED run wrote a BAM with its md5.
 */
export function buildFixture({ patients: patientCount, seed = 1, keys = fixtureKeys(seed) }: FixtureOptions): Fixture {
  const fixture: Fixture = { keys, patients: [], samples: [], runs: [], files: [] };
  let sampleSerial = 0;
  let runSerial = 0;
  for (let patientNumber = 1; patientNumber <= patientCount; patientNumber += 1) {
    const patientId = `SYN-PAT-${pad(patientNumber, 7)}`;
    const patientHash = pseudonymisePatientId(keys.pseudonymKey, patientId);
    fixture.patients.push({ patientId, patientHash });
    const sampleCount = 1 + (patientNumber % 3);
    for (let timepoint = 0; timepoint < sampleCount; timepoint += 1) {
      const sampleId = `SYN-SMP-${pad(sampleSerial, 8)}`;
      fixture.samples.push({
        sampleId,
        patientHash,
        specimenType: SPECIMEN_TYPES[sampleSerial % SPECIMEN_TYPES.length]!,
        timepoint,
        collectionYear: FIRST_COLLECTION_YEAR + (sampleSerial % COLLECTION_YEARS),
      });
      const runCount = 1 + (sampleSerial % 3);
      for (let runIndex = 0; runIndex < runCount; runIndex += 1) {
        const runId = nameBasedUuid(seed, `run ${runSerial}`);
        // 5 assays and 5 statuses: shifting the status by a fifth of the serial makes every
        // (assay, status) pair appear, so grouped aggregates have 25 groups to count.
        const status = RUN_STATUSES[(runSerial + Math.floor(runSerial / ASSAY_TYPES.length)) % RUN_STATUSES.length]!;
        fixture.runs.push({
          runId,
          sampleId,
          assayType: ASSAY_TYPES[runSerial % ASSAY_TYPES.length]!,
          status,
          pipelineName: runSerial % 2 === 0 ? 'nf-core/sarek' : 'nf-core/rnaseq',
        });
        const prefix = `s3://seqmeta-synthetic/${sampleId}/run-${pad(runSerial, 6)}`;
        for (const readNumber of [1, 2] as const) {
          fixture.files.push({
            runId,
            role: 'INPUT',
            uri: `${prefix}/reads_R${readNumber}.fastq.gz`,
            format: 'FASTQ',
            sizeBytes: 1_000_000 + runSerial * 1_000 + readNumber,
            md5: null,
            readNumber,
          });
        }
        if (status === 'SUCCEEDED') {
          fixture.files.push({
            runId,
            role: 'OUTPUT',
            uri: `${prefix}/aligned.bam`,
            format: 'BAM',
            sizeBytes: 5_000_000 + runSerial,
            md5: createHash('md5').update(`${prefix}/aligned.bam`).digest('hex'),
            readNumber: null,
          });
        }
        runSerial += 1;
      }
      sampleSerial += 1;
    }
  }
  return fixture;
}

// Multi-row VALUES with one parameter per cell: the parameters take the columns' types, enums
// included, which etl_worker could not name (it has no USAGE on the api schema).
async function insertRows(client: pg.ClientBase, head: string, rows: unknown[][]): Promise<void> {
  const rowsPerStatement = 500;
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const chunk = rows.slice(start, start + rowsPerStatement);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const placeholders = row.map((value) => {
        values.push(value);
        return `$${values.length}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    await client.query(`${head} values ${tuples.join(', ')}`, values);
  }
}

/** Writes `fixture` into the test database as etl_worker, in one transaction. */
export async function insertFixture(database: TestDatabase, fixture: Fixture): Promise<void> {
  const etl = await database.connect('etl');
  try {
    await etl.query('begin');
    await insertRows(
      etl,
      'insert into core.patients (patient_hash, patient_id_ciphertext, encryption_key_version)',
      fixture.patients.map(({ patientId, patientHash }) => {
        const encrypted = encryptPatientId(fixture.keys.keyring, patientId, patientHash);
        return [patientHash, encrypted.ciphertext, encrypted.keyVersion];
      }),
    );
    await insertRows(
      etl,
      'insert into core.samples (sample_id, patient_hash, specimen_type, timepoint, collection_date)',
      fixture.samples.map((sample) => [
        sample.sampleId,
        sample.patientHash,
        sample.specimenType,
        sample.timepoint,
        `${sample.collectionYear}-06-15`,
      ]),
    );
    await insertRows(
      etl,
      'insert into core.runs (run_id, sample_id, assay_type, pipeline_name)',
      fixture.runs.map((run) => [run.runId, run.sampleId, run.assayType, run.pipelineName]),
    );
    await insertRows(
      etl,
      'insert into core.run_files (run_id, role, uri, format, size_bytes, md5, read_number)',
      fixture.files.map((file) => [file.runId, file.role, file.uri, file.format, file.sizeBytes, file.md5, file.readNumber]),
    );
    // The state machine allows one step at a time: every run that got further than PENDING
    // is started first, then moved to its final state.
    const started = fixture.runs.filter((run) => run.status !== 'PENDING').map((run) => run.runId);
    await etl.query(`update core.runs set status = 'RUNNING', executor = 'local' where run_id = any($1::uuid[])`, [started]);
    for (const status of ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const) {
      const finished = fixture.runs.filter((run) => run.status === status).map((run) => run.runId);
      await etl.query('update core.runs set status = $2, exit_code = $3 where run_id = any($1::uuid[])', [
        finished,
        status,
        status === 'SUCCEEDED' ? 0 : 1,
      ]);
    }
    await etl.query('commit');
  } catch (error) {
    await etl.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await etl.end().catch(() => undefined);
  }
}

/** Builds the dataset for `options` and writes it; returns what was written. */
export async function loadFixture(database: TestDatabase, options: FixtureOptions): Promise<Fixture> {
  const fixture = buildFixture(options);
  await insertFixture(database, fixture);
  return fixture;
}
