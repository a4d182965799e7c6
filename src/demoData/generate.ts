// Synthetic sequencing metadata for the demo, the tests and the benchmarks: patients with
// tumour/normal and longitudinal samples, runs across assays and pipelines, paired-end
// FASTQ inputs and checksummed outputs. Everything follows from the seed (a small PRNG,
// never Math.random), so a fixture or a benchmark dataset can be rebuilt exactly. The
// dataset is yielded in batches of patients, so any scale streams in constant memory.
//
// Patient ids (SYN-PAT-…) are the only patient identifiers in the data and are obviously
// synthetic. Sample ids carry a serial of their own, not the patient's number, so the
// de-identified views cannot be joined back to a patient id through them.
import { hash } from 'node:crypto';

export type SpecimenType = 'TUMOUR' | 'NORMAL' | 'BLOOD' | 'SALIVA' | 'CELL_FREE_DNA';
export type AssayType = 'WGS' | 'WES' | 'RNA_SEQ' | 'TARGETED_PANEL' | 'METHYLATION';
export type RunStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type FileRole = 'INPUT' | 'OUTPUT';

export type DemoPatient = {
  /** plaintext synthetic id, e.g. SYN-PAT-0000001; the loader hashes and encrypts it */
  patientId: string;
};

export type DemoSample = {
  sampleId: string;
  patientId: string;
  specimenType: SpecimenType;
  /** visit number; 0 for the first collection (the tumour/normal pair) */
  timepoint: number;
  /** YYYY-MM-DD, between 2015-01-01 and 2025-12-31, later for later timepoints */
  collectionDate: string;
};

export type DemoRun = {
  runId: string;
  sampleId: string;
  assayType: AssayType;
  pipelineName: string;
  pipelineVersion: string;
  pipelineRevision: string;
  /** the state the run ends in; the loader walks it there through the state machine */
  status: RunStatus;
  /** set once the run has started (RUNNING or later) */
  executor: string | null;
  nextflowSessionId: string | null;
  /** set once the run has finished */
  exitCode: number | null;
  message: string | null;
};

export type DemoRunFile = {
  runId: string;
  role: FileRole;
  uri: string;
  format: string;
  sizeBytes: number;
  md5: string | null;
  sha256: string | null;
  /** 1 or 2 for the mates of paired-end FASTQ, null otherwise */
  readNumber: 1 | 2 | null;
};

export type DemoDataBatch = {
  patients: DemoPatient[];
  samples: DemoSample[];
  runs: DemoRun[];
  files: DemoRunFile[];
};

export type DemoDataOptions = {
  patients: number;
  seed: number;
  /** patients per batch; the data does not depend on it */
  batchSize?: number;
};

// Small enough that a batch dies young in Node's garbage collector: batches of 500 patients
// (~20k files) outlived the young generation and made generation twice as slow.
export const DEFAULT_BATCH_SIZE = 100;
/** patient ids have seven digits */
export const MAXIMUM_PATIENTS = 9_999_999;
export const MAXIMUM_SEED = 0xffff_ffff;

export class DemoDataOptionsError extends Error {
  override name = 'DemoDataOptionsError';
}

// --- a seeded PRNG -------------------------------------------------------------------

export type Random = {
  /** uniform in [0, 1) */
  next: () => number;
  /** uniform 32-bit unsigned integer */
  uint32: () => number;
  /** uniform integer in [minimum, maximum] */
  integer: (minimum: number, maximum: number) => number;
  /** uniform real in [minimum, maximum) */
  between: (minimum: number, maximum: number) => number;
  chance: (probability: number) => boolean;
  weighted: <T>(choices: ReadonlyArray<readonly [T, number]>) => T;
  /** `length` lowercase hex digits, at most 128 */
  hex: (length: number) => string;
};

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 96 bits of state plus a
 * 32-bit counter that guarantees a period of at least 2^32, fast in 32-bit integer arithmetic.
 * The state is expanded from the seed with splitmix32 so that nearby seeds diverge at once.
 */
