// Connection details of the test Postgres, shared by the global setup and the test files.
import pg from 'pg';
import { developmentPasswords } from '../../src/database/embedded.ts';

export type TestServer = {
  /** superuser login on the server's maintenance database */
  adminUrl: string;
  /** migrated database that test files clone */
  templateDatabase: string;
  /** major version, e.g. 15 or 18 */
  serverVersion: number;
};

/** The logins of the three roles for `database` on the test server (development passwords). */
export function serverUrls(server: Pick<TestServer, 'adminUrl'>, database: string) {
  const login = (user: string, password: string) => {
    const url = new URL(server.adminUrl);
    url.username = user;
    url.password = password;
    url.pathname = `/${database}`;
    return url.toString();
  };
  return {
    admin: server.adminUrl,
    owner: login('seqmeta_owner', developmentPasswords.owner),
    etl: login('etl_worker', developmentPasswords.etl),
    api: login('frontend_api', developmentPasswords.api),
  };
}

/** One statement as the superuser, on its own connection. */
export async function adminQuery(adminUrl: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}
