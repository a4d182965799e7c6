// Which errors the API answers with 503 SERVICE_UNAVAILABLE (the database cannot be reached)
// and which keep their own handling. The errors are shaped as node-postgres and pg-pool make
// them; test/api/faults.test.ts meets the real ones by stopping Postgres.
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailableError } from '../../src/database/unavailable.ts';

const postgresError = (code: string, message = 'from Postgres') => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('isDatabaseUnavailableError', () => {
  it('is true for a server going away or refusing connections', () => {
    for (const code of ['57P01', '57P02', '57P03', '53300', '3D000', '08006', '08001', '08P01']) {
      expect(isDatabaseUnavailableError(postgresError(code)), code).toBe(true);
    }
  });

  it('is true for sockets that find nobody, and for the driver\'s own words', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']) {
      expect(isDatabaseUnavailableError(Object.assign(new Error('connect failed'), { code })), code).toBe(true);
    }
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
    ]) {
      expect(isDatabaseUnavailableError(new Error(message)), message).toBe(true);
    }
  });

  it('looks inside wrapping errors: a cause, or every address of a host refusing', () => {
    expect(isDatabaseUnavailableError(new Error('query failed', { cause: postgresError('57P01') }))).toBe(true);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailableError(new AggregateError([refused, refused], 'all addresses failed'))).toBe(true);
  });

  it('is false for errors of the request or of the schema, and for what is not an error', () => {
    for (const code of ['42501', '22P02', '23505', '57014', '40001', '28P01', '0800']) {
      expect(isDatabaseUnavailableError(postgresError(code)), code).toBe(false);
    }
    expect(isDatabaseUnavailableError(new Error('permission denied for view frontend_run_files'))).toBe(false);
    expect(isDatabaseUnavailableError(null)).toBe(false);
    expect(isDatabaseUnavailableError('Connection terminated unexpectedly')).toBe(false);
  });
});
