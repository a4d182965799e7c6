import { describe, expect, it } from 'vitest';
import {
  createRandom,
  DemoDataOptionsError,
  generateDemoData,
  MAXIMUM_PATIENTS,
  nameBasedUuid,
  type DemoDataBatch,
  type DemoRun,
  type DemoRunFile,
} from '../../src/demoData/generate.ts';

// The database's own checks (db/migrations/…_create_core_tables.sql), repeated here so a
// generated value the database would refuse fails without a database.
const SAMPLE_ID_CHECK = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const URI_CHECK = /^[a-z][a-z0-9+.-]*:\/\//;
const FORMAT_CHECK = /^[A-Z0-9_]{1,32}$/;
const MD5_CHECK = /^[0-9a-f]{32}$/;
const SHA256_CHECK = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function collect(patients: number, seed: number, batchSize?: number): DemoDataBatch {
  const all: DemoDataBatch = { patients: [], samples: [], runs: [], files: [] };
  for (const batch of generateDemoData({ patients, seed, batchSize })) {
    all.patients.push(...batch.patients);
    all.samples.push(...batch.samples);
    all.runs.push(...batch.runs);
    all.files.push(...batch.files);
  }
  return all;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group) group.push(item);
    else groups.set(name, [item]);
  }
  return groups;
}

const share = <T>(items: T[], predicate: (item: T) => boolean) => items.filter(predicate).length / items.length;

// ~1000 patients: large enough for the ratios to settle within the tolerances below.
const dataset = collect(1000, 42);
const samplesByPatient = groupBy(dataset.samples, (sample) => sample.patientId);
const runsBySample = groupBy(dataset.runs, (run) => run.sampleId);
const filesByRun = groupBy(dataset.files, (file) => file.runId);

describe('determinism', () => {
  it('gives identical data for the same seed', () => {
    expect(collect(300, 7)).toEqual(collect(300, 7));
  });

  it('gives different data for a different seed', () => {
    const first = collect(300, 7);
    const second = collect(300, 8);
    expect(second.runs.map((run) => run.runId)).not.toEqual(first.runs.map((run) => run.runId));
    expect(second.samples.map((sample) => sample.collectionDate)).not.toEqual(first.samples.map((sample) => sample.collectionDate));
  });

  it('does not depend on the batch size', () => {
    expect(collect(250, 3, 7)).toEqual(collect(250, 3, 1000));
  });

  it('yields batches of the requested size, the last one holding the rest', () => {
    const sizes = [...generateDemoData({ patients: 25, seed: 1, batchSize: 10 })].map((batch) => batch.patients.length);
    expect(sizes).toEqual([10, 10, 5]);
  });

  it('streams: the first batch of the largest dataset comes without generating the rest', () => {
    const started = performance.now();
    const first = generateDemoData({ patients: MAXIMUM_PATIENTS, seed: 1, batchSize: 50 }).next();
    expect(first.done).toBe(false);
    expect(first.value?.patients).toHaveLength(50);
    // Generating all ten million patients takes many minutes; one batch takes milliseconds.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('has a seeded PRNG that repeats per seed and stays in [0, 1)', () => {
    const draw = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 1000 }, () => random.next());
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(6)).not.toEqual(draw(5));
    expect(draw(5).every((value) => value >= 0 && value < 1)).toBe(true);
    const mean = draw(9).reduce((sum, value) => sum + value, 0) / 1000;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('derives version 5 UUIDs from names', () => {
    const id = nameBasedUuid('seed 1 run SYN-SMP-00000001/1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nameBasedUuid('seed 1 run SYN-SMP-00000001/1')).toBe(id);
    expect(nameBasedUuid('seed 2 run SYN-SMP-00000001/1')).not.toBe(id);
  });

  it.each([
    [{ patients: 0, seed: 1 }, /patients/],
    [{ patients: 1.5, seed: 1 }, /patients/],
    [{ patients: MAXIMUM_PATIENTS + 1, seed: 1 }, /patients/],
    [{ patients: 10, seed: -1 }, /seed/],
    [{ patients: 10, seed: 2 ** 32 }, /seed/],
    [{ patients: 10, seed: 1, batchSize: 0 }, /batch size/],
  ])('refuses %o', (options, message) => {
    expect(() => generateDemoData(options).next()).toThrow(DemoDataOptionsError);
    expect(() => generateDemoData(options).next()).toThrow(message);
  });
});