export function createRandom(seed: number): Random {
  const hexScratch = Buffer.alloc(64);
  let mix = seed >>> 0;
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let counter = 1;
  const uint32 = (): number => {
    const result = (((a + b) | 0) + counter) | 0;
    counter = (counter + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + result) | 0;
    return result >>> 0;
  };
  // The first outputs still echo the seed; discarding a few is the customary warm-up.
  for (let round = 0; round < 12; round += 1) uint32();

  const next = () => uint32() / 0x1_0000_0000;
  return {
    next,
    uint32,
    integer: (minimum, maximum) => minimum + Math.floor(next() * (maximum - minimum + 1)),
    between: (minimum, maximum) => minimum + next() * (maximum - minimum),
    chance: (probability) => next() < probability,
    weighted: (choices) => {
      let total = 0;
      for (let index = 0; index < choices.length; index += 1) total += choices[index]![1];
      let point = next() * total;
      for (let index = 0; index < choices.length - 1; index += 1) {
        point -= choices[index]![1];
        if (point < 0) return choices[index]![0];
      }
      return choices[choices.length - 1]![0];
    },
    // Written through one reused buffer: building the text piece by piece left millions of
    // intermediate strings for the garbage collector at scale S.
    hex: (length) => {
      const words = Math.ceil(length / 8);
      for (let index = 0; index < words; index += 1) hexScratch.writeUInt32BE(uint32(), index * 4);
      return hexScratch.toString('hex', 0, Math.ceil(length / 2)).slice(0, length);
    },
  };
}

// --- deterministic UUIDs ----------------------------------------------------------------

// Name-based UUIDs in the version 5 layout (SHA-1 of a prefix of our own and the name):
// distinct names give distinct ids, and the same seed gives the same ids on every machine,
// yet they are spread like the random ids the pipeline sends, so indexes see realistic keys.
const UUID_NAME_PREFIX = 'seqmeta-demo-data/';
const UUID_VARIANT = ['8', '9', 'a', 'b'] as const;

