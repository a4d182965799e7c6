// The read API over HTTP against a live server: look-ups, relations both ways, filters,
// aggregates, cursor pagination and ordering. Expected answers are worked out from the
// fixture in memory, never by asking the API or the database first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/apiServer.ts';
import { ASSAY_TYPES, loadFixture, RUN_STATUSES, type Fixture } from '../support/fixtures.ts';

const DEFAULT_PAGE_SIZE = 2;

let api: TestApi;
let fixture: Fixture;

beforeAll(async () => {
  // a small default page, so that a connection read without first/last visibly stops early
  api = await startTestApi({ SEQMETA_DEFAULT_PAGE_SIZE: String(DEFAULT_PAGE_SIZE) });
  fixture = await loadFixture(api.database, { patients: 12 });
});
afterAll(() => api?.stop());

/** Runs a query that must succeed and returns its data. */
async function read(query: string, variables?: Record<string, unknown>): Promise<any> {
  const response = await api.graphql(query, variables);
  expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
  expect(response.status).toBe(200);
  return response.body.data;
}

const sorted = (values: string[]) => [...values].sort();
const samplesOf = (patientHash: string) => fixture.samples.filter((sample) => sample.patientHash === patientHash);
const runsOf = (sampleId: string) => fixture.runs.filter((run) => run.sampleId === sampleId);
const filesOf = (runId: string) => fixture.files.filter((file) => file.runId === runId);
const allSampleIds = () => sorted(fixture.samples.map((sample) => sample.sampleId));

describe('look-ups by key', () => {
  it('finds a patient by patientHash, with its samples (Patient.samples)', async () => {
    const patient = fixture.patients.find((candidate) => samplesOf(candidate.patientHash).length === 3)!;
    const data = await read(
      `query ($hash: String!) { patient(patientHash: $hash) { patientHash samples(first: 10) { nodes { sampleId } } } }`,
      { hash: patient.patientHash },
    );
    expect(data.patient.patientHash).toBe(patient.patientHash);
    expect(sorted(data.patient.samples.nodes.map((node: any) => node.sampleId))).toEqual(
      sorted(samplesOf(patient.patientHash).map((sample) => sample.sampleId)),
    );
  });

  it('finds a sample by sampleId, with its patient (Sample.patient) and runs (Sample.runs)', async () => {
    const sample = fixture.samples.find((candidate) => runsOf(candidate.sampleId).length === 3)!;
    const data = await read(
      `query ($id: String!) {
         sample(sampleId: $id) {
           sampleId specimenType timepoint collectionYear
           patient { patientHash }
           runs(first: 10) { nodes { runId assayType status } }
         }
       }`,
      { id: sample.sampleId },
    );
    expect(data.sample).toMatchObject({
      sampleId: sample.sampleId,
      specimenType: sample.specimenType,
      timepoint: sample.timepoint,
      collectionYear: sample.collectionYear,
      patient: { patientHash: sample.patientHash },
    });
    const expectedRuns = runsOf(sample.sampleId).map(({ runId, assayType, status }) => ({ runId, assayType, status }));
    expect(data.sample.runs.nodes).toHaveLength(3);
    expect(data.sample.runs.nodes).toEqual(expect.arrayContaining(expectedRuns));
  });

  it('finds a run by runId, with its sample (Run.sample) and files (Run.files), each file pointing back (RunFile.run)', async () => {
    const run = fixture.runs.find((candidate) => candidate.status === 'SUCCEEDED')!;
    const data = await read(
      `query ($id: UUID!) {
         run(runId: $id) {
           runId status assayType pipelineName
           sample { sampleId }
           files(first: 10) { nodes { uri role format sizeBytes md5 readNumber run { runId } } }
         }
       }`,
      { id: run.runId },
    );
    expect(data.run).toMatchObject({
      runId: run.runId,
      status: 'SUCCEEDED',
      assayType: run.assayType,
      pipelineName: run.pipelineName,
      sample: { sampleId: run.sampleId },
    });
    const expectedFiles = filesOf(run.runId).map((file) => ({
      uri: file.uri,
      role: file.role,
      format: file.format,
      // BigInt is a string in GraphQL, so sizes above 2^53 survive
      sizeBytes: String(file.sizeBytes),
      md5: file.md5,
      readNumber: file.readNumber,
      run: { runId: run.runId },
    }));
    expect(expectedFiles.map((file) => file.role).sort()).toEqual(['INPUT', 'INPUT', 'OUTPUT']);
    expect(data.run.files.nodes).toHaveLength(expectedFiles.length);
    expect(data.run.files.nodes).toEqual(expect.arrayContaining(expectedFiles));
  });

  it('answers null, not an error, for keys that do not exist', async () => {
    const data = await read(`{
      patient(patientHash: "${'0'.repeat(64)}") { patientHash }
      sample(sampleId: "SYN-SMP-99999999") { sampleId }
      run(runId: "00000000-0000-4000-8000-000000000000") { runId }
    }`);
    expect(data).toEqual({ patient: null, sample: null, run: null });
  });
});

