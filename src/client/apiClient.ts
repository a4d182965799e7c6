// The pipeline's side of the API: GraphQL over HTTP with a bearer token, nothing else. Every
// ingest mutation is idempotent, so a call that may not have arrived (a network error, a
// 5xx, a 429) is simply sent again, under the same X-Request-Id so the audit log shows one
// logical call. Refusals (4xx, GraphQL errors) are never retried: sending them again cannot
// help. Neither the token nor the variables (a patient id, for registerSample) ever appear
// in an error message or a retry notice.
import { randomUUID } from 'node:crypto';

/**
 * A call the API refused or could not answer. `code` is the GraphQL error's
 * `extensions.code` (NOT_FOUND, CONFLICT, ILLEGAL_TRANSITION, INVALID_INPUT, FORBIDDEN,
 * UNAUTHENTICATED, …), or one of the client's own: UNREACHABLE (no answer after every
 * retry), PAYLOAD_TOO_LARGE, BAD_RESPONSE, HTTP_<status>, GRAPHQL_ERROR (no code given).
 */
export class ApiError extends Error {
  override name = 'ApiError';
  /** the HTTP status, or null when no answer came */
  readonly status: number | null;
  /** the X-Request-Id the call was sent with, to find it in the server's logs and audit rows */
  readonly requestId: string | null;
  constructor(
    readonly code: string,
    message: string,
    { status = null, requestId = null }: { status?: number | null; requestId?: string | null } = {},
  ) {
    super(message);
    this.status = status;
    this.requestId = requestId;
  }
}

export type RetryNotice = {
  /** 1 for the first retry */
  attempt: number;
  retries: number;
  delayMilliseconds: number;
  /** e.g. "HTTP 503" or "ECONNREFUSED"; never a header or a variable */
  reason: string;
  requestId: string;
};

export type ApiClientOptions = {
  /** the API's base URL (…/graphql is added unless it is already there) */
  apiUrl: string;
  /** sent as `Authorization: Bearer <token>`; null sends no header */
  token: string | null;
  /** how many times a call is sent again after a network error, a 5xx or a 429 */
  retries?: number;
  onRetry?: (notice: RetryNotice) => void;
  /** the first retry waits up to this long; each further one up to twice as long as the one before */
  baseDelayMilliseconds?: number;
  maximumDelayMilliseconds?: number;
  /** how long one attempt may take before it counts as a network error */
  timeoutMilliseconds?: number;
};

export type ApiClient = {
  /** the URL calls are posted to */
  readonly endpoint: string;
  /** Runs one GraphQL operation and returns its `data`; throws ApiError. */
  request: <Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) => Promise<Data>;
};

export const DEFAULT_RETRIES = 5;
const DEFAULT_BASE_DELAY_MILLISECONDS = 500;
const DEFAULT_MAXIMUM_DELAY_MILLISECONDS = 30_000;
const DEFAULT_TIMEOUT_MILLISECONDS = 120_000;

type GraphQLErrorBody = { message?: unknown; extensions?: { code?: unknown } };
type GraphQLResponseBody = { data?: unknown; errors?: GraphQLErrorBody[] };

/** A failed attempt worth repeating, with what to say about it. */
class RetryableFailure {
  constructor(
    readonly reason: string,
    readonly status: number | null,
    /** from a Retry-After header, when the server asked for a pause */
    readonly retryAfterMilliseconds: number | null = null,
  ) {}
}

export function graphqlEndpoint(apiUrl: string): string {
  const trimmed = apiUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/graphql') ? trimmed : `${trimmed}/graphql`;
}

/** The name of a network failure (ECONNREFUSED, a timeout…), without any URL or header. */
function describeNetworkFailure(error: unknown): string {
  const failure = error as { name?: string; cause?: { code?: unknown; message?: unknown } };
  if (failure.name === 'TimeoutError') return 'no answer within the time limit';
  const cause = failure.cause;
  if (typeof cause?.code === 'string') return cause.code;
  // undici's own reasons are short phrases such as "bad port"
  if (typeof cause?.message === 'string' && cause.message !== '') return cause.message.slice(0, 100);
  return 'network error';
}

