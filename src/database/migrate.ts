// Runs dbmate as the schema owner. dbmate applies each migration in its own transaction,
// so a migration that fails halfway leaves the database as it was before that migration.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveBinary } from 'dbmate';
import { describeServer } from './connectionErrors.ts';

export const migrationsDirectory = fileURLToPath(new URL('../../db/migrations/', import.meta.url));
export const schemaFile = fileURLToPath(new URL('../../db/schema.sql', import.meta.url));

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** dbmate (lib/pq) does not negotiate TLS: say so explicitly for servers on this host. */
export function dbmateUrl(url: string): string {
  const parsed = new URL(url);
  const local = ['localhost', '127.0.0.1', '::1', '[::1]'].includes(parsed.hostname);
  if (local && !parsed.searchParams.has('sslmode')) parsed.searchParams.set('sslmode', 'disable');
  return parsed.toString();
}

/** Runs `dbmate <args>` against `url`; the URL travels in the environment, not in argv. */
export async function runDbmate(url: string, args: string[]): Promise<string> {
  const binary = resolveBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(
      binary,
      ['--migrations-dir', migrationsDirectory, ...args],
      { env: { ...process.env, DATABASE_URL: dbmateUrl(url) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => reject(new MigrationError(`cannot run dbmate: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new MigrationError(`dbmate ${args.at(-1)} on ${describeServer(url)} failed:\n${output.trim()}`));
    });
  });
}

export const migrate = (ownerUrl: string) => runDbmate(ownerUrl, ['--no-dump-schema', 'up']);
export const rollback = (ownerUrl: string) => runDbmate(ownerUrl, ['--no-dump-schema', 'rollback']);
