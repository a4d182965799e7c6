import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireDatabaseUrl } from '../../src/config.ts';

const productionUrls = {
  SEQMETA_OWNER_DATABASE_URL: 'postgres://seqmeta_owner:owner-secret@db.example.test:5432/seqmeta',
  SEQMETA_ETL_DATABASE_URL: 'postgres://etl_worker:etl-secret@db.example.test:5432/seqmeta',
  SEQMETA_API_DATABASE_URL: 'postgres://frontend_api:api-secret@db.example.test:5432/seqmeta',
};

describe('loadConfig', () => {
  it('chooses the embedded mode when no database URL is set', () => {
    const config = loadConfig({}, '/project');
    expect(config.mode).toBe('embedded');
    expect(config.databaseUrls).toBeNull();
    expect(config.dataDirectory).toBe('/project/.seqmeta');
    expect(config.embeddedPort).toBe(54329);
  });

  it('treats empty settings as unset', () => {
    expect(loadConfig({ SEQMETA_OWNER_DATABASE_URL: '  ', LOG_LEVEL: '' }).mode).toBe('embedded');
  });

  it('chooses the production mode when any database URL is set', () => {
    const config = loadConfig(productionUrls);
    expect(config.mode).toBe('production');
    expect(config.databaseUrls?.owner).toBe(productionUrls.SEQMETA_OWNER_DATABASE_URL);
    expect(config.databaseUrls?.admin).toBeNull();
  });

  it('names every malformed setting and never echoes its value', () => {
    const attempt = () =>
      loadConfig({
        SEQMETA_API_DATABASE_URL: 'mysql://frontend_api:api-secret@host/db',
        SEQMETA_EMBEDDED_PORT: 'eighty',
        LOG_LEVEL: 'loud',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('SEQMETA_API_DATABASE_URL: must be a postgres:// URL');
      expect(message).toContain('SEQMETA_EMBEDDED_PORT');
      expect(message).toContain('LOG_LEVEL');
      expect(message).not.toContain('api-secret');
    }
  });

  it('allows anonymous reads by default in embedded mode only, and as SEQMETA_ALLOW_ANONYMOUS_READS says', () => {
    expect(loadConfig({}).server.allowAnonymousReads).toBe(true);
    expect(loadConfig(productionUrls).server.allowAnonymousReads).toBe(false);
    expect(loadConfig({ ...productionUrls, SEQMETA_ALLOW_ANONYMOUS_READS: 'true' }).server.allowAnonymousReads).toBe(true);
    expect(loadConfig({ SEQMETA_ALLOW_ANONYMOUS_READS: 'false' }).server.allowAnonymousReads).toBe(false);
    expect(loadConfig({ ...productionUrls, SEQMETA_ALLOW_ANONYMOUS_READS: ' ' }).server.allowAnonymousReads).toBe(false);
    for (const value of ['yes', '1', 'TRUE']) {
      expect(() => loadConfig({ SEQMETA_ALLOW_ANONYMOUS_READS: value }), value).toThrow(
        /SEQMETA_ALLOW_ANONYMOUS_READS: must be true or false/,
      );
    }
  });

  it('serves /metrics unless SEQMETA_METRICS is false', () => {
    expect(loadConfig({}).server.metrics).toBe(true);
    expect(loadConfig({ ...productionUrls, SEQMETA_METRICS: ' ' }).server.metrics).toBe(true);
    expect(loadConfig({ SEQMETA_METRICS: 'true' }).server.metrics).toBe(true);
    expect(loadConfig({ ...productionUrls, SEQMETA_METRICS: 'false' }).server.metrics).toBe(false);
    for (const value of ['no', '0', 'False']) {
      expect(() => loadConfig({ SEQMETA_METRICS: value }), value).toThrow(/SEQMETA_METRICS: must be true or false/);
    }
  });

  it('allows CORS from no origin by default, and from exactly the origins SEQMETA_CORS_ORIGINS lists', () => {
    expect(loadConfig({}).edge.corsOrigins).toEqual([]);
    expect(loadConfig({ SEQMETA_CORS_ORIGINS: 'https://frontend.example.org, http://localhost:3000' }).edge.corsOrigins).toEqual([
      'https://frontend.example.org',
      'http://localhost:3000',
    ]);
    for (const value of ['*', 'https://frontend.example.org/', 'https://frontend.example.org/app', 'frontend.example.org', 'ftp://frontend.example.org']) {
      expect(() => loadConfig({ SEQMETA_CORS_ORIGINS: value }), value).toThrow(/SEQMETA_CORS_ORIGINS: must be a comma-separated list of exact origins/);
    }
  });

  it('trusts no proxy by default, and what SEQMETA_TRUST_PROXY says in the forms Express accepts', () => {
    expect(loadConfig({}).edge.trustProxy).toBe(false);
    expect(loadConfig({ SEQMETA_TRUST_PROXY: '1' }).edge.trustProxy).toBe(1);
    expect(loadConfig({ SEQMETA_TRUST_PROXY: 'true' }).edge.trustProxy).toBe(true);
    expect(loadConfig({ SEQMETA_TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }).edge.trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    for (const value of ['yes', 'localhost', '10.0.0.0/33', '10.0.0.300']) {
      expect(() => loadConfig({ SEQMETA_TRUST_PROXY: value }), value).toThrow(/SEQMETA_TRUST_PROXY: must be false, true, a number of proxies/);
    }
  });

  it('behind a transaction pooler (SEQMETA_TRANSACTION_POOLING) turns named prepared statements off unless SEQMETA_PREPARED_STATEMENTS says', () => {
    expect(loadConfig({}).server).toMatchObject({ transactionPooling: false, preparedStatements: true });
    expect(loadConfig({ SEQMETA_TRANSACTION_POOLING: 'true' }).server).toMatchObject({ transactionPooling: true, preparedStatements: false });
    // PgBouncer 1.21 and later with max_prepared_statements > 0 keeps them
    expect(loadConfig({ SEQMETA_TRANSACTION_POOLING: 'true', SEQMETA_PREPARED_STATEMENTS: 'true' }).server.preparedStatements).toBe(true);
    expect(loadConfig({ SEQMETA_PREPARED_STATEMENTS: 'false' }).server).toMatchObject({ transactionPooling: false, preparedStatements: false });
    for (const name of ['SEQMETA_TRANSACTION_POOLING', 'SEQMETA_PREPARED_STATEMENTS']) {
      expect(() => loadConfig({ [name]: 'pgbouncer' })).toThrow(new RegExp(`${name}: must be true or false`));
    }
  });

  it('reads on the primary unless SEQMETA_API_REPLICA_DATABASE_URL names a replica; falls back to the primary and waits 2 s by default', () => {
    expect(loadConfig(productionUrls).databaseUrls?.apiReplica).toBeNull();
    expect(loadConfig(productionUrls).server).toMatchObject({ replicaFallback: 'primary', replicaWaitMilliseconds: 2_000 });
    const replica = 'postgres://frontend_api:api-secret@replica.example.test:5432/seqmeta';
    const config = loadConfig({ ...productionUrls, SEQMETA_API_REPLICA_DATABASE_URL: replica, SEQMETA_REPLICA_FALLBACK: 'fail', SEQMETA_REPLICA_WAIT_MS: '500' });
    expect(config.databaseUrls).toMatchObject({ api: productionUrls.SEQMETA_API_DATABASE_URL, apiReplica: replica });
    expect(config.server).toMatchObject({ replicaFallback: 'fail', replicaWaitMilliseconds: 500 });
    // the user may be given as a parameter instead
    const asParameter = 'postgres://replica.example.test:5432/seqmeta?user=frontend_api&password=api-secret';
    expect(loadConfig({ ...productionUrls, SEQMETA_API_REPLICA_DATABASE_URL: asParameter }).databaseUrls?.apiReplica).toBe(asParameter);
  });

  it('refuses a replica URL without the primary\'s read login, with another user, or a fallback or wait it does not know, never echoing the URL', () => {
    const replica = 'postgres://frontend_api:api-secret@replica.example.test:5432/seqmeta';
    const problems = [
      [{ SEQMETA_API_REPLICA_DATABASE_URL: replica }, /SEQMETA_API_REPLICA_DATABASE_URL: needs SEQMETA_API_DATABASE_URL too/],
      [
        { ...productionUrls, SEQMETA_API_REPLICA_DATABASE_URL: 'postgres://seqmeta_owner:api-secret@replica.example.test/seqmeta' },
        /SEQMETA_API_REPLICA_DATABASE_URL: the user must be frontend_api/,
      ],
      // pg logs in as the ?user= parameter, whatever user name the URL shows
      [
        { ...productionUrls, SEQMETA_API_REPLICA_DATABASE_URL: 'postgres://frontend_api:api-secret@replica.example.test/seqmeta?user=etl_worker' },
        /SEQMETA_API_REPLICA_DATABASE_URL: the user must be frontend_api/,
      ],
      [
        { ...productionUrls, SEQMETA_API_REPLICA_DATABASE_URL: 'postgres://replica.example.test/seqmeta?password=api-secret' },
        /SEQMETA_API_REPLICA_DATABASE_URL: the user must be frontend_api/,
      ],
      [{ ...productionUrls, SEQMETA_API_REPLICA_DATABASE_URL: 'mysql://frontend_api:api-secret@replica/seqmeta' }, /SEQMETA_API_REPLICA_DATABASE_URL: must be a postgres:\/\/ URL/],
      [{ ...productionUrls, SEQMETA_REPLICA_FALLBACK: 'replica' }, /SEQMETA_REPLICA_FALLBACK: must be primary .* or fail/],
      [{ ...productionUrls, SEQMETA_REPLICA_WAIT_MS: '0' }, /SEQMETA_REPLICA_WAIT_MS/],
    ] as const;
    for (const [environment, message] of problems) {
      expect(() => loadConfig(environment)).toThrow(message);
      expect(() => loadConfig(environment)).not.toThrow(/api-secret/);
    }
  });

  it('trusts an accepted token for 30 s by default, as long as SEQMETA_TOKEN_CACHE_SECONDS says; 0 asks the database every time', () => {
    expect(loadConfig({}).server.tokenCacheMilliseconds).toBe(30_000);
    expect(loadConfig({ SEQMETA_TOKEN_CACHE_SECONDS: '1' }).server.tokenCacheMilliseconds).toBe(1_000);
    expect(loadConfig({ SEQMETA_TOKEN_CACHE_SECONDS: '0' }).server.tokenCacheMilliseconds).toBe(0);
    for (const value of ['-1', '0.5', 'long']) {
      expect(() => loadConfig({ SEQMETA_TOKEN_CACHE_SECONDS: value }), value).toThrow(/SEQMETA_TOKEN_CACHE_SECONDS/);
    }
  });

  it('limits refused tokens and requests per minute by default; 0 turns a limit off', () => {
    expect(loadConfig({}).edge).toMatchObject({ authenticationFailuresPerMinute: 20, requestsPerMinutePerToken: 1_200 });
    const off = loadConfig({ SEQMETA_AUTH_FAILURES_PER_MINUTE: '0', SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN: '0' }).edge;
    expect(off).toMatchObject({ authenticationFailuresPerMinute: 0, requestsPerMinutePerToken: 0 });
    expect(() => loadConfig({ SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN: '-1' })).toThrow(/SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN/);
    expect(() => loadConfig({ SEQMETA_AUTH_FAILURES_PER_MINUTE: 'many' })).toThrow(/SEQMETA_AUTH_FAILURES_PER_MINUTE/);
  });

  it('serves GraphiQL, with introspection, in embedded mode only by default; introspection follows GraphiQL unless set', () => {
    expect(loadConfig({}).edge).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig(productionUrls).edge).toMatchObject({ graphiql: false, introspection: false });
    expect(loadConfig({ ...productionUrls, SEQMETA_GRAPHIQL: 'true' }).edge).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig({ ...productionUrls, SEQMETA_INTROSPECTION: 'true' }).edge).toMatchObject({ graphiql: false, introspection: true });
    expect(loadConfig({ SEQMETA_GRAPHIQL: 'false' }).edge).toMatchObject({ graphiql: false, introspection: false });
    expect(() => loadConfig({ SEQMETA_INTROSPECTION: 'false' })).toThrow(/SEQMETA_INTROSPECTION: GraphiQL needs introspection/);
    expect(() => loadConfig({ SEQMETA_GRAPHIQL: 'yes' })).toThrow(/SEQMETA_GRAPHIQL: must be true or false/);
  });

  it('turns trusted documents on with SEQMETA_PERSISTED_OPERATIONS_DIR, relative to the project', () => {
    expect(loadConfig({}, '/project').edge).toMatchObject({ persistedOperationsDirectory: null, unpersistedOperationsFrom: 'ingest' });
    const on = loadConfig({ SEQMETA_PERSISTED_OPERATIONS_DIR: 'trusted-documents', SEQMETA_ALLOW_UNPERSISTED_OPERATIONS: 'tokens' }, '/project').edge;
    expect(on).toMatchObject({ persistedOperationsDirectory: '/project/trusted-documents', unpersistedOperationsFrom: 'tokens' });
    expect(() => loadConfig({ SEQMETA_ALLOW_UNPERSISTED_OPERATIONS: 'everyone' })).toThrow(
      /SEQMETA_ALLOW_UNPERSISTED_OPERATIONS: must be ingest \(tokens with the ingest scope\) or tokens \(any valid token\)/,
    );
  });

  it('reports a URL a command needs but the configuration lacks', () => {
    const config = loadConfig({ SEQMETA_API_DATABASE_URL: productionUrls.SEQMETA_API_DATABASE_URL });
    expect(() => requireDatabaseUrl(config.databaseUrls!, 'owner')).toThrow(
      /SEQMETA_OWNER_DATABASE_URL: missing \(the schema owner, to run migrations\)/,
    );
  });
});
