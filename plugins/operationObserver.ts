// Tells the HTTP layer what GraphQL made of a request, for the access log and the metrics
// (src/http/accessLog.ts, src/http/metrics.ts): the operation's name and type, and the error
// codes of its answer. Only those: never the document, the variables or an error's message,
// which can quote the values a caller sent (patient identifiers among them).
//
// Grafserv parses and validates a document before any Grafast middleware runs, so a request
// that reaches the body hook but never `execute` was refused there (trusted documents, the
// document-nesting limit: their error's code is kept) or failed to parse or validate.
import type { Request, Response } from 'express';
import { isAsyncIterable } from 'postgraphile/grafast';
import { getOperationAST, type ExecutionResult } from 'postgraphile/graphql';
import { TRUSTED_DOCUMENTS_GUARD_PLUGIN } from './trustedDocuments.ts';

export type OperationType = 'query' | 'mutation' | 'subscription';

/** What GraphQL saw of one HTTP request; kept on the Express request. */
export type OperationObservation = {
  /** the operationName the body asked for (a valid GraphQL name), before the document is read */
  requestedName: string | null;
  /** the code of the error a body hook refused the request with, before its document was read */
  refusedWith: string | null;
  /** whether execution started: false means a refusal (above) or a document that did not parse or validate */
  executed: boolean;
  /** the executed operation's name; null for an unnamed operation */
  name: string | null;
  type: OperationType | null;
  /**
   * The result as it goes out, when it carries errors. Grafserv masks its errors in place
   * (src/errors.ts), so by the time the response is sent these are the errors the client sees.
   * A result without errors is not kept: holding a page's data until the request object is
   * collected kept it alive past the young generation's collections, and the old generation's
   * cost more than a tenth of the API's CPU on a page of 50 samples (BENCHMARKS.md).
   */
  result: ExecutionResult | null;
  /** execution threw instead of returning a result */
  failed: boolean;
};

declare module 'express-serve-static-core' {
  interface Request {
    seqmetaOperation?: OperationObservation;
  }
}

export type OperationOutcome = {
  /** null when unnamed, or when the request never reached a document */
  operationName: string | null;
  /** null when the request never reached execution */
  operationType: OperationType | null;
  outcome: 'ok' | 'error';
  /** the `extensions.code` of each distinct error, in order; never a message */
  errorCodes: string[];
  /** the client went away before the whole answer was sent */
  aborted: boolean;
};

/** A document that did not parse or validate (GraphQL's own errors carry no code). */
export const VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';
/** An error without a code, e.g. a variable of the wrong type. */
export const UNCODED_ERROR = 'GRAPHQL_ERROR';
export const INTERNAL_ERROR = 'INTERNAL_SERVER_ERROR';

const graphqlName = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;
// codes are written by this server, but an error could carry anything: keep labels tame
const errorCode = /^[A-Z][A-Z0-9_]{0,63}$/;

function observationOf(request: Request | undefined): OperationObservation | null {
  if (!request) return null;
  request.seqmetaOperation ??= { requestedName: null, refusedWith: null, executed: false, name: null, type: null, result: null, failed: false };
  return request.seqmetaOperation;
}

function codeOf(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (typeof code !== 'string') return UNCODED_ERROR;
  return errorCode.test(code) ? code : UNCODED_ERROR;
}

/** What became of `request` in GraphQL, once `response` is complete (or abandoned). */
export function operationOutcome(request: Request, response: Pick<Response, 'statusCode' | 'writableFinished'>): OperationOutcome {
  const status = response.statusCode;
  const aborted = !response.writableFinished;
  const observation = request.seqmetaOperation;
  if (!observation) {
    // refused before GraphQL (a 401 from authentication, a body too large, a rate limit)
    return { operationName: null, operationType: null, outcome: status < 400 && !aborted ? 'ok' : 'error', errorCodes: [], aborted };
  }
  const operationName = observation.executed ? observation.name : observation.requestedName;
  const operationType = observation.executed ? observation.type : null;
  let errorCodes: string[];
  if (observation.refusedWith !== null) errorCodes = [observation.refusedWith];
  else if (!observation.executed) errorCodes = [VALIDATION_FAILED];
  else if (observation.failed) errorCodes = [INTERNAL_ERROR];
  else errorCodes = [...new Set((observation.result?.errors ?? []).map(codeOf))];
  const outcome = errorCodes.length > 0 || status >= 400 || aborted ? 'error' : 'ok';
  return { operationName, operationType, outcome, errorCodes, aborted };
}

export function createOperationObserverPlugin(): GraphileConfig.Plugin {
  return {
    name: 'SeqmetaOperationObserverPlugin',
    version: '1.0.0',
    description: "Records each request's operation name, type and error codes for the access log and the metrics",
    // outermost: it must see the refusals the limit and scope plugins return without executing,
    // and those of trusted documents (plugins/trustedDocuments.ts: its guard, then
    // @grafserv/persisted), which come in through the preset's `extends` and so register first
    before: [TRUSTED_DOCUMENTS_GUARD_PLUGIN, 'PersistedPlugin', 'SeqmetaReadScopePlugin', 'SeqmetaQueryLimitsPlugin'],
    grafserv: {
      middleware: {
        processGraphQLRequestBody(next, event) {
          const observation = observationOf(event.request?.requestContext.expressv4?.req);
          if (!observation) return next();
          const { operationName } = event.body;
          if (typeof operationName === 'string' && graphqlName.test(operationName)) observation.requestedName = operationName;
          return next.callback((error, result) => {
            // a refusal thrown here (grafserv answers it with its statusCode) is logged by its code
            if (error) {
              observation.refusedWith = codeOf(error);
              throw error;
            }
            return result;
          });
        },
      },
    },
    grafast: {
      middleware: {
        execute(next, event) {
          const observation = observationOf(event.args.requestContext?.expressv4?.req);
          if (!observation) return next();
          const operation = getOperationAST(event.args.document, event.args.operationName ?? undefined);
          observation.executed = true;
          observation.name = operation?.name?.value ?? null;
          observation.type = operation?.operation ?? null;
          return next.callback((error, result) => {
            if (error) {
              observation.failed = true;
              throw error;
            }
            // streamed results (@defer/@stream) are not offered here; their codes are not followed
            if (!isAsyncIterable(result) && result.errors?.length) observation.result = result;
            return result;
          });
        },
      },
    },
  };
}
