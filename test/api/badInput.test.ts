// Bad input (issue 3): every malformed or hostile request gets a 4xx or a GraphQL error with a
// clear message, never a 5xx and never internals (SQL, stack traces, view or schema names),
// and the server answers the next valid request as usual.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/apiServer.ts';
import { loadFixture, type Fixture } from '../support/fixtures.ts';

let api: TestApi;
let fixture: Fixture;

beforeAll(async () => {
  api = await startTestApi();
  fixture = await loadFixture(api.database, { patients: 4 });
});
afterAll(() => api?.stop());

// After every bad request, a good one is answered.
afterEach(async () => {
  const response = await api.graphql('{ samples(first: 1) { totalCount nodes { sampleId } } }');
  expect(response.status).toBe(200);
  expect(response.body).toEqual({
    data: { samples: { totalCount: fixture.samples.length, nodes: [{ sampleId: expect.stringMatching(/^SYN-SMP-/) }] } },
  });
});

type Reply = { status: number; text: string; body: any };

async function post(body: string, contentType = 'application/json'): Promise<Reply> {
  const response = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json' },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

const graphql = async (query: string, variables?: Record<string, unknown>): Promise<Reply> =>
  post(JSON.stringify({ query, variables }));

/** A client error: 4xx, or 200 with GraphQL errors; a message matching `message`; nothing internal. */
function expectClientError(reply: Reply, message: RegExp) {
  expect(reply.status, reply.text).toBeGreaterThanOrEqual(200);
  expect(reply.status, reply.text).toBeLessThan(500);
  expect(reply.body.errors?.length, reply.text).toBeGreaterThan(0);
  expect(reply.body.errors.map((error: { message: string }) => error.message).join('\n')).toMatch(message);
  expect(reply.text).not.toMatch(/node_modules|\.js:\d+|\bat [A-Za-z.]+ \(|stack/);
  expect(reply.text).not.toMatch(/\bselect\b|\bfrom "|frontend_|core\.|api\.|sqlstate|syntax error at or near/i);
}

describe('malformed requests', () => {
  it('malformed JSON: 400', async () => {
    const reply = await post('{"query": "{ samples { totalCount } }"');
    expect(reply.status).toBe(400);
    expectClientError(reply, /the body is not valid JSON/);
  });

  it('a JSON body that is not an object: 400', async () => {
    const reply = await post('["{ samples { totalCount } }"]');
    expect(reply.status).toBe(400);
    expectClientError(reply, /must be one JSON object .* not an array \(batches are not supported/);
  });

  it('a body without a query string: 400', async () => {
    const reply = await post(JSON.stringify({ query: 42 }));
    expect(reply.status).toBe(400);
    expectClientError(reply, /query must be a string/);
  });

  it('a body that is not GraphQL: a syntax error', async () => {
    const reply = await graphql('hello, is this the sequencing database?');
    expectClientError(reply, /Syntax Error/);
  });

  it('a content type the endpoint does not take: 415', async () => {
    const reply = await post(JSON.stringify({ query: '{ samples { totalCount } }' }), 'text/plain');
    expect(reply.status).toBe(415);
    expectClientError(reply, /Media type 'text\/plain' is not allowed/);
  });

  it('a form post (what a cross-site form would send): 415', async () => {
    const reply = await post('query=%7B%20samples%20%7B%20totalCount%20%7D%20%7D', 'application/x-www-form-urlencoded');
    expect(reply.status).toBe(415);
    expectClientError(reply, /not allowed/);
  });

  it('GET /graphql: 405, use POST', async () => {
    const response = await fetch(`${api.url}/graphql?query=${encodeURIComponent('{ samples { totalCount } }')}`, {
      headers: { accept: 'application/json' },
    });
    const text = await response.text();
    expect(response.status).toBe(405);
    expectClientError({ status: response.status, text, body: JSON.parse(text) }, /please use POST/);
  });
});

describe('invalid GraphQL', () => {
  it('an unknown field names the field and the type', async () => {
    const reply = await graphql('{ samples(first: 1) { nodes { patientId } } }');
    expectClientError(reply, /Cannot query field "patientId" on type "Sample"/);
  });

  it('an unknown argument', async () => {
    const reply = await graphql('{ samples(limit: 1) { totalCount } }');
    expectClientError(reply, /Unknown argument "limit"/);
  });

  it('a variable of the wrong type', async () => {
    const reply = await graphql(
      'query ($year: Int) { samples(first: 1, filter: { collectionYear: { equalTo: $year } }) { totalCount } }',
      { year: 'twenty twenty' },
    );
    expectClientError(reply, /Variable "\$year" got invalid value "twenty twenty"; Int cannot represent non-integer value/);
  });

  it('a page size variable that is not a whole number', async () => {
    // the limits see the variables before GraphQL coerces them, and say what they need
    const reply = await graphql('query ($size: Int) { samples(first: $size) { totalCount } }', { size: 'ten' });
    expectClientError(reply, /`first` of `samples` must be a whole number from 0 to 1000, got "ten"/);
  });

  it('several operations and no operationName', async () => {
    const reply = await graphql('query A { samples(first: 1) { totalCount } } query B { runs(first: 1) { totalCount } }');
    expectClientError(reply, /operation name/i);
  });
});

describe('invalid values', () => {
  it('an invalid UUID in run(runId:)', async () => {
    const reply = await graphql('{ run(runId: "not-a-uuid") { runId } }');
    expectClientError(reply, /Invalid UUID/);
  });

  it('an invalid UUID in a variable', async () => {
    const reply = await graphql('query ($id: UUID!) { run(runId: $id) { runId } }', { id: "1' or '1'='1" });
    expectClientError(reply, /Invalid UUID/);
  });

  it.each([
    ['negative first', '{ samples(first: -5) { totalCount } }', /must be a whole number from 0 to 1000, got -5/],
    ['first above the cap', '{ samples(first: 1000000) { totalCount } }', /must be a whole number from 0 to 1000, got 1000000/],
    ['first beyond a 32-bit integer', '{ samples(first: 99999999999) { totalCount } }', /Int cannot represent non 32-bit signed integer value/],
    ['negative last', '{ samples(last: -1) { totalCount } }', /`last` of `samples` must be a whole number/],
  ])('%s', async (_name, query, message) => {
    const reply = await graphql(query);
    expectClientError(reply, message);
  });

  it('a cursor that was never issued', async () => {
    const reply = await graphql('{ samples(first: 1, after: "not a cursor") { totalCount } }');
    expectClientError(reply, /Invalid cursor/);
  });

  // Values GraphQL accepts but Postgres refuses (SQLSTATE class 22). They are the client's
  // mistake, so the client hears so, without Postgres' own text (which may quote values).
  it.each([
    ['a BigInt filter value that is not a number', '{ runFiles(filter: { sizeBytes: { equalTo: "abc" } }) { totalCount } }'],
    ['a BigInt filter value out of range', '{ runFiles(filter: { sizeBytes: { greaterThan: "99999999999999999999999" } }) { totalCount } }'],
    ['a LIKE pattern ending in its escape character', '{ runFiles(filter: { uri: { like: "%\\\\" } }) { totalCount } }'],
    // base64 of ["ae04a17fc8","not-a-uuid"]: the shape of a real cursor with a doctored key
    ['a doctored cursor', `{ runs(first: 1, after: "${Buffer.from(JSON.stringify(['ae04a17fc8', 'not-a-uuid'])).toString('base64')}") { totalCount } }`],
  ])('%s: INVALID_INPUT with an error id', async (_name, query) => {
    const reply = await graphql(query);
    expectClientError(reply, /a value in the request .* is not valid for the field it is used on/);
    expect(reply.body.errors[0].extensions).toEqual({ code: 'INVALID_INPUT', errorId: expect.any(String) });
    expect(reply.text).not.toMatch(/invalid input syntax|out of range|escape|bigint/i);
  });
});

describe('hostile requests', () => {
  it('a too-deep query', async () => {
    const deep = '{ query '.repeat(20) + '{ __typename }' + ' }'.repeat(20);
    const reply = await graphql(deep);
    expectClientError(reply, /nests \d+ levels deep; at most 12 are allowed/);
    expect(reply.body.errors[0].extensions.code).toBe('QUERY_LIMIT');
  });

  it('a too-costly query', async () => {
    const reply = await graphql(
      '{ samples(first: 1000) { nodes { runs(first: 1000) { nodes { files(first: 1000) { totalCount } } } } } }',
    );
    expectClientError(reply, /could read up to \d+ rows/);
    expect(reply.body.errors[0].extensions.code).toBe('QUERY_LIMIT');
  });

  it('an oversized body: 413', async () => {
    const reply = await post(JSON.stringify({ query: '{ samples { totalCount } }', padding: 'x'.repeat(api.config.server.maximumBodyBytes) }));
    expect(reply.status).toBe(413);
    expectClientError(reply, /Too much data/);
  });
});
