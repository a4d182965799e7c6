// The pipeline's HTTP client against a scripted local HTTP server (the real API cannot be
// made to answer 503 on demand): what it sends, what it retries and what it never retries.
// The whole pipeline flow against the real API is test/api/pipelineCli.test.ts.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, createApiClient, graphqlEndpoint, type RetryNotice } from '../../src/client/apiClient.ts';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
type Received = { headers: IncomingMessage['headers']; body: string };

let server: Server;
let url: string;
let replies: Reply[] = [];
let received: Received[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      const reply = replies.shift() ?? { status: 200, body: { data: { ok: true } } };
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  replies = [];
  received = [];
});

const TOKEN = 'seqmeta_00000000000000000000000000000000_unit-test-token-not-a-real-one-aaaaaaaaaaa';
const client = (options: { retries?: number; onRetry?: (notice: RetryNotice) => void; token?: string | null } = {}) =>
  createApiClient({ apiUrl: url, token: TOKEN, baseDelayMilliseconds: 5, maximumDelayMilliseconds: 20, ...options });

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('createApiClient', () => {
  it('posts the query and variables to /graphql with the bearer token and a request id', async () => {
    replies = [{ status: 200, body: { data: { run: { runId: 'x' } } } }];
    const data = await client().request('query Q($id: UUID!) { run(runId: $id) { runId } }', { id: 'x' });
    expect(data).toEqual({ run: { runId: 'x' } });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(request!.body)).toEqual({ query: 'query Q($id: UUID!) { run(runId: $id) { runId } }', variables: { id: 'x' } });
  });

  it('sends no Authorization header without a token', async () => {
    await client({ token: null }).request('{ ok }');
    expect(received[0]!.headers.authorization).toBeUndefined();
  });

  it('retries 503, 502 and 429 under the same request id, then returns the answer', async () => {
    replies = [{ status: 503 }, { status: 502, body: 'Bad Gateway' }, { status: 429, headers: { 'retry-after': '0' } }, { status: 200, body: { data: { ok: 1 } } }];
    const notices: RetryNotice[] = [];
    expect(await client({ onRetry: (notice) => notices.push(notice) }).request('{ ok }')).toEqual({ ok: 1 });
    expect(received).toHaveLength(4);
    expect(new Set(received.map((request) => request.headers['x-request-id'])).size).toBe(1);
    expect(new Set(received.map((request) => request.body)).size).toBe(1);
    expect(notices.map((notice) => [notice.attempt, notice.reason])).toEqual([
      [1, 'HTTP 503'],
      [2, 'HTTP 502'],
      [3, 'HTTP 429'],
    ]);
    expect(notices.every((notice) => notice.requestId === received[0]!.headers['x-request-id'])).toBe(true);
    expect(JSON.stringify(notices)).not.toContain(TOKEN);
  });

  it("waits out a 429's Retry-After (the server's rate limits), but never longer than its longest delay", async () => {
    // the body the server sends with a 429 (src/http/rateLimits.ts)
    const rateLimited = (seconds: string): Reply => ({
      status: 429,
      headers: { 'retry-after': seconds },
      body: { errors: [{ message: `too many requests; try again in ${seconds} s`, extensions: { code: 'RATE_LIMITED' } }] },
    });
    replies = [rateLimited('1'), { status: 200, body: { data: { ok: 1 } } }];
    const notices: RetryNotice[] = [];
    const started = Date.now();
    const patient = createApiClient({ apiUrl: url, token: TOKEN, baseDelayMilliseconds: 5, maximumDelayMilliseconds: 5_000, onRetry: (notice) => notices.push(notice) });
    expect(await patient.request('{ ok }')).toEqual({ ok: 1 });
    expect(notices.map((notice) => [notice.reason, notice.delayMilliseconds])).toEqual([['HTTP 429', 1_000]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    replies = [rateLimited('3600'), { status: 200, body: { data: { ok: 2 } } }];
    notices.length = 0;
    expect(await client({ onRetry: (notice) => notices.push(notice) }).request('{ ok }')).toEqual({ ok: 2 });
    expect(notices.map((notice) => notice.delayMilliseconds)).toEqual([20]);
  });

  it('gives each logical call its own request id', async () => {
    const api = client();
    await api.request('{ ok }');
    await api.request('{ ok }');
    expect(received[0]!.headers['x-request-id']).not.toBe(received[1]!.headers['x-request-id']);
  });

  it('gives up after the retries with UNREACHABLE, sending retries + 1 times', async () => {
    replies = [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200, body: { data: { ok: 1 } } }];
    const error = await failure(client({ retries: 2 }).request('{ ok }'));
    expect(error.code).toBe('UNREACHABLE');
    expect(error.status).toBe(500);
    expect(error.message).toContain('after 3 attempts');
    expect(received).toHaveLength(3);
  });

  it('retries a refused connection and reports UNREACHABLE without a URL credential or token', async () => {
    // a port that was free a moment ago: nothing listens there
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const notices: RetryNotice[] = [];
    const unreachable = createApiClient({
      apiUrl: `http://127.0.0.1:${closedPort}`,
      token: TOKEN,
      retries: 2,
      baseDelayMilliseconds: 5,
      onRetry: (notice) => notices.push(notice),
    });
    const error = await failure(unreachable.request('mutation { x }', { patientId: 'SYN-PAT-SECRET' }));
    expect(error.code).toBe('UNREACHABLE');
    expect(error.status).toBeNull();
    expect(notices.map((notice) => notice.reason)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
    expect(`${error.message}${JSON.stringify(notices)}`).not.toMatch(/SYN-PAT-SECRET|unit-test-token/);
  });

  it('never retries a GraphQL error and carries its code and message', async () => {
    replies = [{ status: 200, body: { errors: [{ message: 'no run 123', extensions: { code: 'NOT_FOUND' } }], data: { startRun: null } } }];
    const error = await failure(client().request('mutation { startRun }'));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('no run 123');
    expect(error.requestId).toBe(received[0]!.headers['x-request-id']);
    expect(received).toHaveLength(1);
  });

  it('never retries a 4xx: 401 is UNAUTHENTICATED, 413 PAYLOAD_TOO_LARGE, 400 without a body HTTP_400', async () => {
    replies = [{ status: 401, body: { errors: [{ message: 'invalid or expired token', extensions: { code: 'UNAUTHENTICATED' } }] } }];
    expect((await failure(client().request('{ ok }'))).code).toBe('UNAUTHENTICATED');
    replies = [{ status: 413, body: 'Too much data' }];
    expect((await failure(client().request('{ ok }'))).code).toBe('PAYLOAD_TOO_LARGE');
    replies = [{ status: 400, body: {} }];
    expect((await failure(client().request('{ ok }'))).code).toBe('HTTP_400');
    expect(received).toHaveLength(3);
  });

  it('says the token is missing when a call without one is refused', async () => {
    replies = [{ status: 200, body: { errors: [{ message: 'ingest needs a token', extensions: { code: 'FORBIDDEN' } }] } }];
    const error = await failure(client({ token: null }).request('mutation { x }'));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('SEQMETA_TOKEN is not set');
  });

  it('calls an answer that is not JSON a BAD_RESPONSE', async () => {
    replies = [{ status: 200, body: '<html>login page</html>' }];
    expect((await failure(client().request('{ ok }'))).code).toBe('BAD_RESPONSE');
  });
});

describe('graphqlEndpoint', () => {
  it('adds /graphql unless it is there', () => {
    expect(graphqlEndpoint('https://seqmeta.example.org')).toBe('https://seqmeta.example.org/graphql');
    expect(graphqlEndpoint('https://seqmeta.example.org/api/')).toBe('https://seqmeta.example.org/api/graphql');
    expect(graphqlEndpoint('https://seqmeta.example.org/graphql')).toBe('https://seqmeta.example.org/graphql');
  });
});
