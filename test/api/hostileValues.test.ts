// Hostile values in every argument (issue 7): SQL-looking strings, NUL bytes, broken Unicode
// and huge strings, generated for every filter operator of every root connection (from the
// served schema) and for every field of every ingest mutation. Each answer is a 4xx or a
// GraphQL error with a clear message, never a 5xx or internals; a refused write changes
// nothing (row counts and audit checked); free text the pipeline may send is stored verbatim,
// which proves it reached Postgres as a parameter, never as SQL.
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputObjectType,
  type GraphQLInputType,
} from 'graphql';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/tokens.ts';
import { startTestApi, type TestApi } from '../support/apiServer.ts';
import { loadFixture, type Fixture } from '../support/fixtures.ts';

const sqlLooking = [
  "' or '1'='1",
  "'; drop table core.runs; --",
  '"; truncate core.audit_events; --',
  '1); delete from core.run_files where (1=1',
  '$$ || pg_sleep(5) || $$',
  "' union select patient_id_ciphertext::text from core.patients --",
  "\\'; select current_user; --",
  "%' and 1=(select count(*) from pg_roles) --",
];
/** Values no text field should take: NUL, a control character, a lone surrogate, empty, huge. */
const malformed = ['a\u0000b', 'line\u0007bell', 'broken \ud800 unicode', '', 'x'.repeat(100_000)];
const hostile = [...sqlLooking, ...malformed];

const served = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));

type Reply = { status: number; text: string; body: any };

let api: TestApi;
let fixture: Fixture;
let admin: pg.Client;
let ingestToken: string;

beforeAll(async () => {
  api = await startTestApi();
  fixture = await loadFixture(api.database, { patients: 4 });
  admin = await api.database.connect('admin');
  ingestToken = (await createToken(await api.database.connect('owner'), { name: 'hostile-pipeline', scopes: 'ingest' })).token;
}, 60_000);
afterAll(() => api?.stop());

