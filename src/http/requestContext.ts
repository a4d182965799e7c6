// What the HTTP layer learns about a request and hands to GraphQL: who is calling and the
// request's id. Never the body or the variables (they can carry patient identifiers).

export type Scope = 'ingest' | 'read';

/** An authenticated caller: the name of its API token and what the token allows. */
export type Principal = { name: string; scopes: ReadonlySet<Scope> };

declare module 'express-serve-static-core' {
  interface Request {
    seqmetaPrincipal?: Principal | null;
    seqmetaRequestId?: string;
  }
}

declare global {
  namespace Grafast {
    interface Context {
      principal: Principal | null;
      requestId: string | undefined;
    }
  }
}
