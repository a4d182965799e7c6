// One log line per request to /graphql, when its response is complete: who asked (the token's
// name), which operation, how long it took, the HTTP status and the error codes. Never the
// query text, the variables, the Authorization header or a token: variables can carry patient
// identifiers, and error messages can quote them, so errors appear by code only. Other paths
// (health checks, /metrics, GraphiQL's assets) are logged at debug level.
import type { Express, Request, Response } from 'express';
import { operationOutcome } from '../../plugins/operationObserver.ts';
import type { Logger } from '../logger.ts';
// declares request.seqmetaRequestId and request.seqmetaPrincipal
import './requestContext.ts';

const graphqlPath = '/graphql';

function milliseconds(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
}

function logGraphQLRequest(logger: Logger, request: Request, response: Response, started: bigint): void {
  const status = response.statusCode;
  const { operationName, operationType, outcome, errorCodes, aborted } = operationOutcome(request, response);
  const line = {
    requestId: request.seqmetaRequestId,
    principal: request.seqmetaPrincipal?.name ?? 'anonymous',
    operationName,
    operationType,
    status,
    durationMs: milliseconds(started),
    outcome,
    errorCodes,
    ...(aborted ? { aborted } : {}),
  };
  if (status >= 500) logger.warn(line, 'graphql request');
  else logger.info(line, 'graphql request');
}

export function installAccessLog(app: Express, logger: Logger): void {
  app.use((request, response, next) => {
    const started = process.hrtime.bigint();
    // the paths authentication guards too (app.use('/graphql'))
    if (request.path === graphqlPath || request.path.startsWith(`${graphqlPath}/`)) {
      response.once('close', () => logGraphQLRequest(logger, request, response, started));
    } else if (logger.isLevelEnabled('debug')) {
      // the path only: a query string is the caller's
      response.once('close', () =>
        logger.debug(
          { requestId: request.seqmetaRequestId, method: request.method, path: request.path, status: response.statusCode, durationMs: milliseconds(started) },
          'http request',
        ),
      );
    }
    next();
  });
}