async function post(body: string, token?: string): Promise<Reply> {
  const response = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

const send = (query: string, variables: Record<string, unknown>, token?: string): Promise<Reply> =>
  post(JSON.stringify({ query, variables }), token);

/**
 * No 5xx, and nothing internal in the answer. The hostile value itself may be quoted back (a
 * message naming the offending value), so it is cut out before looking for SQL or paths.
 */
function expectNoInternals(reply: Reply, value: unknown) {
  expect(reply.status, reply.text.slice(0, 500)).toBeLessThan(500);
  let text = reply.text;
  for (const part of [value].flat()) {
    if (typeof part === 'string' && part !== '') text = text.split(JSON.stringify(part).slice(1, -1)).join('');
  }
  expect(text).not.toMatch(/node_modules|\.[jt]s:\d+|\bat [A-Za-z.]+ \(/);
  expect(text).not.toMatch(/\bselect\b|\bfrom "|frontend_|core\.|sqlstate|syntax error at or near|pg_catalog/i);
  for (const error of reply.body.errors ?? []) {
    expect(error.message.length, 'an error message says what is wrong').toBeGreaterThan(10);
    expect(error.extensions?.code ?? 'GRAPHQL_VALIDATION', error.message).not.toBe('INTERNAL_SERVER_ERROR');
  }
}

/** Every table the pipeline writes, counted through the superuser (not the API). */
type Counts = { patients: number; samples: number; runs: number; run_files: number; audit_events: number; started_runs: number; finished_runs: number };

async function databaseCounts(): Promise<Counts> {
  const result = await admin.query(`
    select (select count(*) from core.patients)::int as patients,
           (select count(*) from core.samples)::int as samples,
           (select count(*) from core.runs)::int as runs,
           (select count(*) from core.run_files)::int as run_files,
           (select count(*) from core.audit_events)::int as audit_events,
           (select count(*) from core.runs where status <> 'PENDING')::int as started_runs,
           (select count(*) from core.runs where finished_at is not null)::int as finished_runs`);
  return result.rows[0];
}

// --- reads: every operator of every filter of every root connection -----------------------

type FilterCase = { connection: string; field: string; operator: string; type: GraphQLInputType };

/** The operators of the scalar and enum filters directly on each root connection's filter. */
function filterCases(): FilterCase[] {
  const cases: FilterCase[] = [];
  for (const rootField of Object.values(served.getQueryType()!.getFields())) {
    const filterArgument = rootField.args.find((argument) => argument.name === 'filter');
    if (!filterArgument) continue;
    const filterType = getNamedType(filterArgument.type) as GraphQLInputObjectType;
    for (const field of Object.values(filterType.getFields())) {
      const operatorType = getNamedType(field.type);
      // and/or/not and relation filters nest the same operators again
      if (!isInputObjectType(operatorType) || !/^(String|Int|BigInt|BigFloat|UUID|Boolean|Datetime|[A-Z][A-Za-z]*Type|RunStatus|FileRole)Filter$/.test(operatorType.name)) continue;
      for (const operator of Object.values(operatorType.getFields())) {
        cases.push({ connection: rootField.name, field: field.name, operator: operator.name, type: operator.type });
      }
    }
  }
  return cases;
}

const typeName = (type: GraphQLInputType): string =>
  isNonNullType(type) ? `${typeName(type.ofType)}!` : isListType(type) ? `[${typeName(type.ofType)}]` : type.name;

describe('hostile values in every filter operator', () => {
  const cases = filterCases();

  it('covers every root connection and every scalar filter field', () => {
    expect(new Set(cases.map((filter) => filter.connection))).toEqual(new Set(['patients', 'samples', 'runs', 'runFiles']));
    expect(cases.length).toBeGreaterThan(200);
  });

  it('answers each with data or a clear error, never a 5xx or internals', async () => {
    const total: Record<string, number> = {
      patients: fixture.patients.length,
      samples: fixture.samples.length,
      runs: fixture.runs.length,
      runFiles: fixture.files.length,
    };
    let answeredWithData = 0;
    let refused = 0;
    for (const [index, filter] of cases.entries()) {
      const named = getNamedType(filter.type);
      // strings get every hostile value; other types one (GraphQL refuses it before any SQL)
      const values = named.name === 'String' ? hostile : [hostile[index % sqlLooking.length]!];
      for (const value of values) {
        const variable = isListType(filter.type) ? [value, value] : value;
        const query = `query ($value: ${typeName(filter.type)}) {
          ${filter.connection}(first: 2, filter: { ${filter.field}: { ${filter.operator}: $value } }) { totalCount }
        }`;
        const reply = await send(query, { value: variable });
        expectNoInternals(reply, value);
        if (reply.body.errors) {
          refused += 1;
          expect(isScalarType(named) || isEnumType(named)).toBe(true);
        } else {
          answeredWithData += 1;
          const count = reply.body.data[filter.connection].totalCount;
          expect(count).toBeGreaterThanOrEqual(0);
          expect(count).toBeLessThanOrEqual(total[filter.connection]!);
        }
      }
    }
    // both paths were taken: strings reach SQL as values, the rest is refused by GraphQL
    expect(answeredWithData).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(50);
  }, 300_000);

  it.each(sqlLooking)('a SQL-looking value is compared as text: %s', async (value) => {
    const equal = await send('query ($value: String) { samples(filter: { sampleId: { equalTo: $value } }) { totalCount } }', { value });
    const different = await send('query ($value: String) { samples(filter: { sampleId: { notEqualTo: $value } }) { totalCount } }', { value });
    expect(equal.body).toEqual({ data: { samples: { totalCount: 0 } } });
    expect(different.body).toEqual({ data: { samples: { totalCount: fixture.samples.length } } });
  });

  // Built as JSON text: the test's own JSON.stringify would exhaust its stack at these depths.
  it.each([
    ['and/or', (depth: number) => `${'{"and":['.repeat(depth)}{"sampleId":{"equalTo":"SYN"}}${']}'.repeat(depth)}`],
    ['not', (depth: number) => `${'{"not":'.repeat(depth)}{"sampleId":{"equalTo":"SYN"}}${'}'.repeat(depth)}`],
  ])('a filter variable nesting %s deeply is refused before any SQL', async (_name, nestedFilter) => {
    for (const depth of [13, 200, 100_000]) {
      const body = `{"query":"query ($filter: SampleFilter) { samples(first: 1, filter: $filter) { totalCount } }","variables":{"filter":${nestedFilter(depth)}}}`;
      const reply = await post(body);
      expectNoInternals(reply, null);
      expect(reply.body.errors?.[0]?.message, reply.text.slice(0, 300)).toMatch(/nests input objects more than 12 levels deep/);
    }
  });

  it('a filter nested deeply inside the document is refused too', async () => {
    for (const depth of [13, 300, 50_000]) {
      const query = `{ samples(first: 1, filter: ${'{ not: '.repeat(depth)}{ sampleId: { equalTo: "SYN" } }${' }'.repeat(depth)}) { totalCount } }`;
      const reply = await post(JSON.stringify({ query }));
      expectNoInternals(reply, null);
      expect(reply.body.errors?.[0]?.message, reply.text.slice(0, 300)).toMatch(/nest|deep/i);
    }
  });

  it('arrays nested 500,000 deep in a variable, and a list of 150,000 values in the document, are answered clearly', async () => {
    const arrays = await post(
      `{"query":"query ($ids: [String!]) { samples(first: 1, filter: { sampleId: { in: $ids } }) { totalCount } }","variables":{"ids":${'['.repeat(500_000)}"x"${']'.repeat(500_000)}}}`,
    );
    expectNoInternals(arrays, null);
    expect(arrays.body.errors?.[0]?.message, arrays.text.slice(0, 300)).toMatch(/nests input objects more than 12 levels deep/);
    const longList = await send(`{ samples(first: 1, filter: { sampleId: { in: [${'"x",'.repeat(150_000)}"y"] } }) { totalCount } }`, {});
    expectNoInternals(longList, null);
    expect(longList.body, longList.text.slice(0, 300)).toEqual({ data: { samples: { totalCount: 0 } } });
  });

  it('a realistic filter twelve levels deep is answered', async () => {
    const reply = await send(
      `{ samples(first: 1, filter: { and: [{ not: { or: [{ runs: { some: { files: { some: { uri: { startsWith: "s3://" } } } } } }] } }] }) { totalCount } }`,
      {},
    );
    expect(reply.body.errors, reply.text.slice(0, 300)).toBeUndefined();
  });

  it('hostile cursors and orderings are refused with a clear message', async () => {
    for (const value of hostile) {
      for (const argument of ['after: $value', 'before: $value']) {
        const reply = await send(`query ($value: Cursor) { runs(first: 1, ${argument}) { totalCount } }`, { value });
        expectNoInternals(reply, value);
        expect(reply.body.errors?.length).toBeGreaterThan(0);
      }
      const ordering = await send('query ($value: [RunOrderBy!]) { runs(first: 1, orderBy: $value) { totalCount } }', { value: [value] });
      expectNoInternals(ordering, value);
      expect(ordering.body.errors?.length).toBeGreaterThan(0);
    }
  });
});

// --- writes: every field of every ingest mutation --------------------------------------------

type MutationCase = { name: string; document: string; input: Record<string, any>; value: string };

const documents = {
  registerSample: 'mutation ($input: RegisterSampleInput!) { registerSample(input: $input) { sample { sampleId } } }',
  registerRun: 'mutation ($input: RegisterRunInput!) { registerRun(input: $input) { run { runId } } }',
  startRun: 'mutation ($input: StartRunInput!) { startRun(input: $input) { run { runId status } } }',
  logRunOutputs: 'mutation ($input: LogRunOutputsInput!) { logRunOutputs(input: $input) { fileCount } }',
  finishRun: 'mutation ($input: FinishRunInput!) { finishRun(input: $input) { run { runId status } } }',
};

const checksum = (length: number) => 'ab'.repeat(length / 2);

/** Inputs that would succeed as they are: each case then spoils exactly one field. */
function validInputs(): Record<keyof typeof documents, Record<string, any>> {
  const pending = fixture.runs.find((run) => run.status === 'PENDING')!;
  const running = fixture.runs.find((run) => run.status === 'RUNNING')!;
  const file = { uri: 's3://synthetic-bucket/hostile/a.bam', format: 'BAM', sizeBytes: '10', md5: checksum(32), sha256: checksum(64), readNumber: 1 };
  return {
    registerSample: { sampleId: 'SYN-SMP-HOSTILE-1', patientId: 'SYN-PAT-HOSTILE-1', specimenType: 'BLOOD', timepoint: 1, collectionDate: '2021-03-04' },
    registerRun: { runId: '00000000-0000-4000-8000-00000000beef', sampleId: fixture.samples[0]!.sampleId, assayType: 'WGS', pipelineName: 'nf-core/sarek', pipelineVersion: '3.4.0', pipelineRevision: 'abc123', inputs: [{ ...file, uri: 's3://synthetic-bucket/hostile/in.fastq.gz', format: 'FASTQ' }] },
    startRun: { runId: pending.runId, executor: 'slurm', nextflowSessionId: '00000000-0000-4000-8000-0000000000aa' },
    logRunOutputs: { runId: running.runId, files: [file] },
    finishRun: { runId: running.runId, status: 'SUCCEEDED', exitCode: 0, message: 'done' },
  };
}

/** Every leaf field of an input, as a path: files.0.md5 and so on. */
function leafPaths(value: Record<string, any>, prefix: string[] = []): string[][] {
  return Object.entries(value).flatMap(([key, inner]) =>
    Array.isArray(inner)
      ? leafPaths(inner[0], [...prefix, key, '0'])
      : inner !== null && typeof inner === 'object'
        ? leafPaths(inner, [...prefix, key])
        : [[...prefix, key]],
  );
}

function withValue(input: Record<string, any>, path: string[], value: unknown): Record<string, any> {
  const copy = structuredClone(input);
  let target: any = copy;
  for (const key of path.slice(0, -1)) target = target[key];
  target[path.at(-1)!] = value;
  return copy;
}

/** Free text the pipeline may legitimately send: a SQL-looking value is data there. */
const freeText = new Set(['registerSample.patientId', 'registerRun.pipelineName', 'registerRun.pipelineVersion', 'registerRun.pipelineRevision', 'startRun.executor', 'finishRun.message']);

describe('hostile values in every ingest mutation field', () => {
  it('each is refused with a clear error and changes nothing', async () => {
    const before = await databaseCounts();
    const valid = validInputs();
    const cases: MutationCase[] = [];
    for (const [mutation, input] of Object.entries(valid) as Array<[keyof typeof documents, Record<string, any>]>) {
      for (const path of leafPaths(input)) {
        const name = `${mutation}.${path.filter((key) => key !== '0').join('.')}`;
        // free text takes SQL-looking values (stored verbatim, tested below) but never malformed ones
        for (const value of freeText.has(name) ? malformed : hostile) {
          cases.push({ name, document: documents[mutation], input: withValue(input, path, value), value });
        }
      }
    }
    expect(cases.length).toBeGreaterThan(250);
    const codes = new Set<string>();
    const accepted: string[] = [];
    for (const testCase of cases) {
      const reply = await send(testCase.document, { input: testCase.input }, ingestToken);
      expectNoInternals(reply, testCase.value);
      if (!reply.body.errors) accepted.push(`${testCase.name}: ${JSON.stringify(testCase.input).slice(0, 200)}`);
      for (const error of reply.body.errors ?? []) codes.add(error.extensions?.code ?? 'GRAPHQL_VALIDATION');
    }
    expect(accepted).toEqual([]);
    expect(await databaseCounts()).toEqual(before);
    // refused by GraphQL's types, by the ingest rules, or as an unknown row
    expect([...codes].sort()).toEqual(expect.arrayContaining(['GRAPHQL_VALIDATION', 'INVALID_INPUT']));
  }, 300_000);

  it('SQL-looking free text is stored verbatim, as data', async () => {
    const before = await databaseCounts();
    for (const [index, value] of sqlLooking.entries()) {
      const sampleId = `SYN-SMP-QUOTED-${index}`;
      const runId = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
      const steps: Array<[string, Record<string, unknown>]> = [
        [documents.registerSample, { sampleId, patientId: `SYN-PAT ${value}`, specimenType: 'SALIVA' }],
        [documents.registerRun, { runId, sampleId, assayType: 'WES', pipelineName: value, pipelineVersion: value, pipelineRevision: value }],
        [documents.startRun, { runId, executor: value }],
        [documents.finishRun, { runId, status: 'FAILED', exitCode: 1, message: value }],
      ];
      for (const [document, input] of steps) {
        const reply = await send(document, { input }, ingestToken);
        expect(reply.body.errors, reply.text.slice(0, 300)).toBeUndefined();
      }
      const stored = await admin.query(
        'select pipeline_name, pipeline_version, pipeline_revision, executor, message from core.runs where run_id = $1',
        [runId],
      );
      expect(stored.rows).toEqual([{ pipeline_name: value, pipeline_version: value, pipeline_revision: value, executor: value, message: value }]);
    }
    const after = await databaseCounts();
    const written = sqlLooking.length;
    expect(after).toEqual({
      patients: before.patients + written,
      samples: before.samples + written,
      runs: before.runs + written,
      run_files: before.run_files,
      audit_events: before.audit_events + 4 * written,
      started_runs: before.started_runs + written,
      finished_runs: before.finished_runs + written,
    });
  }, 120_000);
});
