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

  it('reports a URL a command needs but the configuration lacks', () => {
    const config = loadConfig({ SEQMETA_API_DATABASE_URL: productionUrls.SEQMETA_API_DATABASE_URL });
    expect(() => requireDatabaseUrl(config.databaseUrls!, 'owner')).toThrow(
      /SEQMETA_OWNER_DATABASE_URL: missing \(the schema owner, to run migrations\)/,
    );
  });
});
