// Authenticates every request to /graphql before PostGraphile sees it: a bad token, or no
// token when anonymous reads are off, is answered 401 here; otherwise the caller (or null,
// anonymous) is put on the request for the GraphQL context (src/preset.ts). What each
// caller may do is decided later, per operation: plugins/readScope.ts for queries, the
// ingest plugin for mutations.
import type { Express, Request, Response } from 'express';
import { AuthenticationError, type Authenticator, type Principal } from '../authentication.ts';
import type { Logger } from '../logger.ts';
// declares request.seqmetaPrincipal, which this middleware sets on /graphql
import './requestContext.ts';

export type AuthenticationOptions = {
  allowAnonymousReads: boolean;
  logger?: Logger;
};

function refuse(response: Response, status: number, code: string, message: string, challenge?: string): void {
  if (challenge !== undefined) response.setHeader('WWW-Authenticate', challenge);
  response.status(status).json({ errors: [{ message, extensions: { code } }] });
}

export function installAuthentication(app: Express, authenticator: Authenticator, options: AuthenticationOptions): void {
  app.use('/graphql', async (request: Request, response: Response, next: (error?: unknown) => void) => {
    const header = request.headers.authorization;
    let principal: Principal | null;
    try {
      principal = await authenticator.authenticate(header);
    } catch (error) {
      if (error instanceof AuthenticationError) {
        // RFC 6750: the client learns that its token was refused, never why
        refuse(response, 401, 'UNAUTHENTICATED', error.message, 'Bearer realm="seqmeta", error="invalid_token"');
        return;
      }
      // the database did not answer the look-up: the token may be fine, so not a 401
      options.logger?.error({ err: error }, 'could not authenticate a request: token look-up failed');
      refuse(response, 503, 'SERVICE_UNAVAILABLE', 'authentication is unavailable right now; try again shortly');
      return;
    }
    if (principal === null && !options.allowAnonymousReads) {
      refuse(
        response,
        401,
        'UNAUTHENTICATED',
        'this API needs a token: send it as `Authorization: Bearer <token>` (an operator creates one with `seqmeta token create`)',
        'Bearer realm="seqmeta"',
      );
      return;
    }
    request.seqmetaPrincipal = principal;
    next();
  });
}
