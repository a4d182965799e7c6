// The API's two logins on a test database, as a test's API server should use them: through
// the run's PgBouncer when the run has one (SEQMETA_TEST_PGBOUNCER=1, started by the global
// setup), with the setting a deployment behind it needs, or straight to Postgres.
import { inject } from 'vitest';
import { throughPgbouncer, type PgbouncerAddress } from './pgbouncer.ts';

/** The run's PgBouncer; null when the run goes to Postgres directly. */
export function testPgbouncer(): PgbouncerAddress | null {
  return inject('testPgbouncer');
}

/**
 * Through `pgbouncer` (the run's, if it has one) with transaction pooling on, or straight to
 * Postgres with no setting.
 */
export function apiLogins(
  urls: { api: string; etl: string },
  pgbouncer: PgbouncerAddress | null = testPgbouncer(),
): { api: string; etl: string; environment: Record<string, string> } {
  if (pgbouncer === null) return { api: urls.api, etl: urls.etl, environment: {} };
  return {
    api: throughPgbouncer(urls.api, pgbouncer),
    etl: throughPgbouncer(urls.etl, pgbouncer),
    environment: { SEQMETA_TRANSACTION_POOLING: 'true' },
  };
}