describe('nested reads', () => {
  it('reads samples -> patient and runs -> files in one request, matching what was written', async () => {
    const data = await read(`{
      samples(first: 100, orderBy: SAMPLE_ID_ASC) {
        totalCount
        nodes {
          sampleId
          patient { patientHash }
          runs(first: 10) { nodes { runId files(first: 10) { nodes { uri } } } }
        }
      }
    }`);
    expect(data.samples.totalCount).toBe(fixture.samples.length);
    const received = data.samples.nodes.map((sample: any) => ({
      sampleId: sample.sampleId,
      patientHash: sample.patient.patientHash,
      runs: sample.runs.nodes
        .map((run: any) => ({ runId: run.runId, uris: sorted(run.files.nodes.map((file: any) => file.uri)) }))
        .sort((left: any, right: any) => left.runId.localeCompare(right.runId)),
    }));
    const expected = [...fixture.samples]
      .sort((left, right) => left.sampleId.localeCompare(right.sampleId))
      .map((sample) => ({
        sampleId: sample.sampleId,
        patientHash: sample.patientHash,
        runs: runsOf(sample.sampleId)
          .map((run) => ({ runId: run.runId, uris: sorted(filesOf(run.runId).map((file) => file.uri)) }))
          .sort((left, right) => left.runId.localeCompare(right.runId)),
      }));
    expect(received).toEqual(expected);
  });

  it('walks the relations upwards from a file to its patient (RunFile.run -> Run.sample -> Sample.patient)', async () => {
    const file = fixture.files.find((candidate) => candidate.role === 'OUTPUT')!;
    const run = fixture.runs.find((candidate) => candidate.runId === file.runId)!;
    const sample = fixture.samples.find((candidate) => candidate.sampleId === run.sampleId)!;
    const data = await read(
      `query ($uri: String!) {
         runFiles(filter: { uri: { equalTo: $uri } }) {
           nodes { uri run { runId sample { sampleId patient { patientHash } } } }
         }
       }`,
      { uri: file.uri },
    );
    expect(data.runFiles.nodes).toEqual([
      {
        uri: file.uri,
        run: { runId: run.runId, sample: { sampleId: sample.sampleId, patient: { patientHash: sample.patientHash } } },
      },
    ]);
  });
});

describe('filters', () => {
  it('filters runs by status', async () => {
    const data = await read(`{ runs(first: 100, filter: { status: { equalTo: FAILED } }) { totalCount nodes { runId status } } }`);
    const expected = fixture.runs.filter((run) => run.status === 'FAILED').map((run) => run.runId);
    expect(expected.length).toBeGreaterThan(0);
    expect(data.runs.totalCount).toBe(expected.length);
    expect(new Set(data.runs.nodes.map((node: any) => node.status))).toEqual(new Set(['FAILED']));
    expect(sorted(data.runs.nodes.map((node: any) => node.runId))).toEqual(sorted(expected));
  });

  it('filters runs by a list of assay types (in) combined with a status', async () => {
    const data = await read(`{
      runs(first: 100, filter: { assayType: { in: [WGS, RNA_SEQ] }, status: { notEqualTo: PENDING } }) {
        totalCount nodes { runId }
      }
    }`);
    const expected = fixture.runs
      .filter((run) => ['WGS', 'RNA_SEQ'].includes(run.assayType) && run.status !== 'PENDING')
      .map((run) => run.runId);
    expect(data.runs.totalCount).toBe(expected.length);
    expect(sorted(data.runs.nodes.map((node: any) => node.runId))).toEqual(sorted(expected));
  });

  it('filters samples by a range of collection years', async () => {
    const data = await read(`{
      samples(first: 100, filter: { collectionYear: { greaterThanOrEqualTo: 2020, lessThan: 2023 } }) {
        totalCount nodes { sampleId collectionYear }
      }
    }`);
    const expected = fixture.samples.filter((sample) => sample.collectionYear >= 2020 && sample.collectionYear < 2023);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(fixture.samples.length);
    expect(data.samples.totalCount).toBe(expected.length);
    expect(sorted(data.samples.nodes.map((node: any) => node.sampleId))).toEqual(
      sorted(expected.map((sample) => sample.sampleId)),
    );
  });

  it('filters a nested connection: a sample\'s runs by status', async () => {
    const sample = fixture.samples.find(
      (candidate) => new Set(runsOf(candidate.sampleId).map((run) => run.status)).size > 1,
    )!;
    const status = runsOf(sample.sampleId)[0]!.status;
    const data = await read(
      `query ($id: String!, $status: RunStatus!) {
         sample(sampleId: $id) { runs(first: 10, filter: { status: { equalTo: $status } }) { nodes { runId } } }
       }`,
      { id: sample.sampleId, status },
    );
    expect(sorted(data.sample.runs.nodes.map((node: any) => node.runId))).toEqual(
      sorted(runsOf(sample.sampleId).filter((run) => run.status === status).map((run) => run.runId)),
    );
  });
});

