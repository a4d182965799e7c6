// Cluster-level setup, once per server, as a superuser: the three logins, the application
// database, and the revocations of what Postgres grants PUBLIC by default. The SQL lives in
// db/bootstrap/; this file only feeds it parameters. CREATE DATABASE is the one statement
// issued from here, because Postgres refuses it inside the DO blocks those files use.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { ConfigError, requireDatabaseUrl, type DatabaseUrls } from '../config.ts';
import { explainConnectionError } from './connectionErrors.ts';
import { scramVerifier } from './scram.ts';

const bootstrapDirectory = new URL('../../db/bootstrap/', import.meta.url);

type Logins = {
  databaseName: string;
  ownerRole: string;
  ownerIsAdmin: boolean;
  passwords: { owner: string; etl: string; api: string };
};

function loginOf(url: string): { user: string; password: string; database: string } {
  const parsed = new URL(url);
  return {
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
  };
}

/** Reads role names, passwords and the database from the URLs, and checks they agree. */
export function loginsFromUrls(urls: DatabaseUrls): Logins {
  const admin = loginOf(requireDatabaseUrl(urls, 'admin'));
  const owner = loginOf(requireDatabaseUrl(urls, 'owner'));
  const etl = loginOf(requireDatabaseUrl(urls, 'etl'));
  const api = loginOf(requireDatabaseUrl(urls, 'api'));
  const problems: string[] = [];
  if (etl.user !== 'etl_worker') problems.push('- SEQMETA_ETL_DATABASE_URL: the user must be etl_worker');
  if (api.user !== 'frontend_api') problems.push('- SEQMETA_API_DATABASE_URL: the user must be frontend_api');
  if (!owner.database) problems.push('- SEQMETA_OWNER_DATABASE_URL: name the application database in the path');
  for (const [name, login] of [['ETL', etl], ['API', api]] as const) {
    if (login.database !== owner.database) {
      problems.push(`- SEQMETA_${name}_DATABASE_URL: must name the same database as SEQMETA_OWNER_DATABASE_URL`);
    }
    if (!login.password) problems.push(`- SEQMETA_${name}_DATABASE_URL: needs a password`);
  }
  const ownerIsAdmin = owner.user === admin.user;
  if (!ownerIsAdmin && !owner.password) problems.push('- SEQMETA_OWNER_DATABASE_URL: needs a password');
  if (['etl_worker', 'frontend_api'].includes(owner.user)) {
    problems.push('- SEQMETA_OWNER_DATABASE_URL: the owner must not be a runtime role');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return {
    databaseName: owner.database,
    ownerRole: owner.user,
    ownerIsAdmin,
    passwords: { owner: owner.password, etl: etl.password, api: api.password },
  };
}

async function connect(url: string, database?: string): Promise<pg.Client> {
  const target = new URL(url);
  if (database !== undefined) target.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: target.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw explainConnectionError(error, target.toString(), 'SEQMETA_ADMIN_DATABASE_URL');
  }
  return client;
}

async function runFile(client: pg.Client, fileName: string, parameters: Record<string, string>): Promise<void> {
  const sql = await readFile(new URL(fileName, bootstrapDirectory), 'utf8');
  await client.query('begin');
  try {
    for (const [name, value] of Object.entries(parameters)) {
      await client.query('select set_config($1, $2, true)', [`seqmeta.${name}`, value]);
    }
    await client.query(sql);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

async function existingVerifier(client: pg.Client, role: string): Promise<string | null> {
  const result = await client.query<{ rolpassword: string | null }>(
    'select rolpassword from pg_authid where rolname = $1',
    [role],
  );
  return result.rows[0]?.rolpassword ?? null;
}

/**
 * Locks a database down to the three logins. Separate from bootstrap because every
 * database needs it, including the copies tests make of a migrated template.
 */
export async function secureDatabase(adminUrl: string, databaseName: string, ownerRole: string): Promise<void> {
  const client = await connect(adminUrl, databaseName);
  try {
    await runFile(client, '2_database.sql', { owner_role: ownerRole });
  } finally {
    await client.end();
  }
}

export type BootstrapReport = { createdDatabase: boolean; databaseName: string };

/** Idempotent: running it again converges on the same roles, database and privileges. */
export async function bootstrap(urls: DatabaseUrls): Promise<BootstrapReport> {
  const logins = loginsFromUrls(urls);
  const adminUrl = requireDatabaseUrl(urls, 'admin');
  const client = await connect(adminUrl);
  let createdDatabase = false;
  try {
    const isSuperuser = await client.query<{ rolsuper: boolean }>(
      'select rolsuper from pg_roles where rolname = current_user',
    );
    if (!isSuperuser.rows[0]?.rolsuper) {
      throw new ConfigError('SEQMETA_ADMIN_DATABASE_URL: bootstrap needs a superuser login');
    }
    const verifierFor = async (role: string, password: string) =>
      scramVerifier(password, await existingVerifier(client, role));
    await runFile(client, '1_roles.sql', {
      owner_role: logins.ownerRole,
      owner_password: logins.ownerIsAdmin ? '' : await verifierFor(logins.ownerRole, logins.passwords.owner),
      etl_password: await verifierFor('etl_worker', logins.passwords.etl),
      api_password: await verifierFor('frontend_api', logins.passwords.api),
    });
    const exists = await client.query('select 1 from pg_database where datname = $1', [logins.databaseName]);
    if (exists.rowCount === 0) {
      await client.query(
        `create database ${client.escapeIdentifier(logins.databaseName)} owner ${client.escapeIdentifier(logins.ownerRole)}`,
      );
      createdDatabase = true;
    }
  } finally {
    await client.end();
  }
  await secureDatabase(adminUrl, logins.databaseName, logins.ownerRole);
  return { createdDatabase, databaseName: logins.databaseName };
}