export function nameBasedUuid(name: string): string {
  const hex = hash('sha1', UUID_NAME_PREFIX + name, 'hex');
  const variant = UUID_VARIANT[Number.parseInt(hex[16]!, 16) & 0x3]!;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

// --- the shapes ---------------------------------------------------------------------------

/** how many samples a patient has (mean 3.0) */
const SAMPLES_PER_PATIENT: ReadonlyArray<readonly [number, number]> = [
  [1, 0.1],
  [2, 0.25],
  [3, 0.3],
  [4, 0.25],
  [5, 0.1],
];

/** how many runs a sample has (mean 3.34: 30k samples give about 100k runs) */
const RUNS_PER_SAMPLE: ReadonlyArray<readonly [number, number]> = [
  [1, 0.1],
  [2, 0.2],
  [3, 0.27],
  [4, 0.2],
  [5, 0.15],
  [6, 0.08],
];

/** the state each run ends in */
const FINAL_STATUS: ReadonlyArray<readonly [RunStatus, number]> = [
  ['SUCCEEDED', 0.86],
  ['FAILED', 0.06],
  ['CANCELLED', 0.03],
  ['RUNNING', 0.03],
  ['PENDING', 0.02],
];

/** which assays are run on which material */
const ASSAYS_BY_SPECIMEN: Record<SpecimenType, ReadonlyArray<readonly [AssayType, number]>> = {
  TUMOUR: [
    ['WGS', 30],
    ['WES', 25],
    ['RNA_SEQ', 20],
    ['TARGETED_PANEL', 15],
    ['METHYLATION', 10],
  ],
  NORMAL: [
    ['WGS', 45],
    ['WES', 40],
    ['TARGETED_PANEL', 15],
  ],
  BLOOD: [
    ['WGS', 45],
    ['WES', 40],
    ['TARGETED_PANEL', 15],
  ],
  SALIVA: [
    ['WGS', 40],
    ['WES', 40],
    ['TARGETED_PANEL', 20],
  ],
  CELL_FREE_DNA: [
    ['TARGETED_PANEL', 50],
    ['WGS', 20],
    ['METHYLATION', 30],
  ],
};

type Pipeline = {
  name: string;
  /** release and how often it is used */
  versions: ReadonlyArray<readonly [string, number]>;
  /** Nextflow processes a failed run may name in its error message */
  processes: readonly string[];
};

const SAREK: Pipeline = {
  name: 'nf-core/sarek',
  versions: [
    ['3.4.0', 2],
    ['3.4.4', 3],
    ['3.5.1', 5],
  ],
  processes: [
    'NFCORE_SAREK:SAREK:FASTQ_ALIGN_BWAMEM_MEM2_DRAGMAP_SENTIEON:BWAMEM1_MEM',
    'NFCORE_SAREK:SAREK:BAM_MARKDUPLICATES:GATK4_MARKDUPLICATES',
    'NFCORE_SAREK:SAREK:BAM_VARIANT_CALLING_SOMATIC_ALL:MUTECT2',
  ],
};
const RNASEQ: Pipeline = {
  name: 'nf-core/rnaseq',
  versions: [
    ['3.14.0', 4],
    ['3.16.1', 3],
    ['3.18.0', 3],
  ],
  processes: ['NFCORE_RNASEQ:RNASEQ:ALIGN_STAR:STAR_ALIGN', 'NFCORE_RNASEQ:RNASEQ:QUANTIFY_SALMON:SALMON_QUANT'],
};
const METHYLSEQ: Pipeline = {
  name: 'nf-core/methylseq',
  versions: [
    ['2.6.0', 4],
    ['2.7.1', 4],
    ['3.0.0', 2],
  ],
  processes: [
    'NFCORE_METHYLSEQ:METHYLSEQ:BISMARK:BISMARK_ALIGN',
    'NFCORE_METHYLSEQ:METHYLSEQ:BISMARK:BISMARK_METHYLATIONEXTRACTOR',
  ],
};

const PIPELINE_BY_ASSAY: Record<AssayType, Pipeline> = {
  WGS: SAREK,
  WES: SAREK,
  TARGETED_PANEL: SAREK,
  RNA_SEQ: RNASEQ,
  METHYLATION: METHYLSEQ,
};

// A git commit id per release, like Nextflow's workflow.commitId. Derived, not the real
// commits: anyone comparing them with GitHub would find they do not exist.
const PIPELINE_REVISIONS: ReadonlyMap<string, string> = new Map(
  [SAREK, RNASEQ, METHYLSEQ].flatMap((pipeline) =>
    pipeline.versions.map(([version]) => {
      const release = `${pipeline.name}@${version}`;
      return [release, hash('sha1', `seqmeta-demo-revision:${release}`, 'hex')] as const;
    }),
  ),
);

const EXECUTORS: ReadonlyArray<readonly [string, number]> = [
  ['awsbatch', 4],
  ['slurm', 3],
  ['k8s', 2],
  ['local', 1],
];

/** compressed size of one FASTQ mate, in gigabytes */
const FASTQ_GIGABYTES: Record<AssayType, readonly [number, number]> = {
  WGS: [25, 45],
  WES: [3, 8],
  TARGETED_PANEL: [0.5, 3],
  RNA_SEQ: [2, 5],
  METHYLATION: [15, 40],
};

/** compressed VCF size, in megabytes */
const VCF_MEGABYTES: Record<AssayType, readonly [number, number]> = {
  WGS: [80, 250],
  WES: [5, 30],
  TARGETED_PANEL: [0.05, 2],
  RNA_SEQ: [1, 10],
  METHYLATION: [1, 10],
};

const GIGABYTE = 1024 ** 3;
const MEGABYTE = 1024 ** 2;

const FIRST_DAY = Date.UTC(2015, 0, 1);
const LAST_DAY = Date.UTC(2025, 11, 31);
const DAY = 86_400_000;
const FOLLOW_UP_DAYS = [60, 240] as const;

const isoDate = (time: number): string => new Date(time).toISOString().slice(0, 10);

// --- the generator ------------------------------------------------------------------------

export function validateDemoDataOptions(options: DemoDataOptions): Required<DemoDataOptions> {
  const { patients, seed, batchSize = DEFAULT_BATCH_SIZE } = options;
  if (!Number.isInteger(patients) || patients < 1 || patients > MAXIMUM_PATIENTS) {
    throw new DemoDataOptionsError(`the number of patients must be a whole number from 1 to ${MAXIMUM_PATIENTS}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > MAXIMUM_SEED) {
    throw new DemoDataOptionsError(`the seed must be a whole number from 0 to ${MAXIMUM_SEED}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new DemoDataOptionsError('the batch size must be a positive whole number');
  }
  return { patients, seed, batchSize };
}

/**
 * Yields the dataset `batchSize` patients at a time, each patient with all its samples,
 * runs and files. Lazy: only the batch being consumed is in memory. The same seed and
 * number of patients give the same data whatever the batch size.
 */
export function* generateDemoData(options: DemoDataOptions): Generator<DemoDataBatch, void, undefined> {
  const { patients, seed, batchSize } = validateDemoDataOptions(options);
  const random = createRandom(seed);
  const counters = { sample: 0 };
  for (let first = 1; first <= patients; first += batchSize) {
    const batch: DemoDataBatch = { patients: [], samples: [], runs: [], files: [] };
    const last = Math.min(patients, first + batchSize - 1);
    for (let number = first; number <= last; number += 1) {
      addPatient(batch, number, random, seed, counters);
    }
    yield batch;
  }
}

export function syntheticPatientId(number: number): string {
  return `SYN-PAT-${String(number).padStart(7, '0')}`;
}

export function syntheticSampleId(serial: number): string {
  return `SYN-SMP-${String(serial).padStart(8, '0')}`;
}

function addPatient(batch: DemoDataBatch, number: number, random: Random, seed: number, counters: { sample: number }): void {
  const patientId = syntheticPatientId(number);
  batch.patients.push({ patientId });

  const sampleCount = random.weighted(SAMPLES_PER_PATIENT);
  // timepoint 0: one sample alone (germline-only, tumour-only or saliva), or a tumour with
  // its matched normal; further samples are follow-up visits, mostly liquid biopsies.
  const baseline: SpecimenType[] =
    sampleCount === 1
      ? [random.weighted<SpecimenType>([['BLOOD', 5], ['TUMOUR', 4], ['SALIVA', 1]])]
      : ['TUMOUR', random.chance(0.5) ? 'NORMAL' : 'BLOOD'];
  const followUps = sampleCount - baseline.length;

  // Leave room for every follow-up so the last visit still falls in 2025.
  const latestStart = LAST_DAY - followUps * FOLLOW_UP_DAYS[1] * DAY;
  let collectedAt = FIRST_DAY + random.integer(0, Math.floor((latestStart - FIRST_DAY) / DAY)) * DAY;

  const addSample = (specimenType: SpecimenType, timepoint: number) => {
    counters.sample += 1;
    const sample: DemoSample = {
      sampleId: syntheticSampleId(counters.sample),
      patientId,
      specimenType,
      timepoint,
      collectionDate: isoDate(collectedAt),
    };
    batch.samples.push(sample);
    addRuns(batch, sample, random, seed);
  };

  for (const specimenType of baseline) addSample(specimenType, 0);
  for (let timepoint = 1; timepoint <= followUps; timepoint += 1) {
    collectedAt += random.integer(FOLLOW_UP_DAYS[0], FOLLOW_UP_DAYS[1]) * DAY;
    addSample(random.chance(0.7) ? 'CELL_FREE_DNA' : 'TUMOUR', timepoint);
  }
}

function addRuns(batch: DemoDataBatch, sample: DemoSample, random: Random, seed: number): void {
  const runCount = random.weighted(RUNS_PER_SAMPLE);
  for (let index = 1; index <= runCount; index += 1) {
    const runId = nameBasedUuid(`seed ${seed} run ${sample.sampleId}/${index}`);
    const assayType = random.weighted(ASSAYS_BY_SPECIMEN[sample.specimenType]);
    const pipeline = PIPELINE_BY_ASSAY[assayType];
    const pipelineVersion = random.weighted(pipeline.versions);
    const status = random.weighted(FINAL_STATUS);
    const started = status !== 'PENDING';
    batch.runs.push({
      runId,
      sampleId: sample.sampleId,
      assayType,
      pipelineName: pipeline.name,
      pipelineVersion,
      pipelineRevision: PIPELINE_REVISIONS.get(`${pipeline.name}@${pipelineVersion}`)!,
      status,
      executor: started ? random.weighted(EXECUTORS) : null,
      nextflowSessionId: started ? nameBasedUuid(`seed ${seed} session ${runId}`) : null,
      ...ending(status, pipeline, random),
    });
    addFiles(batch, sample, runId, assayType, status, random);
  }
}

/** exit codes of failed Nextflow tasks: error, killed (often out of memory), time limit, terminated */
const FAILED_EXIT_CODES: ReadonlyArray<readonly [number, number]> = [
  [1, 4],
  [137, 3],
  [140, 2],
  [143, 1],
];
/** a run stopped by its operator exits as if interrupted */
const CANCELLED_EXIT_CODE = 130;

function ending(status: RunStatus, pipeline: Pipeline, random: Random): Pick<DemoRun, 'exitCode' | 'message'> {
  switch (status) {
    case 'PENDING':
    case 'RUNNING':
      return { exitCode: null, message: null };
    case 'SUCCEEDED':
      return { exitCode: 0, message: null };
    case 'CANCELLED':
      return { exitCode: CANCELLED_EXIT_CODE, message: 'Execution cancelled -- the pipeline was stopped by its operator' };
    case 'FAILED': {
      const exitCode = random.weighted(FAILED_EXIT_CODES);
      const failedProcess = pipeline.processes[random.integer(0, pipeline.processes.length - 1)]!;
      return { exitCode, message: `Process \`${failedProcess}\` terminated with an error exit status (${exitCode})` };
    }
  }
}

function addFiles(
  batch: DemoDataBatch,
  sample: DemoSample,
  runId: string,
  assayType: AssayType,
  status: RunStatus,
  random: Random,
): void {
  const [smallest, largest] = FASTQ_GIGABYTES[assayType];
  const mateBytes = Math.round(random.between(smallest, largest) * GIGABYTE);
  // Sequencers and LIMS usually hand over an md5 with the FASTQ; some never do.
  const inputHasMd5 = random.chance(0.7);
  for (const readNumber of [1, 2] as const) {
    batch.files.push({
      runId,
      role: 'INPUT',
      uri: `s3://seqmeta-demo/fastq/${sample.sampleId}/${runId}_R${readNumber}.fastq.gz`,
      format: 'FASTQ',
      // the mates of a pair differ by a few percent after compression
      sizeBytes: Math.round(mateBytes * random.between(0.97, 1.03)),
      md5: inputHasMd5 ? random.hex(32) : null,
      sha256: null,
      readNumber,
    });
  }

  // Only a finished, successful run has published its outputs.
  if (status !== 'SUCCEEDED') return;
  const results = `s3://seqmeta-demo/results/${sample.sampleId}/${runId}/${sample.sampleId}`;
  const bamBytes = 2 * mateBytes * random.between(1.0, 1.3);
  const asCram = (assayType === 'WGS' || assayType === 'WES') && random.chance(0.6);
  if (asCram) {
    const cramBytes = bamBytes * random.between(0.35, 0.5);
    addOutput(batch, random, runId, `${results}.cram`, 'CRAM', cramBytes);
    addOutput(batch, random, runId, `${results}.cram.crai`, 'CRAI', Math.max(20_000, cramBytes * random.between(4e-5, 7e-5)));
  } else {
    addOutput(batch, random, runId, `${results}.bam`, 'BAM', bamBytes);
    addOutput(batch, random, runId, `${results}.bam.bai`, 'BAI', Math.max(50_000, bamBytes * random.between(7e-5, 1e-4)));
  }
  // Variant calls from the DNA assays, when the run was configured to call variants.
  const callsVariants = assayType === 'WGS' || assayType === 'WES' || assayType === 'TARGETED_PANEL';
  if (callsVariants && random.chance(0.45)) {
    const [smallestVcf, largestVcf] = VCF_MEGABYTES[assayType];
    addOutput(batch, random, runId, `${results}.vcf.gz`, 'VCF', random.between(smallestVcf, largestVcf) * MEGABYTE);
  }
}

const OUTPUT_CHECKSUMS: ReadonlyArray<readonly ['md5' | 'sha256' | 'both', number]> = [
  ['md5', 4],
  ['sha256', 3],
  ['both', 3],
];

// Every output carries at least one checksum: downstream tools verify what they fetch.
function addOutput(batch: DemoDataBatch, random: Random, runId: string, uri: string, format: string, sizeBytes: number): void {
  const checksums = random.weighted(OUTPUT_CHECKSUMS);
  batch.files.push({
    runId,
    role: 'OUTPUT',
    uri,
    format,
    sizeBytes: Math.max(1, Math.round(sizeBytes)),
    md5: checksums === 'sha256' ? null : random.hex(32),
    sha256: checksums === 'md5' ? null : random.hex(64),
    readNumber: null,
  });
}

/** counts of a batch, for progress and audit details */
export function countBatch(batch: DemoDataBatch): { patients: number; samples: number; runs: number; files: number } {
  return { patients: batch.patients.length, samples: batch.samples.length, runs: batch.runs.length, files: batch.files.length };
}