describe('enums', () => {
  it.each([
    ['RunStatus', ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']],
    ['AssayType', [...ASSAY_TYPES]],
    ['SpecimenType', ['TUMOUR', 'NORMAL', 'BLOOD', 'SALIVA', 'CELL_FREE_DNA']],
    ['FileRole', ['INPUT', 'OUTPUT']],
  ])('%s is a GraphQL enum of the database values', async (name, values) => {
    const data = await read(`query ($name: String!) { __type(name: $name) { kind enumValues { name } } }`, { name });
    expect(data.__type.kind).toBe('ENUM');
    expect(sorted(data.__type.enumValues.map((value: any) => value.name))).toEqual(sorted(values));
  });

  it('refuses a value outside the enum before running anything', async () => {
    api.statements.length = 0;
    const response = await api.graphql(`{ runs(filter: { status: { equalTo: DONE } }) { totalCount } }`);
    expect(response.status).toBeLessThan(500);
    expect(response.body.errors[0].message).toMatch(/Value "DONE" does not exist in "RunStatus" enum/);
    expect(api.statements).toEqual([]);
  });
});

describe('aggregates', () => {
  it('sums file sizes and counts files, over everything and over a filter', async () => {
    const data = await read(`{
      all: runFiles { totalCount aggregates { sum { sizeBytes } } }
      outputs: runFiles(filter: { role: { equalTo: OUTPUT } }) { totalCount aggregates { sum { sizeBytes } distinctCount { runId } } }
    }`);
    const sum = (files: Fixture['files']) => String(files.reduce((total, file) => total + file.sizeBytes, 0));
    const outputs = fixture.files.filter((file) => file.role === 'OUTPUT');
    expect(data.all).toEqual({ totalCount: fixture.files.length, aggregates: { sum: { sizeBytes: sum(fixture.files) } } });
    expect(data.outputs).toEqual({
      totalCount: outputs.length,
      aggregates: { sum: { sizeBytes: sum(outputs) }, distinctCount: { runId: String(new Set(outputs.map((file) => file.runId)).size) } },
    });
  });

  it('counts runs grouped by assay type and status (groupedAggregates)', async () => {
    const data = await read(`{
      runs { groupedAggregates(groupBy: [ASSAY_TYPE, STATUS]) { keys distinctCount { runId } } }
    }`);
    const received = Object.fromEntries(
      data.runs.groupedAggregates.map((group: any) => [group.keys.join('/'), Number(group.distinctCount.runId)]),
    );
    const expected: Record<string, number> = {};
    for (const run of fixture.runs) {
      const key = `${run.assayType}/${run.status}`;
      expected[key] = (expected[key] ?? 0) + 1;
    }
    // the fixture is built so that every pair occurs
    expect(Object.keys(expected)).toHaveLength(ASSAY_TYPES.length * RUN_STATUSES.length);
    expect(received).toEqual(expected);
  });

  it('aggregates respect the connection\'s filter', async () => {
    const data = await read(`{
      runs(filter: { status: { equalTo: SUCCEEDED } }) { groupedAggregates(groupBy: [ASSAY_TYPE]) { keys distinctCount { runId } } }
    }`);
    const received = Object.fromEntries(
      data.runs.groupedAggregates.map((group: any) => [group.keys[0], Number(group.distinctCount.runId)]),
    );
    const expected: Record<string, number> = {};
    for (const run of fixture.runs.filter((candidate) => candidate.status === 'SUCCEEDED')) {
      expected[run.assayType] = (expected[run.assayType] ?? 0) + 1;
    }
    expect(received).toEqual(expected);
  });
});

describe('cursor pagination', () => {
  const pageSize = 5;

  it('visits every sample exactly once going forwards (first/after)', async () => {
    const visited: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const data = await read(
        `query ($first: Int!, $after: Cursor) {
           samples(first: $first, after: $after, orderBy: SAMPLE_ID_ASC) {
             nodes { sampleId } pageInfo { hasNextPage endCursor }
           }
         }`,
        { first: pageSize, after },
      );
      pages += 1;
      visited.push(...data.samples.nodes.map((node: any) => node.sampleId));
      if (!data.samples.pageInfo.hasNextPage) break;
      after = data.samples.pageInfo.endCursor;
      expect(pages).toBeLessThan(100);
    }
    expect(pages).toBe(Math.ceil(fixture.samples.length / pageSize));
    expect(visited).toEqual(allSampleIds());
  });

  it('visits every sample exactly once going backwards (last/before)', async () => {
    const visited: string[] = [];
    let before: string | null = null;
    let pages = 0;
    for (;;) {
      const data = await read(
        `query ($last: Int!, $before: Cursor) {
           samples(last: $last, before: $before, orderBy: SAMPLE_ID_ASC) {
             nodes { sampleId } pageInfo { hasPreviousPage startCursor }
           }
         }`,
        { last: pageSize, before },
      );
      pages += 1;
      // each page is in ascending order; pages arrive from the end
      visited.unshift(...data.samples.nodes.map((node: any) => node.sampleId));
      if (!data.samples.pageInfo.hasPreviousPage) break;
      before = data.samples.pageInfo.startCursor;
      expect(pages).toBeLessThan(100);
    }
    expect(pages).toBe(Math.ceil(fixture.samples.length / pageSize));
    expect(visited).toEqual(allSampleIds());
  });

  it('pages through edges of a nested connection with their cursors', async () => {
    const sample = fixture.samples.find((candidate) => runsOf(candidate.sampleId).length === 3)!;
    const query = `query ($id: String!, $after: Cursor) {
      sample(sampleId: $id) { runs(first: 2, after: $after, orderBy: RUN_ID_ASC) { edges { cursor node { runId } } pageInfo { hasNextPage } } }
    }`;
    const first = await read(query, { id: sample.sampleId, after: null });
    const second = await read(query, { id: sample.sampleId, after: first.sample.runs.edges[1].cursor });
    expect(first.sample.runs.pageInfo.hasNextPage).toBe(true);
    expect(second.sample.runs.pageInfo.hasNextPage).toBe(false);
    const visited = [...first.sample.runs.edges, ...second.sample.runs.edges].map((edge: any) => edge.node.runId);
    expect(visited).toEqual(sorted(runsOf(sample.sampleId).map((run) => run.runId)));
  });
});

