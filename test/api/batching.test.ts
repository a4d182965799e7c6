// Batching proof (issue 3, item 7): a nested read compiles to one SQL statement per root
// field for the rows, plus one for a requested totalCount, whatever the page size. The API
// pool records every statement it sends; a read that fetched relations row by row (N+1)
// would send hundreds here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/apiServer.ts';
import { loadFixture, type Fixture } from '../support/fixtures.ts';

let api: TestApi;
let fixture: Fixture;

beforeAll(async () => {
  // With the default limits: the nested read of 100 samples (runs and files at the default
  // page size) costs 1,010,100 potential rows, within the default maximum of 2,000,000.
  api = await startTestApi();
  fixture = await loadFixture(api.database, { patients: 60 });
});
afterAll(() => api?.stop());

// @dataplan/pg sends this once on each new database connection, not per request.
const connectionSetup = /^set jit_optimize_above_cost = -1;?$/;
// Behind a transaction pooler (SEQMETA_TEST_PGBOUNCER=1) each statement runs in a transaction
// that first sets the read's settings (src/pools.ts, readSettingsPerTransaction): the same
// statements for the rows, each with the same three around it.
const settingsTransaction = /^(begin|commit|select set_config\(el->>0, el->>1, true\) from json_array_elements\(\$1::json\) el)$/;

/** The statements one request sends, after the schema and the pool are warm. */
async function statementsFor(query: string, variables?: Record<string, unknown>) {
  await api.graphql('{ __typename }');
  api.statements.length = 0;
  const response = await api.graphql(query, variables);
  expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
  return { data: response.body.data, statements: api.statements.filter((statement) => !connectionSetup.test(statement.trim()) && !settingsTransaction.test(statement.trim())) };
}

const nestedRead = `query ($pageSize: Int!) {
  samples(first: $pageSize) {
    totalCount
    nodes { patient { patientHash } runs { nodes { files { nodes { uri } } } } }
  }
}`;

describe('nested reads are batched', () => {
  it('the dataset is large enough to tell batching from one query per row', () => {
    expect(fixture.samples.length).toBeGreaterThanOrEqual(100);
    const samplesWithFiles = new Set(
      fixture.runs.filter((run) => fixture.files.some((file) => file.runId === run.runId)).map((run) => run.sampleId),
    );
    expect(samplesWithFiles.size).toBe(fixture.samples.length);
  });

  it.each([5, 100])('samples(first: %i) -> patient, runs -> files with totalCount sends 2 statements', async (pageSize) => {
    const { data, statements } = await statementsFor(nestedRead, { pageSize });
    expect(data.samples.totalCount).toBe(fixture.samples.length);
    expect(data.samples.nodes).toHaveLength(pageSize);
    // the page really carries the nested rows the statements had to fetch
    const files = data.samples.nodes.flatMap((sample: any) =>
      sample.runs.nodes.flatMap((run: any) => run.files.nodes.map((file: any) => file.uri)),
    );
    expect(files.length).toBeGreaterThanOrEqual(pageSize * 2);
    expect(data.samples.nodes.every((sample: any) => /^[0-9a-f]{64}$/.test(sample.patient.patientHash))).toBe(true);

    expect(statements, statements.join('\n---\n')).toHaveLength(2);
    const count = statements.find((statement) => /count\(\*\)/.test(statement));
    const rows = statements.find((statement) => statement !== count);
    expect(count).toMatch(/from "api"\."frontend_samples"/);
    for (const view of ['frontend_samples', 'frontend_patients', 'frontend_runs', 'frontend_run_files']) {
      expect(rows).toContain(view);
    }
  });

  it('sends the same number of statements for a page of 5 and a page of 100', async () => {
    const small = await statementsFor(nestedRead, { pageSize: 5 });
    const large = await statementsFor(nestedRead, { pageSize: 100 });
    expect(large.statements.length).toBe(small.statements.length);
  });

  // plugins/paginationCap.ts gives every connection a page size; that alone must not make
  // grafast fetch a page nobody selected (it did: `select /* NOTHING?! */ … limit 100`).
  it.each([
    ['totalCount', '{ runs { totalCount } }', (data: any) => expect(data.runs.totalCount).toBe(fixture.runs.length)],
    ['totalCount with first', '{ runs(first: 10) { totalCount } }', (data: any) => expect(data.runs.totalCount).toBe(fixture.runs.length)],
    [
      'groupedAggregates',
      '{ runs { groupedAggregates(groupBy: [STATUS]) { keys distinctCount { runId } } } }',
      (data: any) =>
        expect(data.runs.groupedAggregates.reduce((sum: number, group: any) => sum + Number(group.distinctCount.runId), 0)).toBe(fixture.runs.length),
    ],
  ])('a connection asked only for its %s sends one statement and reads no page', async (_field, query, check) => {
    const { data, statements } = await statementsFor(query);
    check(data);
    expect(statements, statements.join('\n---\n')).toHaveLength(1);
    expect(statements[0]).not.toMatch(/\blimit\b/i);
  });

  it('sends one statement however deep the relations go', async () => {
    const { data, statements } = await statementsFor(`{
      runFiles(first: 50) {
        nodes { uri run { status sample { sampleId patient { patientHash samples(first: 5) { nodes { runs(first: 5) { nodes { runId } } } } } } } }
      }
    }`);
    expect(data.runFiles.nodes).toHaveLength(50);
    expect(statements, statements.join('\n---\n')).toHaveLength(1);
  });

  it('sends one statement per root field', async () => {
    const { data, statements } = await statementsFor(`{
      samples(first: 5) { nodes { sampleId runs(first: 3) { nodes { runId } } } }
      runs(first: 5) { nodes { runId files(first: 3) { nodes { uri } } } }
    }`);
    expect(data.samples.nodes).toHaveLength(5);
    expect(data.runs.nodes).toHaveLength(5);
    expect(statements, statements.join('\n---\n')).toHaveLength(2);
    // the samples statement reads runs as well, the runs statement files; neither reads the other's root
    const readsOf = (statement: string) =>
      ['frontend_samples', 'frontend_runs', 'frontend_run_files'].filter((view) => statement.includes(`"${view}"`));
    expect(statements.map(readsOf).sort()).toEqual([
      ['frontend_runs', 'frontend_run_files'],
      ['frontend_samples', 'frontend_runs'],
    ]);
  });
});
