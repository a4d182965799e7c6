// Grafserv answers a GraphQL result with errors as HTTP 200 (application/json). When one of
// those errors is SERVICE_UNAVAILABLE (the database went away during the request, see
// src/errors.ts), this turns the response into a 503 with Retry-After: load balancers and
// clients treat a 503 as "try again", and the pipeline's CLI retries 5xx but never a 200
// carrying a GraphQL error (which it takes for a refusal). The body stays as it was.
import type { BufferResult, JSONResult, Result } from 'postgraphile/grafserv';

const marker = Buffer.from('"SERVICE_UNAVAILABLE"');

function carriesServiceUnavailable(body: unknown): boolean {
  const errors = (body as { errors?: Array<{ extensions?: { code?: unknown } }> } | null)?.errors;
  return Array.isArray(errors) && errors.some((error) => error?.extensions?.code === 'SERVICE_UNAVAILABLE');
}

function isServiceUnavailable(result: Result): result is BufferResult | JSONResult {
  if (result.type === 'json') return carriesServiceUnavailable(result.json);
  if (result.type !== 'buffer') return false;
  // The body is parsed only when the code is in it at all: a page of 100 KB is scanned, not
  // parsed, on every other request. A data value that happens to contain the word is parsed
  // and found not to be an error code.
  if (!result.buffer.includes(marker)) return false;
  try {
    return carriesServiceUnavailable(JSON.parse(result.buffer.toString('utf8')));
  } catch {
    return false;
  }
}

export function createServiceUnavailableStatusPlugin({ retryAfterSeconds }: { retryAfterSeconds: number }): GraphileConfig.Plugin {
  return {
    name: 'SeqmetaServiceUnavailableStatusPlugin',
    version: '1.0.0',
    description: 'Answers 503 with Retry-After when a GraphQL result carries a SERVICE_UNAVAILABLE error',
    grafserv: {
      middleware: {
        async processRequest(next) {
          const result = await next();
          if (result !== null && result.statusCode < 500 && isServiceUnavailable(result)) {
            result.statusCode = 503;
            result.headers['retry-after'] = String(retryAfterSeconds);
          }
          return result;
        },
      },
    },
  };
}
