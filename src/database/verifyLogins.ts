// Before it serves, the API asks each of its pools who it logged in as. What PostGraphile may
// read is what the read login may select, and what ingest may write is what etl_worker may:
// only the narrow runtime roles keep those to the views and the ingest tables. A URL's user
// name is not proof (`postgres://frontend_api:…@host/db?user=etl_worker` logs in as etl_worker;
// so does a pooler that maps users), and a role of the right name may have been made a
// superuser, which no grant then limits.
import type pg from 'pg';
import { loggableError, type Logger } from '../logger.ts';
import type { Pools } from '../pools.ts';
import { queryOnFreshConnection } from './freshConnection.ts';
import { isDatabaseUnavailableError } from './unavailable.ts';

export class LoginError extends Error {
  override name = 'LoginError';
}

const WHO_AM_I_SQL = 'select current_user as login, (select rolsuper from pg_roles where rolname = current_user) as superuser';

type Expected = { pool: pg.Pool; setting: string; login: 'frontend_api' | 'etl_worker'; does: string };

/** on a connection of its own, with the pool's settings: the check leaves no connection in the pool */
async function whoAmI(pool: pg.Pool): Promise<{ login: string; superuser: boolean | null } | undefined> {
  return (await queryOnFreshConnection<{ login: string; superuser: boolean | null }>(pool, WHO_AM_I_SQL, { applicationName: 'seqmeta-login-check' })).rows[0];
}

/**
 * Throws LoginError, naming the setting, unless the read pools log in as frontend_api and the
 * ingest pool as etl_worker, none of them a superuser. A replica that does not answer is left
 * unchecked (the server may start with reads on the primary): its roles are the primary's,
 * copied by physical replication, and config.ts has checked its URL's effective user.
 */
export async function verifyLogins(pools: Pick<Pools, 'api' | 'etl' | 'apiReplica'>, logger: Logger): Promise<void> {
  const expected: Expected[] = [
    { pool: pools.api, setting: 'SEQMETA_API_DATABASE_URL', login: 'frontend_api', does: 'the API\'s reads' },
    { pool: pools.etl, setting: 'SEQMETA_ETL_DATABASE_URL', login: 'etl_worker', does: 'the ingest writes' },
    ...(pools.apiReplica
      ? [{ pool: pools.apiReplica, setting: 'SEQMETA_API_REPLICA_DATABASE_URL', login: 'frontend_api', does: 'the API\'s reads on the replica' } as const]
      : []),
  ];
  const problems: string[] = [];
  for (const { pool, setting, login, does } of expected) {
    let row: { login: string; superuser: boolean | null } | undefined;
    try {
      row = await whoAmI(pool);
    } catch (error) {
      if (pool === pools.apiReplica && isDatabaseUnavailableError(error)) {
        logger.warn({ err: loggableError(error) }, 'the read replica does not answer: its login is not checked at start');
        continue;
      }
      throw error;
    }
    if (row?.login !== login) {
      problems.push(`- ${setting} logs in as ${row?.login ?? 'nobody'}; ${does} must log in as ${login}`);
    } else if (row.superuser !== false) {
      problems.push(`- ${setting} logs in as ${login}, which is a superuser: no grant limits it (alter role ${login} nosuperuser)`);
    }
  }
  if (problems.length > 0) throw new LoginError(`Refusing to start:\n${problems.join('\n')}`);
}
