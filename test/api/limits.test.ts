// The limits a public API needs (issue 3, item 5), over HTTP against live servers: page-size
// cap, depth, aliases, cost, body size, statement timeout, and masked errors. A refused query
// must be refused before any SQL runs, with extensions.code QUERY_LIMIT and a message that
// says what to change.
import type pg from 'pg';
import { getIntrospectionQuery } from 'postgraphile/graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/apiServer.ts';
import { loadFixture, type Fixture } from '../support/fixtures.ts';

const limits = {
  SEQMETA_MAX_PAGE_SIZE: '20',
  SEQMETA_DEFAULT_PAGE_SIZE: '5',
  SEQMETA_MAX_DEPTH: '6',
  SEQMETA_MAX_ALIASES: '4',
  SEQMETA_MAX_COST: '500',
  SEQMETA_MAX_BODY_BYTES: '4000',
};

let api: TestApi;
let fixture: Fixture;

beforeAll(async () => {
  api = await startTestApi(limits);
  // 24 samples: more than the page cap of 20, so a cap that did not hold would show
  fixture = await loadFixture(api.database, { patients: 12 });
});
afterAll(() => api?.stop());

/** Sends a query that the limits must refuse; checks no SQL ran and returns the errors. */
async function refused(query: string, variables?: Record<string, unknown>) {
  api.statements.length = 0;
  const response = await api.graphql(query, variables);
  expect(response.status).toBeLessThan(500);
  expect(response.body.data ?? null).toBeNull();
  expect(response.body.errors?.length, JSON.stringify(response.body)).toBeGreaterThan(0);
  expect(api.statements).toEqual([]);
  return response.body.errors as { message: string; extensions: { code: string; limit?: string } }[];
}

async function accepted(query: string, variables?: Record<string, unknown>) {
  const response = await api.graphql(query, variables);
  expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
  expect(response.status).toBe(200);
  return response.body.data;
}

describe('page size cap', () => {
  it.each([
    ['first', '{ samples(first: 21) { nodes { sampleId } } }'],
    ['last', '{ samples(last: 21) { nodes { sampleId } } }'],
    ['first of a nested connection', '{ samples(first: 1) { nodes { runs(first: 21) { totalCount } } } }'],
  ])('refuses %s above SEQMETA_MAX_PAGE_SIZE with a clear error', async (_name, query) => {
    const errors = await refused(query);
    expect(errors).toEqual([
      {
        message: expect.stringMatching(/must be a whole number from 0 to 20, got 21/),
        extensions: { code: 'QUERY_LIMIT', limit: 'PAGE_SIZE' },
      },
    ]);
  });

  it('refuses a page size above the cap given through a variable', async () => {
    const errors = await refused('query ($size: Int) { samples(first: $size) { nodes { sampleId } } }', { size: 21 });
    expect(errors[0]).toMatchObject({ message: expect.stringMatching(/got 21/), extensions: { code: 'QUERY_LIMIT' } });
  });

  it('refuses a page size above the cap given as a variable\'s default value', async () => {
    const errors = await refused('query ($size: Int = 21) { samples(first: $size) { nodes { sampleId } } }');
    expect(errors[0]).toMatchObject({ message: expect.stringMatching(/got 21/), extensions: { code: 'QUERY_LIMIT' } });
  });

  it('refuses a negative first', async () => {
    const errors = await refused('{ samples(first: -1) { nodes { sampleId } } }');
    expect(errors[0]).toMatchObject({
      message: expect.stringMatching(/`first` of `samples` must be a whole number from 0 to 20, got -1/),
      extensions: { code: 'QUERY_LIMIT', limit: 'PAGE_SIZE' },
    });
  });

  it('accepts a page of exactly the cap and returns that many rows', async () => {
    const data = await accepted('query ($size: Int = 20) { samples(first: $size) { nodes { sampleId } } }');
    expect(data.samples.nodes).toHaveLength(20);
    expect(fixture.samples.length).toBeGreaterThan(20);
  });
});

