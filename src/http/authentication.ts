// Authenticates every request to /graphql before PostGraphile sees it: a bad token, or no
// token when anonymous reads are off, is answered 401 here; otherwise the caller (or null,
// anonymous) is put on the request for the GraphQL context (src/preset.ts). What each
// caller may do is decided later, per operation: plugins/readScope.ts for queries, the
// ingest plugin for mutations.
import type { Express, Request, Response } from 'express';
import { AuthenticationError, type Authenticator, type Principal } from '../authentication.ts';
import { isDatabaseUnavailableError } from '../database/unavailable.ts';
import type { Logger } from '../logger.ts';
import { refuseWhileDatabaseUnavailable, type DatabaseGate } from './databaseGate.ts';
import { refuseTooManyRequests, type AuthenticationFailureLimit } from './rateLimits.ts';
import { refuse } from './refuse.ts';
// declares request.seqmetaPrincipal, which this middleware sets on /graphql
import './requestContext.ts';

export type AuthenticationOptions = {
  allowAnonymousReads: boolean;
  logger?: Logger;
  /** told when a token look-up fails on the database (src/http/databaseGate.ts) */
  databaseGate?: Pick<DatabaseGate, 'report' | 'retryAfterSeconds'>;
  /** refused tokens per client address (src/http/rateLimits.ts); null or absent: no limit */
  failureLimit?: AuthenticationFailureLimit | null;
};

export function installAuthentication(app: Express, authenticator: Authenticator, options: AuthenticationOptions): void {
  app.use('/graphql', async (request: Request, response: Response, next: (error?: unknown) => void) => {
    const header = request.headers.authorization;
    const { failureLimit } = options;
    if (header !== undefined && failureLimit) {
      // before the look-up: an address that keeps guessing costs the database nothing
      const seconds = await failureLimit.retryAfterSeconds(request);
      if (seconds !== null) {
        // Behind a proxy that is not trusted every client shares one address: a token accepted
        // moments ago costs no look-up either, so a working pipeline keeps working.
        const remembered = authenticator.remembered(header);
        if (remembered === undefined) {
          refuseTooManyRequests(response, seconds, `too many refused tokens from this address; try again in ${seconds} s`);
          return;
        }
        request.seqmetaPrincipal = remembered;
        next();
        return;
      }
    }
    let principal: Principal | null;
    try {
      principal = await authenticator.authenticate(header);
    } catch (error) {
      if (error instanceof AuthenticationError) {
        await failureLimit?.recordFailure(request);
        // RFC 6750: the client learns that its token was refused, never why
        refuse(response, {
          status: 401,
          code: 'UNAUTHENTICATED',
          message: error.message,
          headers: { 'WWW-Authenticate': 'Bearer realm="seqmeta", error="invalid_token"' },
        });
        return;
      }
      // the database did not answer the look-up: the token may be fine, so not a 401
      options.logger?.error({ err: error }, 'could not authenticate a request: token look-up failed');
      options.databaseGate?.report(error);
      if (isDatabaseUnavailableError(error)) {
        refuseWhileDatabaseUnavailable(response, options.databaseGate?.retryAfterSeconds ?? 1);
      } else {
        refuse(response, { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'authentication is unavailable right now; try again shortly' });
      }
      return;
    }
    if (principal === null && !options.allowAnonymousReads) {
      refuse(response, {
        status: 401,
        code: 'UNAUTHENTICATED',
        message: 'this API needs a token: send it as `Authorization: Bearer <token>` (an operator creates one with `seqmeta token create`)',
        headers: { 'WWW-Authenticate': 'Bearer realm="seqmeta"' },
      });
      return;
    }
    request.seqmetaPrincipal = principal;
    next();
  });
}
