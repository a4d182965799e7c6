// What a client may see of an error. Errors meant for the client (GraphQL validation,
// SafeError with an extensions.code) pass as they are; anything else is replaced by a
// generic message with an id, and logged under that id for the operator.
import { randomUUID } from 'node:crypto';
import { isSafeError } from 'postgraphile/grafast';
import { GraphQLError } from 'postgraphile/graphql';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailableError } from './database/unavailable.ts';
import { loggableError, type Logger } from './logger.ts';

const queryCancelled = '57014';
// SQLSTATE class 22, data exception: a value the database could not use, e.g. "abc" as a
// BigInt filter, a LIKE pattern ending in its escape character, a doctored cursor. The SQL is
// generated, so such a value came from the request: the client is told so. Postgres' own
// message may quote values, so the client gets a fixed one and the log the rest.
const dataExceptionClass = '22';

/**
 * `onDatabaseUnavailable` hears of every connection error (the database gate probes on it).
 * Such an error is the operator's outage, not the client's mistake: the client is told
 * SERVICE_UNAVAILABLE, and plugins/serviceUnavailableStatus.ts makes the response a 503 with
 * Retry-After, so that clients (the CLI among them) retry.
 */
export function createErrorMasker(
  logger: Logger,
  statementTimeoutMilliseconds: number,
  onDatabaseUnavailable: (error: unknown) => void = () => undefined,
) {
  return function maskError(error: GraphQLError): GraphQLError {
    const original = error.originalError;
    if (!original || original instanceof GraphQLError || isSafeError(original)) return error;

    if (isDatabaseUnavailableError(original)) {
      onDatabaseUnavailable(original);
      logger.warn({ err: loggableError(original), path: error.path }, 'the database was unavailable to a GraphQL request');
      return new GraphQLError(DATABASE_UNAVAILABLE_MESSAGE, {
        nodes: error.nodes,
        path: error.path,
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
    }

    if ((original as { code?: string }).code === queryCancelled) {
      return new GraphQLError(
        `the query was cancelled after the statement timeout of ${statementTimeoutMilliseconds} ms: ask for less (smaller pages, narrower filters)`,
        { nodes: error.nodes, path: error.path, extensions: { code: 'QUERY_TIMEOUT' } },
      );
    }
    const errorId = randomUUID();
    if ((original as { code?: string }).code?.startsWith(dataExceptionClass)) {
      logger.warn({ errorId, err: loggableError(original), path: error.path }, 'the database refused a value of a GraphQL request');
      return new GraphQLError(
        'a value in the request (a filter value, a pattern or a cursor) is not valid for the field it is used on; ' +
          `check the arguments, and quote error id ${errorId} if they look right`,
        { nodes: error.nodes, path: error.path, extensions: { code: 'INVALID_INPUT', errorId } },
      );
    }
    // never the request's variables, nor values Postgres quotes: they may carry patient ids
    logger.error({ errorId, err: loggableError(original), path: error.path }, 'unexpected error while executing a GraphQL request');
    return new GraphQLError(`An unexpected error occurred; quote error id ${errorId} when reporting it.`, {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    });
  };
}
