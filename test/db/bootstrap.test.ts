// Bootstrap against the test server, in a database of its own: idempotence, lock-down and
// the messages a misconfigured operator sees.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../src/config.ts';
import { bootstrap } from '../../src/database/bootstrap.ts';
import { DatabaseConnectionError } from '../../src/database/connectionErrors.ts';
import { adminQuery, serverUrls } from '../support/server.ts';

const server = inject('testServer');
const databaseName = `seqmeta_bootstrap_${randomBytes(4).toString('hex')}`;
const urls = serverUrls(server, databaseName);

afterAll(() => adminQuery(server.adminUrl, `drop database if exists ${databaseName} with (force)`));

/** Everything bootstrap may touch, as text, to compare two runs. */
async function clusterSnapshot(): Promise<unknown> {
  const roles = await adminQuery(
    server.adminUrl,
    `select rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
            rolbypassrls, rolpassword
       from pg_authid where rolname in ('seqmeta_owner', 'etl_worker', 'frontend_api') order by rolname`,
  );
  const database = await adminQuery(
    server.adminUrl,
    `select datname, pg_get_userbyid(datdba) as owner, datacl::text from pg_database where datname = $1`,
    [databaseName],
  );
  const inDatabase = await adminQuery(
    urls.admin.replace(/\/postgres$/, `/${databaseName}`),
    `select (select nspacl::text from pg_namespace where nspname = 'public') as public_acl,
            (select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'public') as public_owner,
            (select json_agg(defaclacl::text order by defaclacl::text) from pg_default_acl) as default_acls`,
  );
  return { roles: roles.rows, database: database.rows, inDatabase: inDatabase.rows };
}

describe('bootstrap', () => {
  it('creates the database on the first run and changes nothing on the second', async () => {
    const first = await bootstrap(urls);
    expect(first).toEqual({ createdDatabase: true, databaseName });
    const before = await clusterSnapshot();
    const second = await bootstrap(urls);
    expect(second.createdDatabase).toBe(false);
    expect(await clusterSnapshot()).toEqual(before);
  });

  it('leaves PUBLIC no CONNECT or TEMP on the database, and the runtime roles CONNECT only', async () => {
    const privileges = await adminQuery(
      server.adminUrl,
      `select role,
              has_database_privilege(role, $1, 'CONNECT') as can_connect,
              has_database_privilege(role, $1, 'TEMP') as can_temp,
              has_database_privilege(role, $1, 'CREATE') as can_create
         from unnest(array['etl_worker', 'frontend_api']) as role order by role`,
      [databaseName],
    );
    expect(privileges.rows).toEqual([
      { role: 'etl_worker', can_connect: true, can_temp: false, can_create: false },
      { role: 'frontend_api', can_connect: true, can_temp: false, can_create: false },
    ]);
    const acl = await adminQuery(server.adminUrl, 'select datacl::text from pg_database where datname = $1', [databaseName]);
    // an ACL entry for PUBLIC starts with "=" (no grantee name)
    expect(acl.rows[0].datacl).not.toMatch(/[{,]=/);
  });

  it('refuses runtime logins that are not the roles the migrations grant to', async () => {
    await expect(bootstrap({ ...urls, etl: urls.etl.replace('etl_worker', 'someone_else') })).rejects.toThrow(
      /SEQMETA_ETL_DATABASE_URL: the user must be etl_worker/,
    );
    await expect(bootstrap({ ...urls, owner: urls.etl })).rejects.toBeInstanceOf(ConfigError);
  });

  it('explains an unreachable server in one line naming the setting', async () => {
    const unreachable = new URL(server.adminUrl);
    unreachable.port = '1';
    await expect(bootstrap({ ...urls, admin: unreachable.toString() })).rejects.toThrow(
      /nothing is listening at 127\.0\.0\.1:1\/.*Check SEQMETA_ADMIN_DATABASE_URL/,
    );
  });

  it('explains a refused login without echoing the password', async () => {
    const stranger = new URL(server.adminUrl);
    stranger.username = 'no_such_admin';
    stranger.password = 'not-the-password';
    const attempt = bootstrap({ ...urls, admin: stranger.toString() });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseConnectionError);
    await expect(attempt).rejects.toThrow(/refused .*"no_such_admin"/);
    await expect(attempt).rejects.not.toThrow(/not-the-password/);
  });
});
