// Every request gets an id: the caller's X-Request-Id when it is a plain token (so a
// pipeline can correlate its retries), otherwise a new one. It is echoed in the response,
// written to the audit log and used in log lines.
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import './requestContext.ts';

const acceptable = /^[A-Za-z0-9._:-]{1,100}$/;

export function installRequestId(app: Express): void {
  app.use((request, response, next) => {
    const offered = request.get('x-request-id');
    request.seqmetaRequestId = offered && acceptable.test(offered) ? offered : randomUUID();
    response.set('x-request-id', request.seqmetaRequestId);
    next();
  });
}
