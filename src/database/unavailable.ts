// Which errors mean "the database cannot be reached right now", as opposed to "this request
// went wrong". The first kind is the operator's outage, not the client's mistake: the client
// is told to try again shortly (HTTP 503), and the server checks whether the database is gone
// (src/http/databaseGate.ts). Everything else keeps its own handling (src/errors.ts).

/** What a client is told, whichever part of the server met the outage. */
export const DATABASE_UNAVAILABLE_MESSAGE = 'the database is unavailable; try again shortly';

// SQLSTATEs Postgres sends when it is going away or cannot take a connection:
const unavailableCodes = new Set([
  '57P01', // admin_shutdown: a fast shutdown, or pg_terminate_backend
  '57P02', // crash_shutdown: another backend crashed, the server restarts
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
  '3D000', // invalid_catalog_name: the database is not there (dropped, being restored)
]);
// Class 08, connection exception: the connection failed or was lost.
const connectionExceptionClass = '08';

// The socket's errors, when nothing answers at the address.
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

// node-postgres and pg-pool say it in words, without a code.
const driverMessages = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  // pg-pool: no connection became free (or could be made) within connectionTimeoutMillis
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

/** Whether `error` (or an error it wraps) says the database cannot be reached. */
export function isDatabaseUnavailableError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (unavailableCodes.has(code) || socketCodes.has(code) || (code.length === 5 && code.startsWith(connectionExceptionClass))) return true;
  }
  if (typeof message === 'string' && driverMessages.some((text) => message.includes(text))) return true;
  // AggregateError (e.g. every address of a host refused), and errors that wrap another
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailableError(inner, depth + 1))) return true;
  return cause !== undefined && isDatabaseUnavailableError(cause, depth + 1);
}
