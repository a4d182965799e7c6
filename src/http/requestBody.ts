// Reads the body of POST /graphql once, strictly, before grafserv sees it. grafserv (and
// body-parser) decode invalid UTF-8 into U+FFFD without a word: a patient id with a broken
// byte would be hashed and stored as another id. Here invalid UTF-8, invalid JSON, a body
// that is not one JSON object (a batch, null), a compressed body and an oversized body are
// answered 400/413/415 with a message that says what to send; grafserv then receives the
// parsed object.
//
// The bytes are read from the stream here rather than by body-parser (`express.raw`): with
// its content-type, charset and encoding machinery it cost about 0.1 ms of CPU per request,
// a sixth of a small read's whole cost (BENCHMARKS.md), for features /graphql does not take.
import { isUtf8 } from 'node:buffer';
import type { Express, NextFunction, Request, Response } from 'express';
import { refuse } from './refuse.ts';

const badRequest = (response: Response, message: string) => refuse(response, { status: 400, code: 'BAD_REQUEST', message });

const isJson = (request: Request) => /^application\/(graphql-response\+)?json\b/i.test(request.get('content-type') ?? '');

class BodyTooLarge extends Error {}

/** The whole body, or BodyTooLarge as soon as it passes `maximumBytes` (declared or sent). */
function readBody(request: Request, maximumBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(request.get('content-length')) > maximumBytes) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = (error: Error) => {
      request.off('data', onData);
      request.off('end', onEnd);
      // the rest of the upload is drained, unread, so the answer can still be sent
      request.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > maximumBytes) stop(new BodyTooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', stop);
    // a client gone before the end of its upload; after a complete read this changes nothing
    request.once('close', () => {
      if (!request.complete) stop(new Error('the upload ended early'));
    });
  });
}

export function installRequestBody(app: Express, maximumBodyBytes: number): void {
  app.post('/graphql', (request: Request, response: Response, next: NextFunction) => {
    const encoding = request.get('content-encoding');
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      return refuse(response, { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: `the body must not be compressed (Content-Encoding: ${encoding.slice(0, 40)}): send plain JSON` });
    }
    readBody(request, maximumBodyBytes).then(
      (body) => {
        // grafserv would wait for a stream already read: an empty body is answered here
        if (body.length === 0) return badRequest(response, 'the body is empty: send {"query": "…", "variables": {…}}');
        if (!isUtf8(body)) return badRequest(response, 'the body is not valid UTF-8: send JSON encoded as UTF-8');
        if (!isJson(request)) {
          // grafserv answers 415 for a content type it does not take; it reads request.body
          request.body = body;
          return next();
        }
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
      },
      (error: unknown) => {
        if (error instanceof BodyTooLarge) {
          return refuse(response, { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `Too much data: the request body is larger than ${maximumBodyBytes} bytes` });
        }
        // the client went away or the stream broke: nobody to answer, nothing was read
        if (!response.headersSent && !request.destroyed) refuse(response, { status: 400, code: 'BAD_REQUEST', message: 'the request body could not be read' });
      },
    );
  });
}
