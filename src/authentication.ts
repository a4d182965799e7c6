// Who is calling: the bearer token of a request, checked against core.api_tokens through
// the etl_worker pool (frontend_api may read nothing but the frontend_* views). A request
// without a token is anonymous; whether anonymous callers may read is the API's decision
// (src/http/authentication.ts, plugins/readScope.ts), not this module's.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Principal } from './http/requestContext.ts';
import { isTokenScope, parseToken, verifySecret } from './tokens.ts';

// One shape for the caller everywhere: the request, the GraphQL context, the plugins.
export type { Principal };

/** Any token the server will not accept. The message is the same whatever the reason. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
  constructor() {
    super('invalid or expired token');
  }
}

export type AuthenticatorOptions = {
  etlPool: pg.Pool;
  allowAnonymousReads: boolean;
  /**
   * How long an accepted token is trusted without asking the database again, so a busy
   * pipeline does not cost a query per request. A revocation takes effect within this time.
   */
  cacheMilliseconds?: number;
  /** most tokens remembered at once; the oldest is forgotten first */
  maximumCachedTokens?: number;
};

export type Authenticator = {
  readonly allowAnonymousReads: boolean;
  /** null without a header (anonymous); throws AuthenticationError for any token it refuses */
  authenticate: (authorizationHeader: string | undefined) => Promise<Principal | null>;
  /**
   * The caller of a token accepted within the cache time, without asking the database;
   * undefined for any other header. Costs nothing, so it may be answered while the client's
   * address is held back for refused tokens (src/http/authentication.ts).
   */
  remembered: (authorizationHeader: string | undefined) => Principal | undefined;
};

type CachedPrincipal = { principal: Principal; validUntil: number };

type TokenRow = {
  name: string;
  secret_hash: string;
  scopes: string[];
  expires_at: Date;
  usable: boolean;
};

// Compared against when the token id is unknown, so that case costs what a wrong secret costs.
const UNKNOWN_TOKEN_HASH = '0'.repeat(64);

const BEARER = /^Bearer +(\S+)$/i;

export function createAuthenticator({
  etlPool,
  allowAnonymousReads,
  cacheMilliseconds = 30_000,
  maximumCachedTokens = 1_000,
}: AuthenticatorOptions): Authenticator {
  // Keyed by SHA-256 of the whole token: the token itself is kept nowhere in memory.
  const cache = new Map<string, CachedPrincipal>();

  async function lookUp(token: string): Promise<{ principal: Principal; expiresAt: Date }> {
    const parsed = parseToken(token);
    if (!parsed) throw new AuthenticationError();
    // usable is decided by the database's clock, the one expires_at was set by
    const result = await etlPool.query<TokenRow>(
      `select name, secret_hash, scopes, expires_at, (revoked_at is null and expires_at > now()) as usable
       from core.api_tokens where token_id = $1`,
      [parsed.tokenId],
    );
    const row = result.rows[0];
    const secretMatches = verifySecret(parsed.secret, row?.secret_hash ?? UNKNOWN_TOKEN_HASH);
    if (!row || !secretMatches || !row.usable) throw new AuthenticationError();
    return {
      principal: { name: row.name, scopes: new Set(row.scopes.filter(isTokenScope)) },
      expiresAt: row.expires_at,
    };
  }

  function remember(key: string, principal: Principal, expiresAt: Date): void {
    if (cacheMilliseconds <= 0) return;
    if (cache.size >= maximumCachedTokens) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, { principal, validUntil: Math.min(Date.now() + cacheMilliseconds, expiresAt.getTime()) });
  }

  /** the bearer token of a header; null when the header holds none */
  const tokenOf = (authorizationHeader: string): string | null => BEARER.exec(authorizationHeader.trim())?.[1] ?? null;
  const cacheKey = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

  /** the cached caller of `key`, forgetting it once its time is over */
  function cachedPrincipal(key: string): Principal | undefined {
    const cached = cache.get(key);
    if (!cached) return undefined;
    if (cached.validUntil > Date.now()) return cached.principal;
    cache.delete(key);
    return undefined;
  }

  return {
    allowAnonymousReads,
    async authenticate(authorizationHeader) {
      if (authorizationHeader === undefined) return null;
      const token = tokenOf(authorizationHeader);
      if (token === null) throw new AuthenticationError();

      const key = cacheKey(token);
      const cached = cachedPrincipal(key);
      if (cached) return cached;
      const { principal, expiresAt } = await lookUp(token);
      remember(key, principal, expiresAt);
      return principal;
    },
    remembered(authorizationHeader) {
      const token = authorizationHeader === undefined ? null : tokenOf(authorizationHeader);
      return token === null ? undefined : cachedPrincipal(cacheKey(token));
    },
  };
}
