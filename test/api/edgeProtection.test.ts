// What stands between the network and GraphQL, over HTTP against live servers: the CORS
// allowlist (and no CORS headers by default), security headers on JSON and on GraphiQL,
// the limit on refused tokens per client address (answered before any token look-up) and
// on requests per token, SEQMETA_TRUST_PROXY, introspection and GraphiQL turned off, and
// trusted documents (persisted operations) with the pipeline's CLI still working through them.
// Limits are set low through the environment, as an operator would.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createPools, type Pools } from '../../src/pools.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createToken } from '../../src/tokens.ts';
import { stopRunningServer, testPhiKeys } from '../support/apiServer.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

type Served = {
  url: string;
  config: Config;
  database: TestDatabase;
  /** token look-ups the server has sent to the database (core.api_tokens) */
  tokenLookups: () => number;
  tokenFor: (name: string, scopes: string) => Promise<string>;
  stop: () => Promise<void>;
};

/** The real server over a fresh database, composed as src/main.ts does, counting token look-ups. */
async function serve(environment: Record<string, string>): Promise<Served> {
  const database = await createTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', ...environment });
  const logger = createLogger(config);
  const pools: Pools = createPools({ admin: null, owner: null, etl: database.urls.etl, api: database.urls.api }, config.server, logger);
  let lookups = 0;
  const query = pools.etl.query.bind(pools.etl) as (...args: unknown[]) => unknown;
  (pools.etl as { query: unknown }).query = (...args: unknown[]) => {
    const first = args[0] as string | { text: string };
    if ((typeof first === 'string' ? first : first.text).includes('core.api_tokens')) lookups += 1;
    return query(...args);
  };
  let server: RunningServer;
  try {
    server = await startServer({ config, pools, logger, keys: testPhiKeys() });
  } catch (error) {
    await pools.close();
    await database.destroy();
    throw error;
  }
  let owner: pg.Client | null = null;
  return {
    url: server.url,
    config,
    database,
    tokenLookups: () => lookups,
    async tokenFor(name, scopes) {
      owner ??= await database.connect('owner');
      return (await createToken(owner, { name, scopes })).token;
    },
    async stop() {
      await stopRunningServer(server);
      await pools.close();
      await database.destroy();
    },
  };
}

type Answer = { status: number; headers: Headers; body: any };

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // left as text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

