// What the benchmark asks: the frontend's reads (a, b, c) and the pipeline's writes (d).
// Every request carries different variables, drawn from the dataset (cursors, filters, ids)
// or made up (d: new file uris), and the warm-up draws from another part of the dataset than
// the measured phase, so no request finds an answer a previous one of the test cached.
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const SCENARIO_IDS = ['a', 'b', 'c', 'd'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** warm-up and capture use one half of each list of drawn values, the measured phase the other */
export type Phase = 'warmUp' | 'measure';

export const SCENARIO_TITLES: Record<ScenarioId, string> = {
  a: 'page of 50 samples with patient, runs and files',
  b: 'run by id with its files',
  c: 'groupedAggregates of runs by assay type and status',
  d: 'logRunOutputs, 1,000 files per call',
};

export type Scenario = {
  id: ScenarioId;
  title: string;
  document: string;
  /** the variables of the n-th request of a phase */
  variables: (phase: Phase, n: number) => Record<string, unknown>;
  /** the Authorization header, when the operation needs a token */
  authorization: string | null;
  /** rows each request writes (d), for rows/s */
  rowsPerRequest: number | null;
};

export const SAMPLE_PAGE_SIZE = 50;
export const FILES_PER_CALL = 1_000;

// Nested connections name their page size: the plain PostGraphile baseline has no default
// page (it would read every run of a sample), and the same document must run on both.
export const SAMPLE_PAGE = `query SamplePage($first: Int!, $after: Cursor, $filter: SampleFilter) {
  samples(first: $first, after: $after, filter: $filter, orderBy: SAMPLE_ID_ASC) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      sampleId specimenType timepoint collectionYear
      patient { patientHash registeredYear }
      runs(first: 20) {
        nodes {
          runId assayType status pipelineName pipelineVersion durationSeconds
          files(first: 20) { nodes { uri role format sizeBytes md5 readNumber } }
        }
      }
    }
  }
}`;

export const RUN_BY_ID = `query RunById($runId: UUID!) {
  run(runId: $runId) {
    runId status assayType pipelineName pipelineVersion executor exitCode durationSeconds
    sample { sampleId specimenType }
    files(first: 100) { nodes { uri role format sizeBytes md5 sha256 readNumber } }
  }
}`;

export const RUN_SUMMARY = `query RunSummary($filter: RunFilter) {
  runs(filter: $filter) {
    groupedAggregates(groupBy: [ASSAY_TYPE, STATUS]) {
      keys
      distinctCount { runId }
      average { durationSeconds }
    }
  }
}`;

// What `seqmeta log-outputs` sends (src/commands/pipeline.ts), with a shorter run selection.
export const LOG_RUN_OUTPUTS = `mutation LogRunOutputs($input: LogRunOutputsInput!) {
  logRunOutputs(input: $input) {
    fileCount
    run { runId status outputs: files(filter: { role: { equalTo: OUTPUT } }) { totalCount } }
  }
}`;

// undefined, not null, for none: connection-filter refuses null literals
const SAMPLE_FILTERS: Array<Record<string, unknown> | undefined> = [
  undefined,
  { specimenType: { equalTo: 'TUMOUR' } },
  { specimenType: { equalTo: 'NORMAL' } },
  { specimenType: { in: ['BLOOD', 'SALIVA', 'CELL_FREE_DNA'] } },
  { collectionYear: { greaterThanOrEqualTo: 2020 } },
  { timepoint: { equalTo: 0 } },
];

/** Values drawn from the dataset; each list is split between the warm-up and the measured phase. */
export type DrawnValues = {
  /** cursors of samples in SAMPLE_ID_ASC order, taken from the API itself */
  sampleCursors: string[];
  runIds: string[];
  runFilters: Array<Record<string, unknown> | undefined>;
  /** samples to register the ingest runs of (d) on */
  sampleIds: string[];
};

export type GraphqlCall = (
  document: string,
  variables: Record<string, unknown>,
  authorization?: string | null,
) => Promise<{ data?: any; errors?: unknown[] }>;

async function requireData(call: GraphqlCall, document: string, variables: Record<string, unknown>, authorization?: string | null) {
  const response = await call(document, variables, authorization);
  if (response.errors?.length || !response.data) {
    throw new Error(`the benchmark's own request failed: ${JSON.stringify(response.errors ?? response).slice(0, 2_000)}`);
  }
  return response.data;
}

/**
 * Draws ids and filters from the dataset: spread over it (ordered by a hash of the key, not
 * by the key), the same at every run of one dataset.
 */
export async function drawValues(apiUrl: string, graphql: GraphqlCall, count = 2_000): Promise<DrawnValues> {
  const client = new pg.Client({ connectionString: apiUrl, application_name: 'seqmeta bench' });
  await client.connect();
  try {
    const samples = await client.query<{ sample_id: string }>(
      'select sample_id from api.frontend_samples order by md5(sample_id) limit $1',
      [count],
    );
    const runs = await client.query<{ run_id: string }>(
      'select run_id from api.frontend_runs order by md5(run_id::text) limit $1',
      [count],
    );
    const pipelines = await client.query<{ pipeline_name: string }>(
      'select distinct pipeline_name from api.frontend_runs order by 1',
    );
    const years = await client.query<{ run_year: number }>('select distinct run_year from api.frontend_runs order by 1');
    const sampleIds = samples.rows.map((row) => row.sample_id);

    // A cursor is the API's to make: ask it for the cursors of the drawn samples.
    const cursorOf = new Map<string, string>();
    for (let start = 0; start < sampleIds.length; start += 1_000) {
      const ids = sampleIds.slice(start, start + 1_000);
      const data = await requireData(
        graphql,
        `query ($ids: [String!]!, $first: Int!) {
          samples(filter: { sampleId: { in: $ids } }, first: $first, orderBy: SAMPLE_ID_ASC) { edges { cursor node { sampleId } } }
        }`,
        { ids, first: ids.length },
      );
      for (const edge of data.samples.edges as Array<{ cursor: string; node: { sampleId: string } }>) {
        cursorOf.set(edge.node.sampleId, edge.cursor);
      }
    }
    const runFilters: DrawnValues['runFilters'] = [
      undefined,
      ...pipelines.rows.map((row) => ({ pipelineName: { equalTo: row.pipeline_name } })),
      ...years.rows.map((row) => ({ runYear: { equalTo: row.run_year } })),
      { status: { equalTo: 'SUCCEEDED' } },
      { status: { notEqualTo: 'SUCCEEDED' } },
    ];
    return {
      sampleCursors: sampleIds.map((id) => cursorOf.get(id)!).filter(Boolean),
      runIds: runs.rows.map((row) => row.run_id),
      runFilters,
      sampleIds,
    };
  } finally {
    await client.end();
  }
}

/** The n-th value of a phase's half of `values`, stepping by a prime so neighbours differ. */
function pick<T>(values: readonly T[], phase: Phase, n: number): T {
  const half = Math.max(1, Math.floor(values.length / 2));
  const offset = phase === 'warmUp' ? 0 : values.length - half;
  return values[offset + ((n * 7_919) % half)]!;
}

export function readScenarios(drawn: DrawnValues): Record<'a' | 'b' | 'c', Scenario> {
  return {
    a: {
      id: 'a',
      title: SCENARIO_TITLES.a,
      document: SAMPLE_PAGE,
      variables: (phase, n) => ({
        first: SAMPLE_PAGE_SIZE,
        // every seventh page starts at the beginning, the rest after a drawn sample
        after: n % 7 === 0 ? undefined : pick(drawn.sampleCursors, phase, n),
        filter: SAMPLE_FILTERS[n % SAMPLE_FILTERS.length],
      }),
      authorization: null,
      rowsPerRequest: null,
    },
    b: {
      id: 'b',
      title: SCENARIO_TITLES.b,
      document: RUN_BY_ID,
      variables: (phase, n) => ({ runId: pick(drawn.runIds, phase, n) }),
      authorization: null,
      rowsPerRequest: null,
    },
    c: {
      id: 'c',
      title: SCENARIO_TITLES.c,
      document: RUN_SUMMARY,
      variables: (phase, n) => ({ filter: drawn.runFilters[(n + (phase === 'warmUp' ? 0 : 1)) % drawn.runFilters.length] }),
      authorization: null,
      rowsPerRequest: null,
    },
  };
}

/** RUNNING runs for (d), registered and started through the API as the pipeline does. */
export async function registerIngestRuns(
  graphql: GraphqlCall,
  authorization: string,
  sampleIds: readonly string[],
  count: number,
): Promise<string[]> {
  const runIds: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const runId = randomUUID();
    await requireData(
      graphql,
      `mutation ($input: RegisterRunInput!) { registerRun(input: $input) { run { runId } } }`,
      { input: { runId, sampleId: sampleIds[index % sampleIds.length], assayType: 'WGS', pipelineName: 'seqmeta-bench', pipelineVersion: '1.0.0' } },
      authorization,
    );
    await requireData(
      graphql,
      `mutation ($input: StartRunInput!) { startRun(input: $input) { run { runId status } } }`,
      { input: { runId, executor: 'bench', nextflowSessionId: randomUUID() } },
      authorization,
    );
    runIds.push(runId);
  }
  return runIds;
}

