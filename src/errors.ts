// What a client may see of an error. Errors meant for the client (GraphQL validation,
// SafeError with an extensions.code) pass as they are; anything else is replaced by a
// generic message with an id, and logged under that id for the operator.
import { randomUUID } from 'node:crypto';
import { isSafeError } from 'postgraphile/grafast';
import { GraphQLError } from 'postgraphile/graphql';
import type { Logger } from './logger.ts';

const queryCancelled = '57014';

export function createErrorMasker(logger: Logger, statementTimeoutMilliseconds: number) {
  return function maskError(error: GraphQLError): GraphQLError {
    const original = error.originalError;
    if (!original || original instanceof GraphQLError || isSafeError(original)) return error;

    if ((original as { code?: string }).code === queryCancelled) {
      return new GraphQLError(
        `the query was cancelled after the statement timeout of ${statementTimeoutMilliseconds} ms: ask for less (smaller pages, narrower filters)`,
        { nodes: error.nodes, path: error.path, extensions: { code: 'QUERY_TIMEOUT' } },
      );
    }
    const errorId = randomUUID();
    // the error object only: never the request's variables, which may carry patient ids
    logger.error({ errorId, err: original, path: error.path }, 'unexpected error while executing a GraphQL request');
    return new GraphQLError(`An unexpected error occurred; quote error id ${errorId} when reporting it.`, {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    });
  };
}
