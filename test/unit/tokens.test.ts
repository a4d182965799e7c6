import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkTokenName,
  formatToken,
  generateSecret,
  hashSecret,
  parseScopes,
  parseToken,
  TokenError,
  verifySecret,
} from '../../src/tokens.ts';

const tokenId = '0f8e3c52-7d41-4b6a-9c1e-2a5b8d7f6e30';
const secret = 'q3Zk_-9xYv0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uU';

describe('token format', () => {
  it('is seqmeta_, the token id as 32 hex digits, _, and the secret', () => {
    expect(formatToken(tokenId, secret)).toBe(`seqmeta_0f8e3c527d414b6a9c1e2a5b8d7f6e30_${secret}`);
  });

  it('has a secret of 32 random bytes in base64url (43 characters), different every time', () => {
    const secrets = Array.from({ length: 20 }, generateSecret);
    for (const generated of secrets) {
      expect(generated).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(generated, 'base64url')).toHaveLength(32);
    }
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it('parses back into the id as a UUID and the secret, even when the secret holds _ and -', () => {
    expect(parseToken(formatToken(tokenId, secret))).toEqual({ tokenId, secret });
    const id = randomUUID();
    const fresh = generateSecret();
    expect(parseToken(formatToken(id, fresh))).toEqual({ tokenId: id, secret: fresh });
  });

  it.each([
    ['an empty string', ''],
    ['another prefix', `github_0f8e3c527d414b6a9c1e2a5b8d7f6e30_${secret}`],
    ['the prefix in capitals', `SEQMETA_0f8e3c527d414b6a9c1e2a5b8d7f6e30_${secret}`],
    ['the id in capitals', `seqmeta_0F8E3C527D414B6A9C1E2A5B8D7F6E30_${secret}`],
    ['the id with dashes', `seqmeta_${tokenId}_${secret}`],
    ['an id of 31 digits', `seqmeta_0f8e3c527d414b6a9c1e2a5b8d7f6e3_${secret}`],
    ['a secret of 42 characters', `seqmeta_0f8e3c527d414b6a9c1e2a5b8d7f6e30_${secret.slice(1)}`],
    ['a secret of 44 characters', `seqmeta_0f8e3c527d414b6a9c1e2a5b8d7f6e30_${secret}A`],
    ['a secret in standard base64', `seqmeta_0f8e3c527d414b6a9c1e2a5b8d7f6e30_${secret.replace('_', '/')}`],
    ['surrounding whitespace', ` seqmeta_0f8e3c527d414b6a9c1e2a5b8d7f6e30_${secret} `],
    ['a trailing newline', `seqmeta_0f8e3c527d414b6a9c1e2a5b8d7f6e30_${secret}\n`],
  ])('refuses %s', (_case, text) => {
    expect(parseToken(text)).toBeNull();
  });
});

describe('secret hash', () => {
  it('is SHA-256 of the secret, as 64 lowercase hex digits', () => {
    expect(hashSecret(secret)).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(hashSecret(secret)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('verifies the secret it was made from, and no other', () => {
    const stored = hashSecret(secret);
    expect(verifySecret(secret, stored)).toBe(true);
    expect(verifySecret(`${secret.slice(0, -1)}A`, stored)).toBe(false);
    expect(verifySecret(generateSecret(), stored)).toBe(false);
    expect(verifySecret('', stored)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['in capitals', () => hashSecret(secret).toUpperCase()],
    ['truncated', () => hashSecret(secret).slice(0, 63)],
    ['not hex', () => `${hashSecret(secret).slice(0, 63)}g`],
    ['the secret itself', secret],
  ])('refuses a stored hash that is %s without throwing', (_case, stored) => {
    const value = typeof stored === 'function' ? stored() : stored;
    expect(verifySecret(secret, value)).toBe(false);
  });
});

describe('scopes', () => {
  it('takes a comma-separated list or an array, drops duplicates and blanks, in a fixed order', () => {
    expect(parseScopes('read')).toEqual(['read']);
    expect(parseScopes('read,ingest')).toEqual(['ingest', 'read']);
    expect(parseScopes(' ingest , read, ingest,')).toEqual(['ingest', 'read']);
    expect(parseScopes(['read', 'read'])).toEqual(['read']);
  });

  it.each([
    ['nothing', '', /at least one/],
    ['only commas', ',,', /at least one/],
    ['an unknown scope', 'read,admin', /unknown scope "admin"/],
    ['a scope in capitals', 'READ', /unknown scope "READ"/],
  ])('refuses %s', (_case, input, message) => {
    expect(() => parseScopes(input)).toThrow(TokenError);
    expect(() => parseScopes(input)).toThrow(message);
  });
});

describe('token names', () => {
  it('accepts lowercase names of 1 to 64 characters', () => {
    for (const name of ['a', 'nextflow-prod', 'ci.pipeline_2', 'x'.repeat(64)]) expect(checkTokenName(name)).toBe(name);
  });

  it('refuses other names without repeating them (a token pasted by mistake must not be echoed)', () => {
    const pasted = formatToken(tokenId, secret);
    for (const name of ['', 'Nextflow', '-leading-dash', 'has space', 'x'.repeat(65), pasted]) {
      expect(() => checkTokenName(name), name).toThrow(TokenError);
    }
    let message = '';
    try {
      checkTokenName(pasted);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^a token name must be/);
    expect(message).not.toContain(secret);
  });
});