export type OutputFile = { uri: string; format: string; sizeBytes: string; md5: string };

/**
 * The files of the n-th call: new uris every time (a uri already logged would be compared,
 * not written). `prefix` tells apart the calls of different phases and targets.
 */
export function outputFiles(prefix: string, runId: string, n: number): OutputFile[] {
  const files: OutputFile[] = [];
  for (let index = 0; index < FILES_PER_CALL; index += 1) {
    const serial = n * FILES_PER_CALL + index;
    files.push({
      uri: `s3://seqmeta-bench/${prefix}/${runId}/call-${n}/output-${index}.bam`,
      format: 'BAM',
      sizeBytes: String(1_000_000 + serial),
      md5: serial.toString(16).padStart(32, '0'),
    });
  }
  return files;
}

/**
 * Calls go round the runs, one run per concurrent connection and more: calls for one run take
 * turns on its row lock, as the pipeline's calls for one run would.
 */
export function ingestScenario(runIds: readonly string[], authorization: string, prefix: string): Scenario {
  return {
    id: 'd',
    title: SCENARIO_TITLES.d,
    document: LOG_RUN_OUTPUTS,
    variables: (phase, n) => {
      const runId = runIds[n % runIds.length]!;
      return { input: { runId, files: outputFiles(`${prefix}-${phase}`, runId, n) } };
    },
    authorization,
    rowsPerRequest: FILES_PER_CALL,
  };
}
