// Bearer tokens over HTTP, against a live server: who may reach /graphql at all (401 before
// PostGraphile for a bad token, or for no token when anonymous reads are off), and who may
// run a query (the read scope, checked where the operation runs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRefusal } from '../../plugins/readScope.ts';
import type { Principal } from '../../src/authentication.ts';
import { createToken, parseToken, revokeToken } from '../../src/tokens.ts';
import { startTestApi, type TestApi } from '../support/apiServer.ts';

const query = '{ samples(first: 1) { totalCount } }';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A token created as the owner on the API's database. */
async function tokenFor(api: TestApi, name: string, scopes: string): Promise<string> {
  const owner = await api.database.connect('owner');
  return (await createToken(owner, { name, scopes })).token;
}

async function post(api: TestApi, headers: Record<string, string>, document = query) {
  const response = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query: document }),
  });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as any };
}

const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => body.errors?.map((error) => error.extensions?.code);

describe('with anonymous reads off', () => {
  let api: TestApi;
  let readToken: string;
  let ingestToken: string;
  let bothToken: string;

  beforeAll(async () => {
    api = await startTestApi({ SEQMETA_ALLOW_ANONYMOUS_READS: 'false' });
    readToken = await tokenFor(api, 'reader', 'read');
    ingestToken = await tokenFor(api, 'pipeline', 'ingest');
    bothToken = await tokenFor(api, 'pipeline-reader', 'ingest,read');
  }, 60_000);
  afterAll(() => api?.stop());

  it('is what the configuration says', () => {
    expect(api.config.server.allowAnonymousReads).toBe(false);
  });

  it('answers 401 UNAUTHENTICATED to a request without a token, with a Bearer challenge', async () => {
    const response = await post(api, {});
    expect(response.status).toBe(401);
    expect(response.challenge).toMatch(/^Bearer /);
    expect(codes(response.body)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.data).toBeUndefined();
  });

  it.each([
    ['a malformed token', () => 'Bearer not-a-token'],
    ['another scheme', () => 'Basic dXNlcjpwYXNzd29yZA=='],
    ['a token with a wrong secret', () => `Bearer ${readToken.slice(0, -1)}${readToken.endsWith('A') ? 'B' : 'A'}`],
  ])('answers 401 with a generic message to %s', async (_case, header) => {
    const response = await post(api, { authorization: header() });
    expect(response.status).toBe(401);
    expect(response.challenge).toContain('error="invalid_token"');
    expect(response.body).toEqual({ errors: [{ message: 'invalid or expired token', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('answers a token with the read scope with data', async () => {
    for (const token of [readToken, bothToken]) {
      const response = await post(api, bearer(token));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ data: { samples: { totalCount: 0 } } });
    }
  });

  it('refuses a query from a token with only the ingest scope: FORBIDDEN, no data', async () => {
    const response = await post(api, bearer(ingestToken));
    expect(response.status).toBe(200);
    expect(codes(response.body)).toEqual(['FORBIDDEN']);
    expect(response.body.errors[0].message).toContain('lacks the read scope');
    expect(response.body.data ?? null).toBeNull();
  });

  it('lets a token with only the ingest scope through to mutations (the ingest plugin checks those)', async () => {
    const response = await post(api, bearer(ingestToken), 'mutation { __typename }');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { __typename: 'Mutation' } });
  });

  it('refuses a revoked token (one this server has not cached)', async () => {
    const token = await tokenFor(api, 'revoked-reader', 'read');
    await revokeToken(await api.database.connect('owner'), 'revoked-reader');
    const response = await post(api, bearer(token));
    expect(response.status).toBe(401);
    expect(codes(response.body)).toEqual(['UNAUTHENTICATED']);
  });

  it('never sends the token or its secret back', async () => {
    const { secret } = parseToken(readToken)!;
    const responses = [await post(api, bearer(readToken)), await post(api, bearer(ingestToken)), await post(api, { authorization: `Bearer ${readToken}x` })];
    for (const response of responses) expect(JSON.stringify(response.body)).not.toContain(secret);
  });

  it('leaves /healthz open: probes carry no token', async () => {
    const response = await fetch(`${api.url}/healthz`);
    expect(response.status).toBe(200);
  });
});

describe('with anonymous reads on', () => {
  let api: TestApi;
  let ingestToken: string;

  beforeAll(async () => {
    api = await startTestApi({ SEQMETA_ALLOW_ANONYMOUS_READS: 'true' });
    ingestToken = await tokenFor(api, 'pipeline', 'ingest');
  }, 60_000);
  afterAll(() => api?.stop());

  it('answers a request without a token with data', async () => {
    const response = await post(api, {});
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { samples: { totalCount: 0 } } });
  });

  it('still answers 401 to a bad token rather than reading anonymously', async () => {
    const response = await post(api, { authorization: 'Bearer seqmeta_not_a_token' });
    expect(response.status).toBe(401);
    expect(codes(response.body)).toEqual(['UNAUTHENTICATED']);
  });

  it('lets a token with only the ingest scope read what anyone may', async () => {
    const response = await post(api, bearer(ingestToken));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { samples: { totalCount: 0 } } });
  });
});

describe('the read rule of plugins/readScope.ts', () => {
  // Over HTTP an anonymous request never reaches it when anonymous reads are off (401
  // first); the rule must refuse it anyway, should a request arrive some other way.
  const principal = (...scopes: Array<'ingest' | 'read'>): Principal => ({ name: 'rule-check', scopes: new Set(scopes) });

  it('refuses anonymous callers and tokens without the read scope when anonymous reads are off', () => {
    const off = { allowAnonymousReads: false };
    expect(readRefusal(null, off)).toMatch(/needs a token with the read scope/);
    expect(readRefusal(principal('ingest'), off)).toMatch(/"rule-check" lacks the read scope/);
    expect(readRefusal(principal(), off)).toMatch(/lacks the read scope/);
    expect(readRefusal(principal('read'), off)).toBeNull();
    expect(readRefusal(principal('ingest', 'read'), off)).toBeNull();
  });

  it('lets everyone read when anonymous reads are on', () => {
    const on = { allowAnonymousReads: true };
    expect([readRefusal(null, on), readRefusal(principal('ingest'), on), readRefusal(principal('read'), on)]).toEqual([null, null, null]);
  });
});
