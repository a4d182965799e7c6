// API tokens: what a client sends as `Authorization: Bearer …` instead of database
// credentials. A token is `seqmeta_<token id, 32 hex>_<secret, 32 random bytes base64url>`.
// The id finds the row; only SHA-256 of the secret is stored, so the table cannot be
// replayed, and a secret of 256 random bits needs no slow hash. Operators manage tokens as
// the owner (core.api_tokens has no write grant for anyone else), each change audited.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';

export const TOKEN_SCOPES = ['ingest', 'read'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const MINIMUM_EXPIRY_DAYS = 1;
export const MAXIMUM_EXPIRY_DAYS = 3650;
export const DEFAULT_EXPIRY_DAYS = 90;

const TOKEN_PREFIX = 'seqmeta_';
const SECRET_BYTES = 32;
const TOKEN_PATTERN = /^seqmeta_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;
// the same rule as the table's check, so a bad name is refused before any database work
const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const NAME_RULE = "1 to 64 characters: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit";

const UNIQUE_VIOLATION = '23505';

/** A token request the operator can correct: bad name, scopes or expiry, a duplicate, an unknown name. */
export class TokenError extends Error {
  override name = 'TokenError';
}

export type ParsedToken = { tokenId: string; secret: string };

export function formatToken(tokenId: string, secret: string): string {
  return `${TOKEN_PREFIX}${tokenId.replaceAll('-', '').toLowerCase()}_${secret}`;
}

/** The id (as a UUID) and secret of a token, or null when `text` is not shaped like one. */
export function parseToken(text: string): ParsedToken | null {
  const match = TOKEN_PATTERN.exec(text);
  if (!match) return null;
  const hex = match[1]!;
  const tokenId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { tokenId, secret: match[2]! };
}

export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** SHA-256 of the secret's text, hex: what core.api_tokens.secret_hash holds. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export function verifySecret(secret: string, storedHash: string): boolean {
  if (!HASH_PATTERN.test(storedHash)) return false;
  const actual = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(actual, Buffer.from(storedHash, 'hex'));
}

export function isTokenScope(value: string): value is TokenScope {
  return (TOKEN_SCOPES as readonly string[]).includes(value);
}

/** `ingest,read` or a list of names; at least one, each known, duplicates dropped, in a fixed order. */
export function parseScopes(input: string | readonly string[]): TokenScope[] {
  const names = (typeof input === 'string' ? input.split(',') : [...input]).map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) {
    throw new TokenError(`--scopes needs at least one of: ${TOKEN_SCOPES.join(', ')}`);
  }
  const unknown = names.filter((name) => !isTokenScope(name));
  if (unknown.length > 0) {
    throw new TokenError(`unknown scope ${unknown.map((name) => `"${name}"`).join(', ')}: scopes are ${TOKEN_SCOPES.join(', ')}`);
  }
  return TOKEN_SCOPES.filter((scope) => names.includes(scope));
}

/** Refuses a malformed name without echoing it: a token pasted by mistake must not reach a log. */
export function checkTokenName(name: string): string {
  if (!NAME_PATTERN.test(name)) throw new TokenError(`a token name must be ${NAME_RULE}`);
  return name;
}

function checkExpiryDays(days: number): number {
  if (!Number.isInteger(days) || days < MINIMUM_EXPIRY_DAYS || days > MAXIMUM_EXPIRY_DAYS) {
    throw new TokenError(`a token must expire in ${MINIMUM_EXPIRY_DAYS} to ${MAXIMUM_EXPIRY_DAYS} whole days`);
  }
  return days;
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

export type TokenSummary = {
  tokenId: string;
  name: string;
  scopes: TokenScope[];
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  status: TokenStatus;
};

export type CreatedToken = Omit<TokenSummary, 'revokedAt' | 'status'> & {
  /** the plaintext token: shown once, stored nowhere */
  token: string;
};

export type RevokedToken = {
  tokenId: string;
  name: string;
  revokedAt: Date;
  /** true when it was revoked before: nothing changed and nothing was audited */
  alreadyRevoked: boolean;
};

export type CreateTokenOptions = {
  name: string;
  scopes: string | readonly string[];
  expiresInDays?: number;
};

/** Who runs the operator commands, for the audit log. */
function operatorPrincipal(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username || user;
  } catch {
    // no passwd entry for this uid (some containers): still audit, under a placeholder
  }
  return `operator:${user}`.slice(0, 200);
}