describe('ordering', () => {
  it('orders by several columns, descending and ascending', async () => {
    const data = await read(`{ samples(first: 100, orderBy: [COLLECTION_YEAR_DESC, SAMPLE_ID_ASC]) { nodes { sampleId } } }`);
    const expected = [...fixture.samples]
      .sort((left, right) => right.collectionYear - left.collectionYear || left.sampleId.localeCompare(right.sampleId))
      .map((sample) => sample.sampleId);
    expect(data.samples.nodes.map((node: any) => node.sampleId)).toEqual(expected);
  });

  it('orders file sizes ascending and descending', async () => {
    const data = await read(`{
      ascending: runFiles(first: 5, orderBy: SIZE_BYTES_ASC) { nodes { sizeBytes } }
      descending: runFiles(first: 5, orderBy: SIZE_BYTES_DESC) { nodes { sizeBytes } }
    }`);
    const sizes = fixture.files.map((file) => file.sizeBytes).sort((left, right) => left - right);
    expect(data.ascending.nodes.map((node: any) => Number(node.sizeBytes))).toEqual(sizes.slice(0, 5));
    expect(data.descending.nodes.map((node: any) => Number(node.sizeBytes))).toEqual(sizes.reverse().slice(0, 5));
  });
});

describe('default page size', () => {
  it(`returns ${DEFAULT_PAGE_SIZE} rows and hasNextPage when a root connection has no first/last`, async () => {
    const data = await read(`{ runs { totalCount nodes { runId } pageInfo { hasNextPage } } }`);
    expect(data.runs.totalCount).toBe(fixture.runs.length);
    expect(data.runs.nodes).toHaveLength(DEFAULT_PAGE_SIZE);
    expect(data.runs.pageInfo.hasNextPage).toBe(true);
  });

  it('applies to nested connections too', async () => {
    const run = fixture.runs.find((candidate) => filesOf(candidate.runId).length > DEFAULT_PAGE_SIZE)!;
    const data = await read(`query ($id: UUID!) { run(runId: $id) { files { totalCount nodes { uri } pageInfo { hasNextPage } } } }`, {
      id: run.runId,
    });
    expect(data.run.files.totalCount).toBe(filesOf(run.runId).length);
    expect(data.run.files.nodes).toHaveLength(DEFAULT_PAGE_SIZE);
    expect(data.run.files.pageInfo.hasNextPage).toBe(true);
  });

  it('gives `last` without `first` the last rows, not the default page from the start', async () => {
    const data = await read(`{ samples(last: 1, orderBy: SAMPLE_ID_ASC) { nodes { sampleId } pageInfo { hasPreviousPage } } }`);
    expect(data.samples.nodes.map((node: any) => node.sampleId)).toEqual(allSampleIds().slice(-1));
    expect(data.samples.pageInfo.hasPreviousPage).toBe(true);
  });
});

