// Reads the body of POST /graphql once, strictly, before grafserv sees it. grafserv (and
// body-parser) decode invalid UTF-8 into U+FFFD without a word: a patient id with a broken
// byte would be hashed and stored as another id. Here invalid UTF-8, invalid JSON, a body
// that is not one JSON object (a batch, null) and an oversized body are answered 400/413 with
// a message that says what to send; grafserv then receives the parsed object.
import { isUtf8 } from 'node:buffer';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';

function refuse(response: Response, status: number, message: string): void {
  response.status(status).json({ errors: [{ message, extensions: { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST' } }] });
}

const isJson = (request: Request) => /^application\/(graphql-response\+)?json\b/i.test(request.get('content-type') ?? '');

export function installRequestBody(app: Express, maximumBodyBytes: number): void {
  app.post('/graphql', express.raw({ type: () => true, limit: maximumBodyBytes }), (request, response, next) => {
    const body: unknown = request.body;
    // grafserv would wait for a stream already read: an empty body is answered here
    if (!Buffer.isBuffer(body) || body.length === 0) {
      return refuse(response, 400, 'the body is empty: send {"query": "…", "variables": {…}}');
    }
    if (!isUtf8(body)) return refuse(response, 400, 'the body is not valid UTF-8: send JSON encoded as UTF-8');
    if (!isJson(request)) return next(); // grafserv answers 415 for a content type it does not take
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(response, 400, 'the body is not valid JSON: send {"query": "…", "variables": {…}}');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return refuse(
        response,
        400,
        `the body must be one JSON object {"query": "…", "variables": {…}}, not ${Array.isArray(parsed) ? 'an array (batches are not supported: one operation per request)' : parsed === null ? 'null' : `a ${typeof parsed}`}`,
      );
    }
    request.body = parsed;
    next();
  });
  // body-parser's own errors (too large, aborted upload) as GraphQL-shaped JSON, not HTML
  app.use('/graphql', (error: { status?: number; type?: string }, _request: Request, response: Response, next: NextFunction) => {
    if (error.type === 'entity.too.large') return refuse(response, 413, `Too much data: the request body is larger than ${maximumBodyBytes} bytes`);
    if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) return refuse(response, error.status, 'the request body could not be read');
    next(error);
  });
}