function retryAfterMilliseconds(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function errorCodeOf(error: GraphQLErrorBody | undefined): string | null {
  const code = error?.extensions?.code;
  return typeof code === 'string' && code !== '' ? code : null;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

export function createApiClient({
  apiUrl,
  token,
  retries = DEFAULT_RETRIES,
  onRetry,
  baseDelayMilliseconds = DEFAULT_BASE_DELAY_MILLISECONDS,
  maximumDelayMilliseconds = DEFAULT_MAXIMUM_DELAY_MILLISECONDS,
  timeoutMilliseconds = DEFAULT_TIMEOUT_MILLISECONDS,
}: ApiClientOptions): ApiClient {
  const endpoint = graphqlEndpoint(apiUrl);
  const tokenHint = token === null ? ' (SEQMETA_TOKEN is not set)' : '';

  /** One attempt: the response's data, a RetryableFailure, or a thrown ApiError. */
  async function attempt(body: string, requestId: string): Promise<unknown> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-request-id': requestId,
    };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMilliseconds) });
      text = await response.text();
    } catch (error) {
      return new RetryableFailure(describeNetworkFailure(error), null);
    }
    const { status } = response;
    if (status === 429 || status >= 500) {
      return new RetryableFailure(`HTTP ${status}`, status, retryAfterMilliseconds(response.headers.get('retry-after')));
    }
    if (status === 413) {
      throw new ApiError('PAYLOAD_TOO_LARGE', 'the API refused the request as too large (HTTP 413): send fewer files per call (--batch-size)', {
        status,
        requestId,
      });
    }
    let parsed: GraphQLResponseBody;
    try {
      parsed = JSON.parse(text) as GraphQLResponseBody;
    } catch {
      throw new ApiError(
        status >= 400 ? `HTTP_${status}` : 'BAD_RESPONSE',
        `${endpoint} answered HTTP ${status} with something other than JSON: is SEQMETA_URL the seqmeta API?`,
        { status, requestId },
      );
    }
    const errors = Array.isArray(parsed?.errors) ? parsed.errors : [];
    if (errors.length > 0) {
      const code = errorCodeOf(errors.find(errorCodeOf)) ?? (status === 401 ? 'UNAUTHENTICATED' : 'GRAPHQL_ERROR');
      const messages = errors.map((error) => (typeof error.message === 'string' ? error.message : 'unknown error'));
      const hint = code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' ? tokenHint : '';
      throw new ApiError(code, `${[...new Set(messages)].join('; ')}${hint}`, { status, requestId });
    }
    if (status >= 400) {
      throw new ApiError(`HTTP_${status}`, `${endpoint} answered HTTP ${status}`, { status, requestId });
    }
    if (parsed?.data === undefined || parsed.data === null) {
      throw new ApiError('BAD_RESPONSE', `${endpoint} answered without data: is SEQMETA_URL the seqmeta API?`, { status, requestId });
    }
    return parsed.data;
  }

  return {
    endpoint,
    async request<Data>(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
      // chosen once, so every retry of this call carries the same id
      const requestId = randomUUID();
      const body = JSON.stringify({ query, variables });
      for (let retry = 0; ; retry++) {
        const outcome = await attempt(body, requestId);
        if (!(outcome instanceof RetryableFailure)) return outcome as Data;
        if (retry >= retries) {
          throw new ApiError(
            'UNREACHABLE',
            `the API at ${endpoint} did not answer (${outcome.reason}) after ${retries + 1} attempt${retries === 0 ? '' : 's'}; ` +
              'it is safe to run the same command again',
            { status: outcome.status, requestId },
          );
        }
        // exponential backoff with full jitter, so many pipelines do not retry in step
        const ceiling = Math.min(maximumDelayMilliseconds, baseDelayMilliseconds * 2 ** retry);
        const delayMilliseconds = Math.round(
          Math.min(maximumDelayMilliseconds, Math.max(Math.random() * ceiling, outcome.retryAfterMilliseconds ?? 0)),
        );
        onRetry?.({ attempt: retry + 1, retries, delayMilliseconds, reason: outcome.reason, requestId });
        await sleep(delayMilliseconds);
      }
    },
  };
}
