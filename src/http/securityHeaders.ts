// Security headers on every response (helmet): no MIME sniffing, never framed, no Referer
// sent onwards, HTTPS remembered (browsers honour HSTS only over HTTPS, i.e. behind the TLS
// proxy), and a Content-Security-Policy. JSON (/graphql, the probes) gets the strictest one,
// `default-src 'none'`: nothing in it is ever meant to run or load. GraphiQL (Ruru) is a page
// that must work: its scripts come from its own static path, and its inline scripts are let
// through by a nonce drawn for each page (plugins/graphiqlScriptNonce.ts writes it into the
// page); styles may be inline, because GraphiQL's editor sets them at run time.
import { randomBytes } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import helmet from 'helmet';

export type SecurityHeadersOptions = {
  /** path prefixes of GraphiQL's page and its static assets (workers take their CSP from their own response) */
  graphiqlPaths: readonly string[];
};

/** The nonce of the GraphiQL page being answered, or undefined outside GraphiQL's paths. */
export function cspNonceOf(response: Response): string | undefined {
  const nonce: unknown = response.locals.cspNonce;
  return typeof nonce === 'string' ? nonce : undefined;
}

const NOTHING = ["'none'"];

export function installSecurityHeaders(app: Express, { graphiqlPaths }: SecurityHeadersOptions): void {
  app.use(
    helmet({
      contentSecurityPolicy: false, // one of the two below, by path
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    }),
  );

  const strictPolicy = helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: { defaultSrc: NOTHING, frameAncestors: NOTHING, baseUri: NOTHING, formAction: NOTHING },
  });
  const graphiqlPolicy = helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", (_request, response) => `'nonce-${cspNonceOf(response as Response)}'`],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      workerSrc: ["'self'"],
      objectSrc: NOTHING,
      baseUri: NOTHING,
      formAction: NOTHING,
      frameAncestors: NOTHING,
    },
  });
  const isGraphiql = (path: string) =>
    graphiqlPaths.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));

  app.use((request: Request, response: Response, next: (error?: unknown) => void) => {
    if (!isGraphiql(request.path)) {
      strictPolicy(request, response, next);
      return;
    }
    response.locals.cspNonce = randomBytes(16).toString('base64');
    graphiqlPolicy(request, response, next);
  });
}
