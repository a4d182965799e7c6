// What an operator sees of a live server: one access-log line per request to /graphql (who,
// which operation, how long, which status, which error codes; never variables, documents or
// tokens), and Prometheus metrics at /metrics that move with the requests made.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';
import { createToken } from '../../src/tokens.ts';
import { startTestApi, type TestApi } from '../support/apiServer.ts';

const PATIENT_ID = 'SYN-PAT-OBS-0007';
const SAMPLE_ID = 'SYN-OBS-S1';
const RUN_ID = randomUUID();
const TOKEN_NAME = 'observability-pipeline';

type LogLine = Record<string, unknown> & { level: number; msg: string };

/** Prometheus text format: one sample per line, `name{label="value",…} number`. */
type MetricSample = { name: string; labels: Record<string, string>; value: number };

function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[label[1]!] = label[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample of `name` whose labels include `labels`; 0 when there is none yet. */
function valueOf(samples: MetricSample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

describe('a server with the access log and metrics on', () => {
  let api: TestApi;
  let token: string;
  const captured: string[] = [];
  const lines = (): LogLine[] => captured.map((line) => JSON.parse(line) as LogLine);

  /** The access-log lines of one request, waiting for the first (it is written once the response is sent). */
  async function accessLines(requestId: string): Promise<LogLine[]> {
    const ofRequest = () => lines().filter((line) => line.msg === 'graphql request' && line.requestId === requestId);
    await vi.waitFor(() => expect(ofRequest().length).toBeGreaterThan(0), { timeout: 5_000 });
    return ofRequest();
  }

  async function post(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const response = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  async function scrape(): Promise<MetricSample[]> {
    const response = await fetch(`${api.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(await response.text());
  }

  const bearer = () => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    api = await startTestApi(
      { SEQMETA_ALLOW_ANONYMOUS_READS: 'true', LOG_LEVEL: 'debug' },
      { logDestination: { write: (line: string) => void captured.push(line) } },
    );
    const owner = await api.database.connect('owner');
    token = (await createToken(owner, { name: TOKEN_NAME, scopes: 'ingest,read' })).token;
  }, 60_000);
  afterAll(() => api?.stop());

  describe('the access log', () => {
    it('logs a named query once: request id, principal, operation name and type, status, duration, outcome', async () => {
      const requestId = 'obs-named-query';
      const reply = await post({ query: 'query SamplePage { samples(first: 2) { nodes { sampleId } } }' }, { 'x-request-id': requestId });
      expect(reply.status).toBe(200);
      expect(reply.body.errors).toBeUndefined();
      const logged = await accessLines(requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        level: 30,
        requestId,
        principal: 'anonymous',
        operationName: 'SamplePage',
        operationType: 'query',
        status: 200,
        outcome: 'ok',
        errorCodes: [],
      });
      expect(logged[0]!.durationMs).toEqual(expect.any(Number));
      expect(logged[0]!.durationMs as number).toBeGreaterThanOrEqual(0);
    });

    it('logs a mutation under the token name, and neither the variables nor the token appear in any log line', async () => {
      const requestId = 'obs-register-sample';
      const reply = await post(
        {
          query: `mutation RegisterSynthetic($patientId: String!) {
            registerSample(input: { sampleId: "${SAMPLE_ID}", patientId: $patientId, specimenType: TUMOUR, collectionDate: "2024-03-05" }) {
              sample { sampleId }
            }
          }`,
          variables: { patientId: PATIENT_ID },
        },
        { ...bearer(), 'x-request-id': requestId },
      );
      expect(reply.body).toEqual({ data: { registerSample: { sample: { sampleId: SAMPLE_ID } } } });
      const logged = await accessLines(requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        principal: TOKEN_NAME,
        operationName: 'RegisterSynthetic',
        operationType: 'mutation',
        status: 200,
        outcome: 'ok',
        errorCodes: [],
      });
      const everything = captured.join('');
      expect(everything).not.toContain(PATIENT_ID);
      expect(everything).not.toContain(token);
      // nor the secret part alone, nor the document
      expect(everything).not.toContain(token.slice(-20));
      expect(everything).not.toContain('registerSample(');
    });

    it('logs a refused operation as an error with its code only (QUERY_LIMIT), never the message', async () => {
      const requestId = 'obs-page-cap';
      const reply = await post({ query: 'query HugePage { samples(first: 100000) { nodes { sampleId } } }' }, { 'x-request-id': requestId });
      expect(reply.body.errors.map((error: any) => error.extensions.code)).toEqual(['QUERY_LIMIT']);
      const logged = await accessLines(requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ operationName: 'HugePage', operationType: 'query', outcome: 'error', errorCodes: ['QUERY_LIMIT'] });
      expect(JSON.stringify(logged[0])).not.toContain(reply.body.errors[0].message);
    });

    it('logs the code the client sees for an error the server masks (a value the database refused: INVALID_INPUT)', async () => {
      const requestId = 'obs-masked';
      const reply = await post(
        {
          query: 'query FilesOfSize($size: BigInt!) { runFiles(filter: { sizeBytes: { equalTo: $size } }) { totalCount } }',
          variables: { size: 'SYN-not-a-number' },
        },
        { 'x-request-id': requestId },
      );
      expect(reply.body.errors.map((error: any) => error.extensions.code)).toEqual(['INVALID_INPUT']);
      const [line] = await accessLines(requestId);
      expect(line).toMatchObject({ operationName: 'FilesOfSize', outcome: 'error', errorCodes: ['INVALID_INPUT'] });
      expect(captured.join('')).not.toContain('SYN-not-a-number');
    });

    it("logs the ingest plugin's refusal code (FORBIDDEN for a mutation without a token)", async () => {
      const requestId = 'obs-forbidden';
      const reply = await post(
        { query: `mutation StartWithoutToken { startRun(input: { runId: "${randomUUID()}", executor: "local" }) { run { runId } } }` },
        { 'x-request-id': requestId },
      );
      expect(reply.body.errors.map((error: any) => error.extensions.code)).toEqual(['FORBIDDEN']);
      const [line] = await accessLines(requestId);
      expect(line).toMatchObject({ principal: 'anonymous', operationType: 'mutation', outcome: 'error', errorCodes: ['FORBIDDEN'] });
    });

    it('logs a document that does not validate as GRAPHQL_VALIDATION_FAILED, with the name the body asked for', async () => {
      const requestId = 'obs-invalid';
      const reply = await post({ query: 'query NoSuchField { noSuchField }', operationName: 'NoSuchField' }, { 'x-request-id': requestId });
      expect(reply.body.errors.length).toBeGreaterThan(0);
      const logged = await accessLines(requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ operationName: 'NoSuchField', operationType: null, outcome: 'error', errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });
    });

    it('logs a document nested too deeply, refused before it is parsed, by its code (QUERY_LIMIT) with HTTP 400', async () => {
      const requestId = 'obs-document-nesting';
      const query = `query TooNested { samples(first: 1, filter: ${'{ not: '.repeat(300)}{ sampleId: { equalTo: "SYN" } }${' }'.repeat(300)}) { totalCount } }`;
      const reply = await post({ query, operationName: 'TooNested' }, { 'x-request-id': requestId });
      expect(reply.status).toBe(400);
      expect(reply.body.errors).toHaveLength(1);
      expect(reply.body.errors[0].extensions).toMatchObject({ code: 'QUERY_LIMIT', limit: 'DOCUMENT_NESTING' });
      const logged = await accessLines(requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ operationName: 'TooNested', operationType: null, status: 400, outcome: 'error', errorCodes: ['QUERY_LIMIT'] });
    });

    it('logs a request refused before GraphQL (a bad token: 401) once, as anonymous, with no token in the log', async () => {
      const requestId = 'obs-bad-token';
      const badToken = `${token.slice(0, -4)}AAAA`;
      const reply = await post({ query: '{ samples(first: 1) { totalCount } }' }, { authorization: `Bearer ${badToken}`, 'x-request-id': requestId });
      expect(reply.status).toBe(401);
      const logged = await accessLines(requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ principal: 'anonymous', operationName: null, status: 401, outcome: 'error' });
      expect(captured.join('')).not.toContain(badToken);
    });

    it('logs other paths at debug level only, by path without the query string', async () => {
      const requestId = 'obs-health';
      const response = await fetch(`${api.url}/healthz?probe=SYN-QUERY-STRING`, { headers: { 'x-request-id': requestId } });
      expect(response.status).toBe(200);
      await vi.waitFor(() => expect(lines().some((line) => line.requestId === requestId)).toBe(true), { timeout: 5_000 });
      const logged = lines().filter((line) => line.requestId === requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 20, msg: 'http request', method: 'GET', path: '/healthz', status: 200 });
      expect(captured.join('')).not.toContain('SYN-QUERY-STRING');
    });
  });

  describe('/metrics', () => {
    it("serves Prometheus text with process metrics and each pool's connections, without a token", async () => {
      const samples = await scrape();
      expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(samples.some((sample) => sample.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
      for (const pool of ['api', 'etl']) {
        for (const gauge of ['connections', 'idle_connections', 'waiting_requests']) {
          const found = samples.filter((sample) => sample.name === `seqmeta_database_pool_${gauge}` && sample.labels.pool === pool);
          expect(found, `${gauge} of ${pool}`).toHaveLength(1);
          expect(found[0]!.value).toBeGreaterThanOrEqual(0);
        }
      }
      expect(valueOf(samples, 'seqmeta_database_pool_max_connections', { pool: 'api' })).toBe(api.config.server.apiPoolSize);
      // the reads went through the api pool: it has a connection open
      expect(valueOf(samples, 'seqmeta_database_pool_connections', { pool: 'api' })).toBeGreaterThan(0);
    });

    it('counts requests, their durations and their error codes by operation', async () => {
      const before = await scrape();
      const counted = { operation_type: 'query', operation: 'CountedQuery', status: '200', outcome: 'ok' };
      const timed = { operation_type: 'query', operation: 'CountedQuery' };
      for (let index = 0; index < 2; index += 1) {
        const reply = await post({ query: 'query CountedQuery { samples(first: 1) { totalCount } }' });
        expect(reply.body.errors).toBeUndefined();
      }
      await post({ query: 'query CountedQuery { samples(first: 100000) { totalCount } }' });
      await post({ query: '{ samples(first: 1) { totalCount } }' });

      await vi.waitFor(
        async () => {
          const after = await scrape();
          const increase = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
          expect(increase('seqmeta_graphql_requests_total', counted)).toBe(2);
          expect(increase('seqmeta_graphql_requests_total', { ...counted, outcome: 'error' })).toBe(1);
          expect(increase('seqmeta_graphql_request_duration_seconds_count', timed)).toBe(3);
          expect(increase('seqmeta_graphql_request_duration_seconds_bucket', { ...timed, le: '+Inf' })).toBe(3);
          expect(increase('seqmeta_graphql_errors_total', { code: 'QUERY_LIMIT' })).toBe(1);
          // an unnamed operation is labelled anonymous
          expect(increase('seqmeta_graphql_requests_total', { ...counted, operation: 'anonymous' })).toBe(1);
        },
        { timeout: 5_000 },
      );
    });

    it('counts ingested rows once: a retried logRunOutputs call writes and counts nothing new', async () => {
      const before = await scrape();
      const registered = await api.graphql(
        `mutation { registerRun(input: {
          runId: "${RUN_ID}", sampleId: "${SAMPLE_ID}", assayType: WGS, pipelineName: "nf-core/sarek",
          inputs: [{ uri: "s3://syn-lab/${SAMPLE_ID}_R1.fastq.gz", format: "FASTQ", readNumber: 1 },
                   { uri: "s3://syn-lab/${SAMPLE_ID}_R2.fastq.gz", format: "FASTQ", readNumber: 2 }]
        }) { run { runId } } }`,
        undefined,
        bearer(),
      );
      expect(registered.body.errors).toBeUndefined();
      const started = await api.graphql(`mutation { startRun(input: { runId: "${RUN_ID}", executor: "local" }) { run { status } } }`, undefined, bearer());
      expect(started.body.data.startRun.run.status).toBe('RUNNING');
      const logOutputs = `mutation ($files: [IngestFileInput!]!) { logRunOutputs(input: { runId: "${RUN_ID}", files: $files }) { fileCount } }`;
      const files = ['aligned.cram', 'aligned.cram.crai'].map((name, index) => ({
        uri: `s3://syn-lab/runs/${RUN_ID}/${name}`,
        format: index === 0 ? 'CRAM' : 'CRAI',
        sizeBytes: String(1000 + index),
        sha256: String(index).repeat(64),
      }));
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const reply = await api.graphql(logOutputs, { files }, bearer());
        expect(reply.body).toEqual({ data: { logRunOutputs: { fileCount: 2 } } });
      }
      // registering the sample again writes nothing either
      const again = await api.graphql(
        `mutation ($patientId: String!) { registerSample(input: { sampleId: "${SAMPLE_ID}", patientId: $patientId, specimenType: TUMOUR, collectionDate: "2024-03-05" }) { sample { sampleId } } }`,
        { patientId: PATIENT_ID },
        bearer(),
      );
      expect(again.body.errors).toBeUndefined();

      const after = await scrape();
      const increase = (kind: string) => valueOf(after, 'seqmeta_ingest_rows_total', { kind }) - valueOf(before, 'seqmeta_ingest_rows_total', { kind });
      expect({
        patient: increase('patient'),
        sample: increase('sample'),
        run: increase('run'),
        input_file: increase('input_file'),
        output_file: increase('output_file'),
      }).toEqual({ patient: 0, sample: 0, run: 1, input_file: 2, output_file: 2 });
      // the sample and its patient registered by the earlier test were counted then
      expect(valueOf(after, 'seqmeta_ingest_rows_total', { kind: 'sample' })).toBe(1);
      expect(valueOf(after, 'seqmeta_ingest_rows_total', { kind: 'patient' })).toBe(1);
      expect(captured.join('')).not.toContain(PATIENT_ID);
    });
  });
});