describe('depth, aliases and cost', () => {
  // depth counts selection sets: { samples { nodes { patient { samples { nodes { x } } } } } } is 6
  const sixDeep = '{ samples(first: 1) { nodes { patient { samples(first: 1) { nodes { sampleId } } } } } }';
  const sevenDeep = '{ samples(first: 1) { nodes { patient { samples(first: 1) { nodes { runs(first: 1) { totalCount } } } } } } }';

  it('accepts a query as deep as SEQMETA_MAX_DEPTH', async () => {
    const data = await accepted(sixDeep);
    expect(data.samples.nodes).toHaveLength(1);
  });

  it('refuses a query deeper than SEQMETA_MAX_DEPTH', async () => {
    const errors = await refused(sevenDeep);
    expect(errors).toEqual([
      {
        message: 'the query nests 7 levels deep; at most 6 are allowed',
        extensions: { code: 'QUERY_LIMIT', limit: 'DEPTH' },
      },
    ]);
  });

  it('counts the depth of fragments where they are spread', async () => {
    const errors = await refused(`
      { samples(first: 1) { ...Deep } }
      fragment Deep on SampleConnection { nodes { patient { samples(first: 1) { nodes { runs(first: 1) { totalCount } } } } } }
    `);
    expect(errors.map((error) => error.extensions.limit)).toEqual(['DEPTH']);
  });

  it('refuses deep nesting through the root `query` field', async () => {
    const errors = await refused('{ query { query { query { query { query { query { __typename } } } } } } }');
    expect(errors.map((error) => error.extensions.limit)).toEqual(['DEPTH']);
  });

  it('accepts SEQMETA_MAX_ALIASES aliases and refuses one more', async () => {
    const aliased = (count: number) =>
      `{ ${Array.from({ length: count }, (_, index) => `a${index}: samples(first: 1) { totalCount }`).join(' ')} }`;
    const data = await accepted(aliased(4));
    expect(Object.keys(data)).toHaveLength(4);
    const errors = await refused(aliased(5));
    expect(errors).toEqual([
      { message: 'the query uses 5 aliases; at most 4 are allowed', extensions: { code: 'QUERY_LIMIT', limit: 'ALIASES' } },
    ]);
  });

  it('counts aliases of introspection fields too (2,000 copies of the schema would cost seconds of CPU)', async () => {
    const query = `{ ${Array.from({ length: 5 }, (_, index) => `s${index}: __schema { types { name } }`).join(' ')} }`;
    const errors = await refused(query);
    expect(errors.map((error) => error.extensions.limit)).toEqual(['ALIASES']);
  });

  it('accepts a query whose nested page sizes multiply to at most SEQMETA_MAX_COST', async () => {
    // 20 samples + 20 x 20 runs = 420 rows at most
    const data = await accepted('{ samples(first: 20) { nodes { runs(first: 20) { totalCount } } } }');
    expect(data.samples.nodes).toHaveLength(20);
  });

  it('refuses a query whose nested page sizes multiply to more than SEQMETA_MAX_COST', async () => {
    // 20 + 20 x 20 + 20 x 20 x 2 = 1,220 rows at most
    const errors = await refused('{ samples(first: 20) { nodes { runs(first: 20) { nodes { files(first: 2) { totalCount } } } } } }');
    expect(errors).toEqual([
      {
        message: expect.stringMatching(/could read up to 1220 rows .* at most 500 are allowed: ask for smaller pages/),
        extensions: { code: 'QUERY_LIMIT', limit: 'COST' },
      },
    ]);
  });

  it('counts connections without first/last at the default page size', async () => {
    // 5 + 5 x 5 + 5 x 5 x 5 = 155: accepted; with first: 20 on the outer one, 620: refused
    await accepted('{ samples { nodes { runs { nodes { files { totalCount } } } } } }');
    const errors = await refused('{ samples(first: 20) { nodes { runs { nodes { files { totalCount } } } } } }');
    expect(errors.map((error) => error.extensions.limit)).toEqual(['COST']);
  });

  it('refuses a fragment bomb quickly instead of expanding it', async () => {
    // 1 kB of fragments, each spreading the next twice: 2^22 selections once expanded
    const levels = 22;
    const fragments = Array.from(
      { length: levels },
      (_, index) => `fragment F${index} on Query { ...F${index + 1} ...F${index + 1} }`,
    ).join('\n');
    const started = performance.now();
    const errors = await refused(`{ ...F0 }\n${fragments}\nfragment F${levels} on Query { __typename }`);
    expect(errors.map((error) => error.extensions.limit)).toEqual(['SELECTIONS']);
    expect(errors[0]!.message).toMatch(/spread fragments fewer times/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('introspection', () => {
  let defaultApi: TestApi;
  beforeAll(async () => {
    defaultApi = await startTestApi();
  });
  afterAll(() => defaultApi?.stop());

  it('answers the introspection query GraphiQL sends, under the default limits', async () => {
    const response = await defaultApi.graphql(getIntrospectionQuery());
    expect(response.body.errors).toBeUndefined();
    expect(response.status).toBe(200);
    const typeNames = response.body.data.__schema.types.map((type: { name: string }) => type.name);
    expect(typeNames).toEqual(expect.arrayContaining(['Patient', 'Sample', 'Run', 'RunFile']));
  });

  it('answers it under the tight limits as well (introspection reads no rows)', async () => {
    const response = await api.graphql(getIntrospectionQuery());
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.__schema.queryType.name).toBe('Query');
  });

  it('refuses introspection nested deep enough to multiply the schema (graphql-js MaxIntrospectionDepthRule)', async () => {
    const response = await defaultApi.graphql(
      '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }',
    );
    expect(response.status).toBeLessThan(500);
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors[0].message).toMatch(/Maximum introspection depth exceeded/);
  });
});

describe('request body size', () => {
  it('refuses a body over SEQMETA_MAX_BODY_BYTES with 413, and keeps serving', async () => {
    const padding = ' '.repeat(5_000);
    const response = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: `{ samples(first: 1) { totalCount } ${padding}}` }),
    });
    expect(response.status).toBe(413);
    const text = await response.text();
    expect(text).not.toMatch(/ at |node_modules|stack/i);
    const data = await accepted('{ samples(first: 1) { totalCount } }');
    expect(data.samples.totalCount).toBe(fixture.samples.length);
  });

  it('accepts a body just under the limit', async () => {
    const padding = ' '.repeat(3_000);
    const data = await accepted(`{ samples(first: 1) { totalCount } ${padding}}`);
    expect(data.samples.totalCount).toBe(fixture.samples.length);
  });
});

