// Reads the body of POST /graphql once, strictly, before grafserv sees it. grafserv (and
// body-parser) decode invalid UTF-8 into U+FFFD without a word: a patient id with a broken
// byte would be hashed and stored as another id. Here invalid UTF-8, invalid JSON, a body
// that is not one JSON object (a batch, null) and an oversized body are answered 400/413 with
// a message that says what to send; grafserv then receives the parsed object.
import { isUtf8 } from 'node:buffer';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { refuse } from './refuse.ts';

const badRequest = (response: Response, message: string) => refuse(response, { status: 400, code: 'BAD_REQUEST', message });

const isJson = (request: Request) => /^application\/(graphql-response\+)?json\b/i.test(request.get('content-type') ?? '');

export function installRequestBody(app: Express, maximumBodyBytes: number): void {
  app.post('/graphql', express.raw({ type: () => true, limit: maximumBodyBytes }), (request, response, next) => {
    const body: unknown = request.body;
    // grafserv would wait for a stream already read: an empty body is answered here
    if (!Buffer.isBuffer(body) || body.length === 0) {
      return badRequest(response, 'the body is empty: send {"query": "…", "variables": {…}}');
    }
    if (!isUtf8(body)) return badRequest(response, 'the body is not valid UTF-8: send JSON encoded as UTF-8');
    if (!isJson(request)) return next(); // grafserv answers 415 for a content type it does not take
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return badRequest(response, 'the body is not valid JSON: send {"query": "…", "variables": {…}}');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return badRequest(
        response,
        `the body must be one JSON object {"query": "…", "variables": {…}}, not ${Array.isArray(parsed) ? 'an array (batches are not supported: one operation per request)' : parsed === null ? 'null' : `a ${typeof parsed}`}`,
      );
    }
    request.body = parsed;
    next();
  });
  // body-parser's own errors (too large, aborted upload) as GraphQL-shaped JSON, not HTML
  app.use('/graphql', (error: { status?: number; type?: string }, _request: Request, response: Response, next: NextFunction) => {
    if (error.type === 'entity.too.large') return refuse(response, { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `Too much data: the request body is larger than ${maximumBodyBytes} bytes` });
    if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) return refuse(response, { status: error.status, code: 'BAD_REQUEST', message: 'the request body could not be read' });
    next(error);
  });
}
