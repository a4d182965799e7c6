// `seqmeta token create|list|revoke`: API tokens for the pipeline and other clients, managed
// by an operator as the database owner. A new token is printed once, on stdout only; the
// database keeps a hash of its secret, and nothing here ever logs it.
import type { Command } from 'commander';
import pg from 'pg';
import { loadConfig, requireDatabaseUrl } from '../config.ts';
import { explainConnectionError } from '../database/connectionErrors.ts';
import { setUpDatabase } from '../database/setup.ts';
import {
  createToken,
  DEFAULT_EXPIRY_DAYS,
  listTokens,
  MAXIMUM_EXPIRY_DAYS,
  MINIMUM_EXPIRY_DAYS,
  revokeToken,
  TOKEN_SCOPES,
  TokenError,
  type TokenSummary,
} from '../tokens.ts';
import { withDatabase } from './database.ts';
import { say } from './output.ts';

const GROUP_HELP = `
API clients (the pipeline's CLI, scripts, the frontend) send a token as
  Authorization: Bearer <token>
Scopes: ingest (the pipeline's mutations), read (queries). These commands need the owner's
login (SEQMETA_OWNER_DATABASE_URL); with no database URL configured they use the embedded
Postgres, setting it up if needed.`;

const CREATE_HELP = `
The token is printed once, on stdout (in --json, as "token"): store it in a secret manager
or the pipeline's SEQMETA_TOKEN. seqmeta keeps only a hash of it and cannot show it again.
Names are never reused, even after revocation, so audit rows stay unambiguous.

Examples:
  seqmeta token create --name nextflow-prod --scopes ingest,read
  seqmeta token create --name dashboard --scopes read --expires-in-days 365 --json`;

type CreateOptions = { name: string; scopes: string; expiresInDays: string; json?: boolean };
type JsonOption = { json?: boolean };
type RevokeOptions = { name: string; json?: boolean };

/** Runs `work` with a client logged in as the owner; in embedded mode the database is set up first. */
async function asOwner(work: (owner: pg.Client) => Promise<void>): Promise<void> {
  const config = loadConfig(process.env);
  await withDatabase(async (urls) => {
    if (config.mode === 'embedded') await setUpDatabase(urls, say);
    const ownerUrl = requireDatabaseUrl(urls, 'owner');
    const owner = new pg.Client({ connectionString: ownerUrl, application_name: 'seqmeta token' });
    try {
      await owner.connect();
    } catch (error) {
      throw explainConnectionError(error, ownerUrl, 'SEQMETA_OWNER_DATABASE_URL');
    }
    try {
      await work(owner);
    } finally {
      await owner.end();
    }
  });
}

/** Digits only, so "90d" or "1e3" is refused rather than guessed at. */
function parseExpiryDays(text: string): number {
  const trimmed = text.trim();
  const days = Number(trimmed);
  if (!/^[0-9]+$/.test(trimmed) || days < MINIMUM_EXPIRY_DAYS || days > MAXIMUM_EXPIRY_DAYS) {
    throw new TokenError(`--expires-in-days must be a whole number from ${MINIMUM_EXPIRY_DAYS} to ${MAXIMUM_EXPIRY_DAYS}`);
  }
  return days;
}

const isoDate = (date: Date | null) => (date === null ? null : date.toISOString());

function summaryJson(token: TokenSummary) {
  return {
    name: token.name,
    tokenId: token.tokenId,
    scopes: token.scopes,
    status: token.status,
    createdAt: isoDate(token.createdAt),
    expiresAt: isoDate(token.expiresAt),
    revokedAt: isoDate(token.revokedAt),
  };
}

function printTable(tokens: TokenSummary[]): void {
  const header = ['NAME', 'SCOPES', 'STATUS', 'CREATED', 'EXPIRES', 'REVOKED'];
  const day = (date: Date | null) => (date === null ? '-' : date.toISOString().slice(0, 10));
  const rows = tokens.map((token) => [
    token.name,
    token.scopes.join(','),
    token.status,
    day(token.createdAt),
    day(token.expiresAt),
    day(token.revokedAt),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
  }
}

export function registerTokenCommands(program: Command): void {
  const token = program
    .command('token')
    .description('API tokens for the pipeline and other clients (as the database owner)')
    .addHelpText('after', GROUP_HELP);

  token
    .command('create')
    .description('create a token and print it once')
    .requiredOption('--name <name>', "who the token is for, e.g. nextflow-prod: lowercase letters, digits, '.', '_', '-' (at most 64)")
    .requiredOption('--scopes <scopes>', `comma-separated: ${TOKEN_SCOPES.join(', ')}`)
    .option(
      '--expires-in-days <days>',
      `days until the token expires (${MINIMUM_EXPIRY_DAYS} to ${MAXIMUM_EXPIRY_DAYS})`,
      String(DEFAULT_EXPIRY_DAYS),
    )
    .option('--json', 'print the token and its details as JSON on stdout')
    .addHelpText('after', CREATE_HELP)
    .action(async (options: CreateOptions) => {
      // checked before the database is started or touched
      const expiresInDays = parseExpiryDays(options.expiresInDays);
      await asOwner(async (owner) => {
        const created = await createToken(owner, { name: options.name, scopes: options.scopes, expiresInDays });
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({
              name: created.name,
              tokenId: created.tokenId,
              scopes: created.scopes,
              createdAt: isoDate(created.createdAt),
              expiresAt: isoDate(created.expiresAt),
              token: created.token,
            })}\n`,
          );
        } else {
          process.stdout.write(`${created.token}\n`);
        }
        say(
          `created token "${created.name}" (scopes ${created.scopes.join(',')}, expires ${isoDate(created.expiresAt)}). ` +
            'It is shown only this once: store it now; seqmeta keeps only a hash of it.',
        );
      });
    });

  token
    .command('list')
    .description('list tokens with their scopes, status and dates (never a secret)')
    .option('--json', 'print the tokens as a JSON array on stdout')
    .action(async (options: JsonOption) => {
      await asOwner(async (owner) => {
        const tokens = await listTokens(owner);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(tokens.map(summaryJson))}\n`);
        } else if (tokens.length === 0) {
          say('no tokens yet: `seqmeta token create --name <name> --scopes read` makes one');
        } else {
          printTable(tokens);
        }
      });
    });

  token
    .command('revoke')
    .description('revoke a token by name; the API refuses it from then on (servers may trust a cached token up to 30 s longer)')
    .requiredOption('--name <name>', 'name of the token to revoke')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', '\nRevoking a revoked token changes nothing and succeeds, so scripts may run it again.')
    .action(async (options: RevokeOptions) => {
      await asOwner(async (owner) => {
        const revoked = await revokeToken(owner, options.name);
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({
              name: revoked.name,
              tokenId: revoked.tokenId,
              revokedAt: isoDate(revoked.revokedAt),
              alreadyRevoked: revoked.alreadyRevoked,
            })}\n`,
          );
        }
        say(
          revoked.alreadyRevoked
            ? `token "${revoked.name}" was already revoked at ${isoDate(revoked.revokedAt)}`
            : `revoked token "${revoked.name}"`,
        );
      });
    });
}