describe('the access log with trusted documents on', () => {
  let api: TestApi;
  let folder: string;
  const captured: string[] = [];

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-observed-documents-'));
    await writeFile(path.join(folder, 'sample-count.graphql'), 'query SampleCount { samples(first: 1) { totalCount } }');
    api = await startTestApi(
      { SEQMETA_ALLOW_ANONYMOUS_READS: 'true', SEQMETA_PERSISTED_OPERATIONS_DIR: folder, LOG_LEVEL: 'info' },
      { logDestination: { write: (line: string) => void captured.push(line) } },
    );
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  async function accessLine(requestId: string): Promise<LogLine> {
    const ofRequest = () => captured.map((line) => JSON.parse(line) as LogLine).filter((line) => line.msg === 'graphql request' && line.requestId === requestId);
    await vi.waitFor(() => expect(ofRequest()).toHaveLength(1), { timeout: 5_000 });
    return ofRequest()[0]!;
  }

  it.each([
    ['an unknown document id', 'obs-persisted-unknown', { documentId: 'no-such-document' }, 'PERSISTED_OPERATION_NOT_FOUND'],
    ['a document of its own from an anonymous caller', 'obs-persisted-required', { query: '{ samples(first: 1) { totalCount } }' }, 'PERSISTED_OPERATION_REQUIRED'],
  ])('logs the refusal of %s by its code', async (_case, requestId, body, code) => {
    const response = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': requestId },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors.map((error: any) => error.extensions.code)).toEqual([code]);
    expect(await accessLine(requestId)).toMatchObject({ operationName: null, operationType: null, status: 400, outcome: 'error', errorCodes: [code] });
  });

  it('logs a published document run by its id under its operation name', async () => {
    const response = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': 'obs-persisted-ok' },
      body: JSON.stringify({ documentId: 'sample-count' }),
    });
    expect(await response.json()).toEqual({ data: { samples: { totalCount: 0 } } });
    expect(await accessLine('obs-persisted-ok')).toMatchObject({ operationName: 'SampleCount', operationType: 'query', status: 200, outcome: 'ok', errorCodes: [] });
  });
});