async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await work();
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

async function audit(client: pg.ClientBase, action: 'create_token' | 'revoke_token', details: { name: string; scopes: TokenScope[] }) {
  await client.query(
    'insert into core.audit_events (principal, action, request_id, details) values ($1, $2, $3, $4)',
    [operatorPrincipal(), action, randomUUID(), JSON.stringify(details)],
  );
}

type TokenRow = {
  token_id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  status: TokenStatus;
};

const knownScopes = (scopes: string[]) => scopes.filter(isTokenScope);

/**
 * Creates a token as the owner, audited in the same transaction. Returns the plaintext
 * token: the caller shows it once; only the hash of its secret is stored.
 */
export async function createToken(owner: pg.ClientBase, options: CreateTokenOptions): Promise<CreatedToken> {
  const name = checkTokenName(options.name);
  const scopes = parseScopes(options.scopes);
  const expiresInDays = checkExpiryDays(options.expiresInDays ?? DEFAULT_EXPIRY_DAYS);
  const secret = generateSecret();
  try {
    return await inTransaction(owner, async () => {
      const inserted = await owner.query<TokenRow>(
        `insert into core.api_tokens (name, secret_hash, scopes, expires_at)
         values ($1, $2, $3, now() + make_interval(days => $4))
         returning token_id, name, scopes, created_at, expires_at`,
        [name, hashSecret(secret), scopes, expiresInDays],
      );
      const row = inserted.rows[0]!;
      await audit(owner, 'create_token', { name, scopes });
      return {
        tokenId: row.token_id,
        name: row.name,
        scopes: knownScopes(row.scopes),
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        token: formatToken(row.token_id, secret),
      };
    });
  } catch (error) {
    if ((error as { code?: string; constraint?: string }).code === UNIQUE_VIOLATION) {
      throw new TokenError(
        `a token named "${name}" already exists (names are never reused, even after revocation): choose another name`,
      );
    }
    throw error;
  }
}

/** Every token, oldest first, with its status; never a secret or a hash. */
export async function listTokens(owner: pg.ClientBase): Promise<TokenSummary[]> {
  const result = await owner.query<TokenRow>(
    `select token_id, name, scopes, created_at, expires_at, revoked_at,
            case when revoked_at is not null then 'revoked' when expires_at <= now() then 'expired' else 'active' end as status
     from core.api_tokens
     order by created_at, name`,
  );
  return result.rows.map((row) => ({
    tokenId: row.token_id,
    name: row.name,
    scopes: knownScopes(row.scopes),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    status: row.status,
  }));
}

/**
 * Revokes the token named `name` as the owner, audited in the same transaction. Revoking
 * a revoked token changes nothing and says so, so a script may safely run it twice.
 */
export async function revokeToken(owner: pg.ClientBase, name: string): Promise<RevokedToken> {
  checkTokenName(name);
  return inTransaction(owner, async () => {
    // the row lock makes two concurrent revocations audit once
    const found = await owner.query<TokenRow>(
      'select token_id, name, scopes, revoked_at from core.api_tokens where name = $1 for update',
      [name],
    );
    const row = found.rows[0];
    if (!row) throw new TokenError(`no token is named "${name}": \`seqmeta token list\` shows them all`);
    if (row.revoked_at !== null) {
      return { tokenId: row.token_id, name: row.name, revokedAt: row.revoked_at, alreadyRevoked: true };
    }
    const updated = await owner.query<{ revoked_at: Date }>(
      'update core.api_tokens set revoked_at = now() where token_id = $1 returning revoked_at',
      [row.token_id],
    );
    await audit(owner, 'revoke_token', { name: row.name, scopes: knownScopes(row.scopes) });
    return { tokenId: row.token_id, name: row.name, revokedAt: updated.rows[0]!.revoked_at, alreadyRevoked: false };
  });
}