describe('statement timeout', () => {
  const timeoutMilliseconds = 400;
  let slowApi: TestApi;
  let owner: pg.Client;

  beforeAll(async () => {
    slowApi = await startTestApi({ SEQMETA_API_STATEMENT_TIMEOUT_MS: String(timeoutMilliseconds) });
    await loadFixture(slowApi.database, { patients: 3 });
    owner = await slowApi.database.connect('owner');
  });
  afterAll(() => slowApi?.stop());

  it('cancels a read that runs past SEQMETA_API_STATEMENT_TIMEOUT_MS with QUERY_TIMEOUT, then keeps serving', async () => {
    // A read that waits on a lock runs past any timeout, however fast the machine: this makes
    // "a query too slow for the timeout" deterministic. (The timeout cannot be set to 1 ms
    // instead: the same pool introspects the schema at start-up, which would be cancelled.)
    const warm = await slowApi.graphql('{ samples(first: 1) { totalCount } }');
    expect(warm.body.errors).toBeUndefined();
    await owner.query('begin');
    await owner.query('lock table core.samples in access exclusive mode');
    try {
      const started = performance.now();
      const response = await slowApi.graphql('{ samples(first: 5) { totalCount nodes { sampleId } } }');
      const elapsed = performance.now() - started;
      expect(response.status).toBeLessThan(500);
      expect(response.body.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(new RegExp(`cancelled after the statement timeout of ${timeoutMilliseconds} ms: ask for less`)),
          extensions: { code: 'QUERY_TIMEOUT' },
        }),
      ]);
      expect(JSON.stringify(response.body)).not.toMatch(/select|frontend_|core\.|canceling statement/i);
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMilliseconds - 50);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      await owner.query('rollback');
    }
    const after = await slowApi.graphql('{ samples(first: 5) { totalCount nodes { sampleId } } }');
    expect(after.body.errors).toBeUndefined();
    expect(after.body.data.samples.nodes).toHaveLength(5);
  });
});

describe('masked errors', () => {
  let owner: pg.Client;
  beforeAll(async () => {
    owner = await api.database.connect('owner');
  });

  it('shows an unexpected database error as a generic message with an error id, no SQL, no stack', async () => {
    // Revoking the view from the API's role makes the next read fail inside Postgres with
    // "permission denied for view frontend_run_files": an operator's problem, not the client's.
    await owner.query('revoke select on api.frontend_run_files from frontend_api');
    let response: { status: number; body: any };
    try {
      response = await api.graphql('{ runFiles(first: 1) { nodes { uri } } }');
    } finally {
      await owner.query('grant select on api.frontend_run_files to frontend_api');
    }
    expect(response.status).toBeLessThan(500);
    const [error] = response.body.errors;
    expect(error.extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      errorId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    });
    expect(error.message).toBe(`An unexpected error occurred; quote error id ${error.extensions.errorId} when reporting it.`);
    expect(error.path).toEqual(['runFiles']);
    expect(JSON.stringify(response.body)).not.toMatch(/permission|frontend_|select |core\.| at |node_modules|stack/i);

    // the privilege is back and so is the answer
    const data = await accepted('{ runFiles(first: 1) { nodes { uri } } }');
    expect(data.runFiles.nodes).toHaveLength(1);
  });

  it('gives each masked error its own id', async () => {
    await owner.query('revoke select on api.frontend_run_files from frontend_api');
    try {
      const first = await api.graphql('{ runFiles(first: 1) { nodes { uri } } }');
      const second = await api.graphql('{ runFiles(first: 1) { nodes { uri } } }');
      expect(first.body.errors[0].extensions.errorId).not.toBe(second.body.errors[0].extensions.errorId);
    } finally {
      await owner.query('grant select on api.frontend_run_files to frontend_api');
    }
  });
});