describe('SEQMETA_METRICS=false', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ SEQMETA_METRICS: 'false', SEQMETA_ALLOW_ANONYMOUS_READS: 'true' });
  }, 60_000);
  afterAll(() => api?.stop());

  it('serves no /metrics, and GraphQL as before', async () => {
    expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
    expect((await api.graphql('{ samples(first: 1) { totalCount } }')).body).toEqual({ data: { samples: { totalCount: 0 } } });
  });
});

describe('createMetrics', () => {
  // pools that never connect: only their counters are read
  const pools = { api: new pg.Pool({ max: 3 }), etl: new pg.Pool({ max: 2 }) };
  afterAll(() => Promise.all([pools.api.end(), pools.etl.end()]));

  const record = { operationType: 'query' as const, outcome: 'ok' as const, errorCodes: [], aborted: false, status: 200, durationSeconds: 0.01 };

  it('keeps a registry per server: two in one process do not collide', async () => {
    const first = createMetrics({ pools });
    const second = createMetrics({ pools });
    first.recordGraphQLRequest({ ...record, operationName: 'OnlyInFirst' });
    expect(await first.registry.metrics()).toContain('operation="OnlyInFirst"');
    expect(await second.registry.metrics()).not.toContain('OnlyInFirst');
  });

  it('labels only the names of operations that ran: made-up names of requests that never ran do not use up the cap', async () => {
    const metrics = createMetrics({ pools, maximumOperationNames: 2 });
    // refused or invalid requests: the name is only what the body said
    for (let index = 0; index < 100; index += 1) {
      metrics.recordGraphQLRequest({ ...record, operationType: null, outcome: 'error', errorCodes: ['GRAPHQL_VALIDATION_FAILED'], operationName: `MadeUp${index}` });
    }
    for (const operationName of ['First', 'Second']) metrics.recordGraphQLRequest({ ...record, operationName });
    const samples = parseMetrics(await metrics.registry.metrics()).filter((sample) => sample.name === 'seqmeta_graphql_requests_total');
    expect(Object.fromEntries(samples.map((sample) => [sample.labels.operation, sample.value]))).toEqual({ unknown: 100, First: 1, Second: 1 });
  });

  it('labels operations past the distinct-name cap as other, unnamed ones as anonymous', async () => {
    const metrics = createMetrics({ pools, maximumOperationNames: 2 });
    for (const operationName of ['First', 'Second', 'Third', 'First', null]) metrics.recordGraphQLRequest({ ...record, operationName });
    const samples = parseMetrics(await metrics.registry.metrics()).filter((sample) => sample.name === 'seqmeta_graphql_requests_total');
    expect(Object.fromEntries(samples.map((sample) => [sample.labels.operation, sample.value]))).toEqual({ First: 2, Second: 1, other: 1, anonymous: 1 });
  });
});