const COUNT = '{ samples(first: 1) { totalCount } }';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** the same token with its last character changed: well-formed, so the server looks it up */
const wrongSecret = (token: string) => `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => body.errors?.map((error) => error.extensions?.code);

const FRONTEND = 'https://frontend.example.org';

describe('with CORS origins, low limits and a trusted proxy', () => {
  let served: Served;
  let readToken: string;
  let otherReadToken: string;

  beforeAll(async () => {
    served = await serve({
      SEQMETA_CORS_ORIGINS: `${FRONTEND}, https://other-frontend.example.org:8443`,
      SEQMETA_TRUST_PROXY: 'loopback',
      SEQMETA_AUTH_FAILURES_PER_MINUTE: '3',
      SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN: '4',
    });
    readToken = await served.tokenFor('edge-reader', 'read');
    otherReadToken = await served.tokenFor('edge-other-reader', 'read');
  }, 60_000);
  afterAll(() => served?.stop());

  // Each test speaks from its own client address (X-Forwarded-For, believed from loopback),
  // so that one test's limit does not spill into the next.
  const from = (address: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': address, ...headers });

  it('lets an allowed origin read the answer: Access-Control-Allow-Origin is that origin', async () => {
    const answer = await post(served.url, { query: COUNT }, from('198.51.100.1', { origin: FRONTEND }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(answer.headers.get('vary')).toMatch(/Origin/i);
    expect(answer.headers.get('access-control-expose-headers')).toMatch(/Retry-After/i);
  });

  it('sends no Access-Control-Allow-Origin to any other origin, however close', async () => {
    for (const origin of ['https://evil.example.org', 'https://frontend.example.org.evil.example', 'http://frontend.example.org', 'null']) {
      const answer = await post(served.url, { query: COUNT }, from('198.51.100.2', { origin }));
      expect(answer.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('answers the preflight of an allowed origin with the headers a page may send', async () => {
    const response = await fetch(`${served.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: FRONTEND,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-request-id',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',').map((name) => name.trim());
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-request-id']));
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers the preflight of another origin without Access-Control-Allow-Origin, so the browser refuses', async () => {
    const response = await fetch(`${served.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('puts the security headers and a strict Content-Security-Policy on /graphql, its errors and the probes', async () => {
    const answers = [
      await post(served.url, { query: COUNT }, from('198.51.100.3')),
      await post(served.url, { query: '{ nosuchfield }' }, from('198.51.100.3')),
      await post(served.url, { query: COUNT }, from('198.51.100.3', { authorization: 'Bearer not-a-token' })),
    ];
    const probe = await fetch(`${served.url}/healthz`);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 401]);
    for (const headers of [...answers.map((answer) => answer.headers), probe.headers]) {
      expect(headers.get('content-security-policy')).toMatch(/^default-src 'none';.*frame-ancestors 'none'/);
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
      expect(headers.get('x-powered-by')).toBeNull();
    }
  });

  it('gives GraphiQL a policy of its own: scripts from itself or with the page nonce, written into every script tag', async () => {
    const response = await fetch(`${served.url}/graphiql`);
    expect(response.status).toBe(200);
    const policy = response.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    expect(policy).toMatch(/script-src 'self' 'nonce-/);
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    const scriptTags = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scriptTags.length).toBeGreaterThan(3);
    for (const tag of scriptTags) expect(tag).toContain(`nonce="${nonce}"`);
    // a new page, a new nonce
    const again = await fetch(`${served.url}/graphiql`);
    expect(again.headers.get('content-security-policy')).not.toContain(nonce);
  });

  it('after N refused tokens from one address, answers its token requests 429 with Retry-After, without looking tokens up', async () => {
    const address = '198.51.100.10';
    const before = served.tokenLookups();
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await post(served.url, { query: COUNT }, from(address, bearer(wrongSecret(readToken))));
      expect(answer.status).toBe(401);
    }
    expect(served.tokenLookups()).toBe(before + 3);

    // a wrong token, and then even the right one, are no longer looked at
    for (const token of [wrongSecret(readToken), readToken]) {
      const answer = await post(served.url, { query: COUNT }, from(address, bearer(token)));
      expect(answer.status).toBe(429);
      const retryAfter = Number(answer.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(answer.body).toEqual({
        errors: [
          {
            message: expect.stringMatching(/too many refused tokens from this address; try again in \d+ s/),
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
          },
        ],
      });
      expect(answer.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    }
    expect(served.tokenLookups()).toBe(before + 3);

    // the same address without a token is not concerned (anonymous reads are on here)
    expect((await post(served.url, { query: COUNT }, from(address))).status).toBe(200);
    // nor is another address: the trusted proxy's X-Forwarded-For names the client
    expect((await post(served.url, { query: COUNT }, from('198.51.100.11', bearer(readToken)))).status).toBe(200);
  });

  it('still accepts, while an address is held back, a token the server accepted within its cache time, without a look-up', async () => {
    // behind a proxy that is not trusted, every client is that address: one client's bad
    // tokens must not stop a pipeline whose token is already known to be good
    const address = '198.51.100.30';
    const pipeline = await served.tokenFor('edge-cached-pipeline', 'read');
    const notYetSeen = await served.tokenFor('edge-not-yet-seen', 'read');
    expect((await post(served.url, { query: COUNT }, from(address, bearer(pipeline)))).status).toBe(200);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await post(served.url, { query: COUNT }, from(address, bearer(wrongSecret(readToken))))).status).toBe(401);
    }
    const lookups = served.tokenLookups();
    const answer = await post(served.url, { query: COUNT }, from(address, bearer(pipeline)));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { samples: { totalCount: 0 } } });
    // a token not in the cache, good or bad, still waits: it would cost a look-up
    for (const token of [notYetSeen, wrongSecret(pipeline)]) {
      expect((await post(served.url, { query: COUNT }, from(address, bearer(token)))).status).toBe(429);
    }
    expect(served.tokenLookups()).toBe(lookups);
  });

  it('counts only refusals: many good requests from one address are never held back by the failure limit', async () => {
    const tokens = [readToken, otherReadToken];
    for (let round = 0; round < 3; round++) {
      for (const token of tokens) {
        const answer = await post(served.url, { query: COUNT }, from(`198.51.100.${20 + round}`, bearer(token)));
        expect(answer.status).toBe(200);
      }
    }
  });

  it('answers 429 with Retry-After once a token has sent its requests for the minute, and not to another token', async () => {
    const token = await served.tokenFor('edge-busy-reader', 'read');
    const bystander = await served.tokenFor('edge-bystander', 'read');
    const statuses: number[] = [];
    let last: Answer | null = null;
    for (let request = 0; request < 6; request++) {
      // from ever new addresses: the limit follows the token, not the address
      last = await post(served.url, { query: COUNT }, from(`203.0.113.${request + 1}`, bearer(token)));
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(codes(last!.body)).toEqual(['RATE_LIMITED']);
    expect(last!.body.errors[0].message).toContain('token "edge-busy-reader" sent more than 4 in a minute');
    expect((await post(served.url, { query: COUNT }, from('203.0.113.1', bearer(bystander)))).status).toBe(200);
  });

  it('limits callers without a token by their address', async () => {
    const statuses: number[] = [];
    for (let request = 0; request < 5; request++) statuses.push((await post(served.url, { query: COUNT }, from('203.0.113.200'))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await post(served.url, { query: COUNT }, from('203.0.113.201'))).status).toBe(200);
  });
});

describe('with defaults for CORS and proxies, introspection and GraphiQL off', () => {
  let served: Served;
  let readToken: string;

  beforeAll(async () => {
    served = await serve({ SEQMETA_GRAPHIQL: 'false', SEQMETA_INTROSPECTION: 'false', SEQMETA_AUTH_FAILURES_PER_MINUTE: '2' });
    readToken = await served.tokenFor('edge-reader', 'read');
  }, 60_000);
  afterAll(() => served?.stop());

  it('sends no CORS headers at all: browsers on other origins are refused', async () => {
    const answer = await post(served.url, { query: COUNT }, { origin: FRONTEND });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${served.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: FRONTEND, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('refuses __schema and __type with INTROSPECTION_DISABLED, before running anything', async () => {
    for (const query of [
      '{ __schema { types { name } } }',
      '{ __type(name: "Sample") { fields { name } } }',
      '{ samples(first: 1) { totalCount } __schema { queryType { name } } }',
      'query { ...Everything } fragment Everything on Query { __schema { directives { name } } }',
    ]) {
      const answer = await post(served.url, { query });
      expect(answer.body.data, query).toBeUndefined();
      expect(codes(answer.body), query).toEqual(['INTROSPECTION_DISABLED']);
      expect(answer.body.errors[0].message).toContain('introspection is turned off on this server');
    }
  });

  it('still answers __typename and ordinary queries', async () => {
    expect((await post(served.url, { query: '{ __typename samples(first: 1) { totalCount } }' })).body).toEqual({
      data: { __typename: 'Query', samples: { totalCount: 0 } },
    });
  });

  it('answers /graphiql and its assets 404, the page with a short text', async () => {
    const page = await fetch(`${served.url}/graphiql`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await page.text()).toMatch(/^GraphiQL is turned off on this server/);
    expect((await fetch(`${served.url}/ruru-static/ruru.js`)).status).toBe(404);
  });

  it('ignores X-Forwarded-For unless SEQMETA_TRUST_PROXY says whom to believe', async () => {
    for (const address of ['192.0.2.1', '192.0.2.2']) {
      const answer = await post(served.url, { query: COUNT }, { 'x-forwarded-for': address, ...bearer(wrongSecret(readToken)) });
      expect(answer.status).toBe(401);
    }
    // a third "address" is the same socket address: the limit of 2 applies
    const answer = await post(served.url, { query: COUNT }, { 'x-forwarded-for': '192.0.2.3', ...bearer(readToken) });
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('with trusted documents (SEQMETA_PERSISTED_OPERATIONS_DIR)', () => {
  const SAMPLE_COUNT = 'query SampleCount { samples(first: 1) { totalCount } }';
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  let folder: string;
  let served: Served;
  let readToken: string;
  let pipelineToken: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-trusted-documents-'));
    await writeFile(path.join(folder, `${sha256(SAMPLE_COUNT)}.graphql`), SAMPLE_COUNT);
    await writeFile(path.join(folder, 'README.md'), 'not a document');
    served = await serve({ SEQMETA_PERSISTED_OPERATIONS_DIR: folder, SEQMETA_ALLOW_ANONYMOUS_READS: 'true' });
    readToken = await served.tokenFor('edge-reader', 'read');
    pipelineToken = await served.tokenFor('edge-pipeline', 'ingest,read');
  }, 60_000);
  afterAll(async () => {
    await served?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('is on, and lets only tokens with the ingest scope send their own documents by default', () => {
    expect(served.config.edge.persistedOperationsDirectory).toBe(folder);
    expect(served.config.edge.unpersistedOperationsFrom).toBe('ingest');
  });

  it('runs a published document named by its id (documentId, plain or sha256:-prefixed, or Apollo\'s sha256Hash)', async () => {
    const id = sha256(SAMPLE_COUNT);
    expect((await post(served.url, { documentId: id })).body).toEqual({ data: { samples: { totalCount: 0 } } });
    expect((await post(served.url, { documentId: `sha256:${id}` })).body).toEqual({ data: { samples: { totalCount: 0 } } });
    expect((await post(served.url, { extensions: { persistedQuery: { version: 1, sha256Hash: id } } }, bearer(readToken))).body).toEqual({
      data: { samples: { totalCount: 0 } },
    });
  });

  it('runs the stored document when a body names a known id and sends a query too, for every caller', async () => {
    const id = sha256(SAMPLE_COUNT);
    // the sent query would count runs; the stored document counts samples
    for (const headers of [{}, bearer(readToken), bearer(pipelineToken)]) {
      const answer = await post(served.url, { documentId: id, query: '{ runs(first: 1) { totalCount } }' }, headers);
      expect(answer.body).toEqual({ data: { samples: { totalCount: 0 } } });
    }
  });

  it('refuses an unknown id with a clear message', async () => {
    const unknown = sha256('{ patients { totalCount } }');
    const answer = await post(served.url, { documentId: unknown });
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(['PERSISTED_OPERATION_NOT_FOUND']);
    expect(answer.body.errors[0].message).toBe(`no trusted document has the id "${unknown}": is the frontend newer than the server's documents?`);
    expect(answer.body.data).toBeUndefined();
    const malformed = await post(served.url, { documentId: '../../etc/passwd' });
    expect(codes(malformed.body)).toEqual(['PERSISTED_OPERATION_NOT_FOUND']);
  });

  it('refuses documents of their own from anonymous callers and from read tokens', async () => {
    for (const headers of [{}, bearer(readToken)]) {
      // even the text of a published document: callers name it by id
      for (const query of [SAMPLE_COUNT, '{ samples(first: 1000) { nodes { sampleId } } }']) {
        const answer = await post(served.url, { query }, headers);
        expect(answer.status).toBe(400);
        expect(codes(answer.body)).toEqual(['PERSISTED_OPERATION_REQUIRED']);
        expect(answer.body.errors[0].message).toMatch(/^this server runs trusted documents only: send `documentId`/);
      }
    }
  });

  it("picks up a new frontend's documents without a restart", async () => {
    const newer = 'query RunCount { runs(first: 1) { totalCount } }';
    await writeFile(path.join(folder, `${sha256(newer)}.graphql`), newer);
    // an unknown id makes the server read the folder again, at most every 5 seconds
    await expect
      .poll(async () => (await post(served.url, { documentId: sha256(newer) })).body, { timeout: 20_000, interval: 500 })
      .toEqual({ data: { runs: { totalCount: 0 } } });
  }, 30_000);

  it('lets a token with the ingest scope send its own documents', async () => {
    const answer = await post(served.url, { query: '{ runs(first: 1) { totalCount } }' }, bearer(pipelineToken));
    expect(answer.body).toEqual({ data: { runs: { totalCount: 0 } } });
  });

  it("keeps the pipeline's CLI working: register, start, fetch inputs, finish", async () => {
    const environment = { SEQMETA_URL: served.url, SEQMETA_TOKEN: pipelineToken };
    const runId = randomUUID();
    const steps = [
      ['register-sample', '--sample-id', 'SYN-EDGE-S1', '--patient-id', 'SYN-PAT-EDGE-1', '--specimen-type', 'TUMOUR'],
      [
        'register-run', '--run-id', runId, '--sample-id', 'SYN-EDGE-S1', '--assay-type', 'WGS',
        '--pipeline-name', 'nf-core/sarek', '--pipeline-version', '3.5.1',
        '--input', 's3://lab/SYN-EDGE-S1_L001_R1_001.fastq.gz', '--input', 's3://lab/SYN-EDGE-S1_L001_R2_001.fastq.gz',
      ],
      ['start-run', '--run-id', runId, '--executor', 'local'],
      ['fetch-inputs', '--run-id', runId, '--format', 'samplesheet'],
      ['finish-run', '--run-id', runId, '--status', 'SUCCEEDED', '--exit-code', '0'],
    ];
    const outputs: string[] = [];
    for (const step of steps) {
      const result = await runCli(step, environment);
      expect(result.stderr, step[0]).not.toMatch(/PERSISTED_OPERATION/);
      expect(result.exitCode, `${step[0]}: ${result.stderr}`).toBe(0);
      outputs.push(result.stdout);
    }
    expect(outputs[1]!.trim()).toBe(runId);
    expect(outputs[3]).toContain('sample,fastq_1,fastq_2');
    expect(outputs[3]).toContain('SYN-EDGE-S1,s3://lab/SYN-EDGE-S1_L001_R1_001.fastq.gz,s3://lab/SYN-EDGE-S1_L001_R2_001.fastq.gz');
    const status = await post(served.url, { query: `{ run(runId: "${runId}") { status } }` }, bearer(pipelineToken));
    expect(status.body).toEqual({ data: { run: { status: 'SUCCEEDED' } } });
  }, 120_000);
});
