// The two load generators: autocannon against an HTTP server, and a loop of pg clients for
// the raw-SQL limit. Both keep a fixed number of requests in flight for a fixed time and
// time every request themselves, so their percentiles are computed the same way.
import autocannon from 'autocannon';
import pg from 'pg';

export type LoadResult = {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMilliseconds: { p50: number; p95: number; p99: number };
  /** non-2xx answers, GraphQL errors, failed statements, connection errors, timeouts */
  errors: number;
  /** the first error seen, to tell what went wrong */
  firstError: string | null;
};

export type LoadOptions = {
  connections: number;
  durationSeconds: number;
};

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1]!;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** What one stretch of load gave: every request's latency, and what went wrong. */
export type LoadSample = {
  latencies: number[];
  durationSeconds: number;
  errors: number;
  firstError: string | null;
};

/** One result from the stretches (rounds) of one server: requests over time, percentiles over all. */
export function summarise(samples: readonly LoadSample[]): LoadResult {
  const latencies = samples.flatMap((sample) => sample.latencies).sort((a, b) => a - b);
  const durationSeconds = samples.reduce((sum, sample) => sum + sample.durationSeconds, 0);
  return {
    requests: latencies.length,
    durationSeconds: round(durationSeconds, 2),
    requestsPerSecond: durationSeconds > 0 ? round(latencies.length / durationSeconds, 1) : 0,
    latencyMilliseconds: {
      p50: round(percentile(latencies, 0.5), 2),
      p95: round(percentile(latencies, 0.95), 2),
      p99: round(percentile(latencies, 0.99), 2),
    },
    errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
    firstError: samples.find((sample) => sample.firstError !== null)?.firstError ?? null,
  };
}

export type HttpLoadOptions = LoadOptions & {
  url: string;
  /** the JSON body of the n-th request */
  body: (n: number) => string;
  authorization: string | null;
};

/** POSTs to /graphql with `connections` keep-alive connections for `durationSeconds`. */
export async function driveHttp(options: HttpLoadOptions): Promise<LoadSample> {
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  const latencies: number[] = [];
  const noteError = (text: string) => {
    errors += 1;
    firstError ??= text.slice(0, 500);
  };
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.authorization) headers.authorization = options.authorization;
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${options.url}/graphql`,
        connections: options.connections,
        duration: options.durationSeconds,
        timeout: 60,
        requests: [
          {
            method: 'POST',
            path: '/graphql',
            headers,
            // called for every request: each one gets its own variables
            setupRequest: (request) => ({ ...request, body: options.body(next++) }),
            onResponse: (status, body) => {
              if (status !== 200) noteError(`HTTP ${status}: ${body}`);
              else if (body.includes('"errors"')) noteError(body);
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  const elapsedSeconds = (performance.now() - started) / 1000;
  if (result.errors > 0 || result.timeouts > 0) {
    errors += result.errors + result.timeouts;
    firstError ??= `${result.errors} connection errors, ${result.timeouts} timeouts`;
  }
  return { latencies, durationSeconds: Math.min(elapsedSeconds, result.duration || elapsedSeconds), errors, firstError };
}

export type SqlLoadOptions = LoadOptions & {
  pool: pg.Pool;
  /** one request's work on the pool */
  request: (pool: pg.Pool, n: number) => Promise<unknown>;
};

/** `connections` loops, each running one request after another until the time is up. */
export async function driveSql(options: SqlLoadOptions): Promise<LoadSample> {
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const begun = performance.now();
      try {
        await options.request(options.pool, next++);
        latencies.push(performance.now() - begun);
      } catch (error) {
        errors += 1;
        firstError ??= String((error as Error).message ?? error).slice(0, 500);
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  return { latencies, durationSeconds: (performance.now() - started) / 1000, errors, firstError };
}