describe('identifiers', () => {
  it('numbers patients SYN-PAT-0000001 onwards, the only patient ids in the data', () => {
    expect(dataset.patients[0]?.patientId).toBe('SYN-PAT-0000001');
    expect(dataset.patients.at(-1)?.patientId).toBe('SYN-PAT-0001000');
    expect(dataset.patients.every(({ patientId }) => /^SYN-PAT-\d{7}$/.test(patientId))).toBe(true);
    // Sample, run and file values never carry a patient id, so the views cannot leak one.
    const elsewhere = JSON.stringify([
      dataset.samples.map(({ patientId: _patientId, ...sample }) => sample),
      dataset.runs,
      dataset.files,
    ]);
    expect(elsewhere).not.toContain('SYN-PAT');
    expect(elsewhere).not.toMatch(/PAT-\d/);
  });

  it('gives unique synthetic sample ids the database accepts', () => {
    const ids = dataset.samples.map((sample) => sample.sampleId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^SYN-SMP-\d{8}$/.test(id) && SAMPLE_ID_CHECK.test(id))).toBe(true);
  });

  it('gives unique UUID run ids and nextflow session ids on started runs only', () => {
    const ids = dataset.runs.map((run) => run.runId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => UUID.test(id))).toBe(true);
    for (const run of dataset.runs) {
      if (run.status === 'PENDING') expect(run.nextflowSessionId).toBeNull();
      else expect(run.nextflowSessionId).toMatch(UUID);
    }
  });

  it('never repeats a (run, role, uri), which the database refuses', () => {
    const keys = dataset.files.map((file) => `${file.runId} ${file.role} ${file.uri}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('samples', () => {
  it('has 1 to 5 samples per patient, 3 on average', () => {
    const counts = [...samplesByPatient.values()].map((samples) => samples.length);
    expect(samplesByPatient.size).toBe(1000);
    expect(Math.min(...counts)).toBe(1);
    expect(Math.max(...counts)).toBe(5);
    const mean = dataset.samples.length / 1000;
    expect(mean).toBeGreaterThan(2.85);
    expect(mean).toBeLessThan(3.15);
  });

  it('pairs a tumour with a normal or blood sample at the first visit of every multi-sample patient', () => {
    for (const samples of samplesByPatient.values()) {
      if (samples.length === 1) continue;
      const first = samples.filter((sample) => sample.timepoint === 0);
      expect(first.map((sample) => sample.specimenType)[0]).toBe('TUMOUR');
      expect(['NORMAL', 'BLOOD']).toContain(first[1]?.specimenType);
      expect(first).toHaveLength(2);
      expect(first[0]?.collectionDate).toBe(first[1]?.collectionDate);
    }
  });

  it('follows patients over later visits with later collection dates', () => {
    let longitudinal = 0;
    for (const samples of samplesByPatient.values()) {
      const byVisit = [...samples].sort((left, right) => left.timepoint - right.timepoint);
      const visits = [...new Set(byVisit.map((sample) => sample.timepoint))];
      expect(visits).toEqual(visits.map((_, index) => index));
      if (visits.length > 1) longitudinal += 1;
      for (let index = 1; index < byVisit.length; index += 1) {
        const previous = byVisit[index - 1]!;
        const current = byVisit[index]!;
        if (current.timepoint > previous.timepoint) expect(current.collectionDate > previous.collectionDate).toBe(true);
      }
    }
    expect(longitudinal / 1000).toBeGreaterThan(0.25);
  });

  it('includes cell-free DNA and collects between 2015 and 2025', () => {
    const specimens = new Set(dataset.samples.map((sample) => sample.specimenType));
    expect([...specimens].sort()).toEqual(['BLOOD', 'CELL_FREE_DNA', 'NORMAL', 'SALIVA', 'TUMOUR']);
    expect(share(dataset.samples, (sample) => sample.specimenType === 'CELL_FREE_DNA')).toBeGreaterThan(0.1);
    for (const sample of dataset.samples) {
      expect(sample.collectionDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(sample.collectionDate >= '2015-01-01' && sample.collectionDate <= '2025-12-31').toBe(true);
    }
    const years = new Set(dataset.samples.map((sample) => sample.collectionDate.slice(0, 4)));
    expect(years.size).toBe(11);
  });
});

describe('runs', () => {
  it('has 1 to 6 runs per sample, about 3.3 on average', () => {
    const counts = [...runsBySample.values()].map((runs) => runs.length);
    expect(runsBySample.size).toBe(dataset.samples.length);
    expect(Math.min(...counts)).toBe(1);
    expect(Math.max(...counts)).toBe(6);
    const mean = dataset.runs.length / dataset.samples.length;
    expect(mean).toBeGreaterThan(3.15);
    expect(mean).toBeLessThan(3.5);
  });

  it('spreads runs over every assay, each with its nf-core pipeline, a version and a commit', () => {
    const pipelines: Record<DemoRun['assayType'], string> = {
      WGS: 'nf-core/sarek',
      WES: 'nf-core/sarek',
      TARGETED_PANEL: 'nf-core/sarek',
      RNA_SEQ: 'nf-core/rnaseq',
      METHYLATION: 'nf-core/methylseq',
    };
    for (const [assay, runs] of groupBy(dataset.runs, (run) => run.assayType)) {
      expect(runs.length / dataset.runs.length, assay).toBeGreaterThan(0.05);
      for (const run of runs) {
        expect(run.pipelineName).toBe(pipelines[run.assayType]);
        expect(run.pipelineVersion).toMatch(/^\d+\.\d+\.\d+$/);
        expect(run.pipelineRevision).toMatch(/^[0-9a-f]{40}$/);
      }
    }
    expect(new Set(dataset.runs.map((run) => run.assayType)).size).toBe(5);
    expect(new Set(dataset.runs.map((run) => `${run.pipelineName} ${run.pipelineVersion}`)).size).toBeGreaterThan(6);
  });

  it('ends most runs SUCCEEDED and some FAILED, CANCELLED, RUNNING or PENDING', () => {
    const statusShare = (status: DemoRun['status']) => share(dataset.runs, (run) => run.status === status);
    expect(statusShare('SUCCEEDED')).toBeGreaterThan(0.8);
    expect(statusShare('SUCCEEDED')).toBeLessThan(0.92);
    for (const status of ['FAILED', 'CANCELLED', 'RUNNING', 'PENDING'] as const) {
      expect(statusShare(status), status).toBeGreaterThan(0.005);
      expect(statusShare(status), status).toBeLessThan(0.1);
    }
  });

  it('gives each status the fields that state has', () => {
    for (const run of dataset.runs) {
      const started = run.status !== 'PENDING';
      const finished = started && run.status !== 'RUNNING';
      expect(run.executor !== null, run.status).toBe(started);
      expect(run.exitCode !== null, run.status).toBe(finished);
      if (run.status === 'SUCCEEDED') expect(run.exitCode).toBe(0);
      if (run.status === 'FAILED') {
        expect(run.exitCode).toBeGreaterThan(0);
        expect(run.message).toContain(`exit status (${run.exitCode})`);
      }
      if (!finished) expect(run.message).toBeNull();
    }
  });
});

describe('files', () => {
  it('has about 4 files per run', () => {
    const mean = dataset.files.length / dataset.runs.length;
    expect(mean).toBeGreaterThan(3.7);
    expect(mean).toBeLessThan(4.4);
    expect(filesByRun.size).toBe(dataset.runs.length);
  });

  it('gives every run a pair of FASTQ inputs, read 1 and read 2', () => {
    for (const run of dataset.runs) {
      const inputs = filesByRun.get(run.runId)!.filter((file) => file.role === 'INPUT');
      expect(inputs.map((file) => [file.format, file.readNumber, file.uri])).toEqual([
        ['FASTQ', 1, `s3://seqmeta-demo/fastq/${run.sampleId}/${run.runId}_R1.fastq.gz`],
        ['FASTQ', 2, `s3://seqmeta-demo/fastq/${run.sampleId}/${run.runId}_R2.fastq.gz`],
      ]);
      // mates of one pair are about the same size
      const [first, second] = inputs as [DemoRunFile, DemoRunFile];
      expect(Math.abs(first.sizeBytes - second.sizeBytes) / first.sizeBytes).toBeLessThan(0.1);
    }
  });

  it('publishes an alignment with its index, and sometimes variants, for succeeded runs only', () => {
    for (const run of dataset.runs) {
      const outputs = filesByRun.get(run.runId)!.filter((file) => file.role === 'OUTPUT');
      if (run.status !== 'SUCCEEDED') {
        expect(outputs).toEqual([]);
        continue;
      }
      const formats = outputs.map((file) => file.format);
      expect([['BAM', 'BAI'], ['CRAM', 'CRAI']]).toContainEqual(formats.slice(0, 2));
      expect(formats.slice(2)).toEqual(formats.length === 3 ? ['VCF'] : []);
      if (formats.includes('VCF')) expect(['WGS', 'WES', 'TARGETED_PANEL']).toContain(run.assayType);
      expect(outputs.every((file) => file.readNumber === null)).toBe(true);
    }
    const formats = new Set(dataset.files.map((file) => file.format));
    expect([...formats].sort()).toEqual(['BAI', 'BAM', 'CRAI', 'CRAM', 'FASTQ', 'VCF']);
  });

  it('writes values the database checks accept, and a checksum on every output', () => {
    for (const file of dataset.files) {
      expect(file.format).toMatch(FORMAT_CHECK);
      expect(file.uri).toMatch(URI_CHECK);
      expect(file.uri.length).toBeLessThanOrEqual(2048);
      expect(Number.isSafeInteger(file.sizeBytes) && file.sizeBytes > 0).toBe(true);
      if (file.md5 !== null) expect(file.md5).toMatch(MD5_CHECK);
      if (file.sha256 !== null) expect(file.sha256).toMatch(SHA256_CHECK);
      if (file.role === 'OUTPUT') expect(file.md5 !== null || file.sha256 !== null, file.uri).toBe(true);
    }
    const outputs = dataset.files.filter((file) => file.role === 'OUTPUT');
    expect(share(outputs, (file) => file.md5 !== null && file.sha256 !== null)).toBeGreaterThan(0.15);
    expect(share(outputs, (file) => file.md5 === null)).toBeGreaterThan(0.15);
    expect(share(outputs, (file) => file.sha256 === null)).toBeGreaterThan(0.15);
  });

  it('sizes files realistically for their format and assay', () => {
    const gigabyte = 1024 ** 3;
    const byFormat = groupBy(dataset.files, (file) => file.format);
    const sizes = (format: string) => byFormat.get(format)!.map((file) => file.sizeBytes);
    expect(Math.min(...sizes('FASTQ'))).toBeGreaterThan(0.4 * gigabyte);
    expect(Math.max(...sizes('FASTQ'))).toBeLessThan(50 * gigabyte);
    expect(Math.max(...sizes('BAI'))).toBeLessThan(0.1 * gigabyte);
    expect(Math.max(...sizes('CRAI'))).toBeLessThan(0.01 * gigabyte);
    expect(Math.max(...sizes('VCF'))).toBeLessThan(0.5 * gigabyte);
    const wgsInput = (file: DemoRunFile) =>
      file.format === 'FASTQ' && dataset.runs.find((run) => run.runId === file.runId)!.assayType === 'WGS';
    const panelInput = (file: DemoRunFile) =>
      file.format === 'FASTQ' && dataset.runs.find((run) => run.runId === file.runId)!.assayType === 'TARGETED_PANEL';
    const smallestWgs = Math.min(...dataset.files.slice(0, 4000).filter(wgsInput).map((file) => file.sizeBytes));
    const largestPanel = Math.max(...dataset.files.slice(0, 4000).filter(panelInput).map((file) => file.sizeBytes));
    expect(smallestWgs).toBeGreaterThan(largestPanel);
    // an alignment is smaller than its reads compressed as CRAM, larger as BAM
    for (const run of dataset.runs.slice(0, 500)) {
      const files = filesByRun.get(run.runId)!;
      const reads = files.filter((file) => file.format === 'FASTQ').reduce((sum, file) => sum + file.sizeBytes, 0);
      const bam = files.find((file) => file.format === 'BAM');
      const cram = files.find((file) => file.format === 'CRAM');
      if (bam) expect(bam.sizeBytes).toBeGreaterThan(reads * 0.9);
      if (cram) expect(cram.sizeBytes).toBeLessThan(reads);
    }
  });
});
