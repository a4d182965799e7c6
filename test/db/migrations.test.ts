// Every migration round-trips: applied one at a time from an empty database, each leaves a
// schema fingerprint; rolled back one at a time from the fully migrated template, each
// `down` must give back exactly the fingerprint from before its `up`, and remove what it
// created. Also: the runtime role cannot run migrations, and a migration that fails
// halfway leaves the database as it was (dbmate runs each one in a transaction).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveBinary } from 'dbmate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbmateUrl, migrate, migrationsDirectory, rollback, runDbmate } from '../../src/database/migrate.ts';
import { attempt, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { schemaFingerprint } from '../support/schemaFingerprint.ts';

const PERMISSION_DENIED = '42501';

const migrationFiles = readdirSync(migrationsDirectory)
  .filter((file) => file.endsWith('.sql'))
  .sort();

/** The SQL between `-- migrate:up` and `-- migrate:down`. */
function upSection(file: string): string {
  const sql = readFileSync(path.join(migrationsDirectory, file), 'utf8');
  const start = sql.indexOf('-- migrate:up');
  const end = sql.indexOf('-- migrate:down');
  if (start === -1 || end === -1) throw new Error(`${file} lacks a -- migrate:up or -- migrate:down section`);
  return sql.slice(start + '-- migrate:up'.length, end);
}

type CreatedObject =
  | { kind: 'schema' | 'relation' | 'type' | 'routine'; name: string }
  | { kind: 'index' | 'trigger'; name: string; table: string };

/** The objects a migration's `up` creates, read from its CREATE statements. */
function createdObjects(file: string): CreatedObject[] {
  const sql = upSection(file).replace(/--[^\n]*/g, '');
  const name = String.raw`([\w."]+)`;
  const found: CreatedObject[] = [];
  const collect = (pattern: RegExp, make: (match: RegExpMatchArray) => CreatedObject) => {
    for (const match of sql.matchAll(pattern)) found.push(make(match));
  };
  collect(new RegExp(String.raw`\bcreate\s+schema\s+(?:if\s+not\s+exists\s+)?${name}`, 'gi'), (match) => ({
    kind: 'schema',
    name: match[1]!,
  }));
  collect(
    new RegExp(
      String.raw`\bcreate\s+(?:or\s+replace\s+)?(?:unlogged\s+)?(?:materialized\s+)?(?:table|view|sequence)\s+(?:if\s+not\s+exists\s+)?${name}`,
      'gi',
    ),
    (match) => ({ kind: 'relation', name: match[1]! }),
  );
  collect(new RegExp(String.raw`\bcreate\s+(?:type|domain)\s+${name}`, 'gi'), (match) => ({ kind: 'type', name: match[1]! }));
  collect(new RegExp(String.raw`\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure)\s+${name}`, 'gi'), (match) => ({
    kind: 'routine',
    name: match[1]!,
  }));
  collect(
    new RegExp(String.raw`\bcreate\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?([\w"]+)\s+on\s+(?:only\s+)?${name}`, 'gi'),
    (match) => ({ kind: 'index', name: match[1]!, table: match[2]! }),
  );
  collect(new RegExp(String.raw`\bcreate\s+(?:or\s+replace\s+)?(?:constraint\s+)?trigger\s+([\w"]+)[\s\S]*?\bon\s+${name}`, 'gi'), (match) => ({
    kind: 'trigger',
    name: match[1]!,
    table: match[2]!,
  }));
  return found;
}

const describeObject = (object: CreatedObject) => `${object.kind} ${object.name}${'table' in object ? ` on ${object.table}` : ''}`;

/** Which of `objects` exist in the database `client` is connected to. */
async function existing(client: pg.Client, objects: CreatedObject[]): Promise<string[]> {
  const present: string[] = [];
  for (const object of objects) {
    const [schema, bareName] = object.name.includes('.') ? object.name.split('.', 2) : ['public', object.name];
    const queries: Record<CreatedObject['kind'], [string, unknown[]]> = {
      schema: ['select exists (select 1 from pg_namespace where nspname = $1) as found', [object.name]],
      relation: ['select to_regclass($1) is not null as found', [object.name]],
      type: ['select to_regtype($1) is not null as found', [object.name]],
      routine: [
        `select exists (select 1 from pg_proc join pg_namespace on pg_namespace.oid = pg_proc.pronamespace
                        where nspname = $1 and proname = $2) as found`,
        [schema, bareName],
      ],
      index: [
        `select exists (select 1 from pg_class index_ join pg_index on pg_index.indexrelid = index_.oid
                        where index_.relname = $1 and pg_index.indrelid = to_regclass($2::text)) as found`,
        [object.name, 'table' in object ? object.table : ''],
      ],
      trigger: [
        'select exists (select 1 from pg_trigger where tgname = $1 and tgrelid = to_regclass($2::text)) as found',
        [object.name, 'table' in object ? object.table : ''],
      ],
    };
    const [sql, values] = queries[object.kind];
    const result = await client.query<{ found: boolean }>(sql, values);
    if (result.rows[0]?.found) present.push(describeObject(object));
  }
  return present;
}

type ScratchDatabase = TestDatabase;

/** An empty database, locked down as bootstrap leaves every database, with nothing migrated. */
// template0: nothing a server's template1 may carry ends up in the schema
const createEmptyDatabase = () => createTestDatabase({ template: 'template0' });

/**
 * dbmate on a migrations folder of the test's own (runDbmate is bound to db/migrations).
 * Resolves with the exit code and output instead of throwing, so failures can be examined.
 */
function runDbmateIn(directory: string, url: string, args: string[]): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(resolveBinary(), ['--migrations-dir', directory, '--no-dump-schema', ...args], {
      env: { DATABASE_URL: dbmateUrl(url) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, output }));
  });
}

async function migrateIn(directory: string, url: string): Promise<void> {
  const result = await runDbmateIn(directory, url, ['migrate']);
  if (result.exitCode !== 0) throw new Error(`dbmate migrate in ${directory} failed:\n${result.output}`);
}


const temporaryDirectories: string[] = [];
async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-migrations-'));
  temporaryDirectories.push(directory);
  return directory;
}

const scratchDatabases: ScratchDatabase[] = [];
async function scratchDatabase(): Promise<ScratchDatabase> {
  const database = await createEmptyDatabase();
  scratchDatabases.push(database);
  return database;
}

afterAll(async () => {
  await Promise.all(scratchDatabases.map((database) => database.destroy()));
  await Promise.all(temporaryDirectories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describe('migrations round-trip', () => {
  /** fingerprints[k]: the schema with the first k migrations applied */
  const fingerprints: string[] = [];
  /** how etl_worker's attempt at each migration ended, on a database migrated up to just before it */
  const etlOutcomes: Array<{ migration: string; outcome: string }> = [];
  let stepwise: ScratchDatabase;
  let stepwiseAdmin: pg.Client;
  let migrated: TestDatabase;
  let migratedAdmin: pg.Client;

  beforeAll(async () => {
    migrated = await createTestDatabase();
    migratedAdmin = await migrated.connect('admin');

    // dbmate has no "up one": give it a folder that grows by one migration per step. It
    // creates its schema_migrations table with the first migration it applies, so a no-op
    // baseline goes first and step 0 already has the table a full rollback leaves behind.
    const steps = await temporaryDirectory();
    await writeFile(path.join(steps, '00000000000000_baseline.sql'), '-- migrate:up\nselect 1;\n-- migrate:down\nselect 1;\n');
    stepwise = await scratchDatabase();
    stepwiseAdmin = await stepwise.connect('admin');
    const stepwiseEtl = await stepwise.connect('etl');
    await migrateIn(steps, stepwise.urls.owner);
    fingerprints.push(await schemaFingerprint(stepwiseAdmin));
    for (const file of migrationFiles) {
      etlOutcomes.push({ migration: file, outcome: await attempt(stepwiseEtl, upSection(file)) });
      await copyFile(path.join(migrationsDirectory, file), path.join(steps, file));
      await migrateIn(steps, stepwise.urls.owner);
      fingerprints.push(await schemaFingerprint(stepwiseAdmin));
    }
  });
  afterAll(() => migrated?.destroy());

  it('finds the migrations and what each creates', () => {
    expect(migrationFiles.length).toBeGreaterThan(0);
    const withoutObjects = migrationFiles.filter((file) => createdObjects(file).length === 0);
    expect(withoutObjects, 'every migration should create something this test can look for').toEqual([]);
  });

  it('gives the same schema applied all at once (the template) as one migration at a time', async () => {
    expect(await schemaFingerprint(migratedAdmin)).toEqual(fingerprints[migrationFiles.length]);
  });

  it('changes the schema with every migration', () => {
    const unchanged = migrationFiles.filter((_file, index) => fingerprints[index + 1] === fingerprints[index]);
    expect(unchanged).toEqual([]);
  });

  for (const [index, file] of [...migrationFiles.entries()].reverse()) {
    it(`rolling back ${file} restores the schema from before it and removes what it created`, async () => {
      const objects = createdObjects(file);
      expect(await existing(migratedAdmin, objects)).toEqual(objects.map(describeObject));

      await rollback(migrated.urls.owner);

      const versions = await migratedAdmin.query<{ version: string }>('select version from public.schema_migrations order by version');
      expect(versions.rows.map((row) => row.version)).toEqual(migrationFiles.slice(0, index).map((name) => name.split('_')[0]));
      expect(await existing(migratedAdmin, objects)).toEqual([]);
      expect(await schemaFingerprint(migratedAdmin)).toEqual(fingerprints[index]);
    });
  }

  it('migrating up again after rolling everything back gives the same schema', async () => {
    await migrate(migrated.urls.owner);
    expect(await schemaFingerprint(migratedAdmin)).toEqual(fingerprints[migrationFiles.length]);
  });

  it('refuses each migration to etl_worker for lack of privilege, on a database migrated up to just before it', () => {
    expect(etlOutcomes).toEqual(migrationFiles.map((migration) => ({ migration, outcome: PERMISSION_DENIED })));
  });

  describe('the fingerprint', () => {
    // Each change must show: a fingerprint blind to one of these would let a rollback
    // that forgets it pass.
    it.each([
      ['a grant', 'grant select on core.patients to frontend_api'],
      ['a column grant', 'grant update (sample_id) on core.runs to etl_worker'],
      ['a revoked type grant', 'revoke usage on type api.run_status from etl_worker'],
      ['a default privilege', 'alter default privileges for role seqmeta_owner grant execute on functions to public'],
      ['a comment', `comment on view api.frontend_runs is 'changed'`],
      ['a column comment', `comment on column core.runs.message is 'changed'`],
      ['a view definition', 'create or replace view api.frontend_patients as select patient_hash, 0 as registered_year from core.patients'],
      ['a column default', `alter table core.runs alter column pipeline_name set default 'changed'`],
      ['a dropped check', 'alter table core.run_files drop constraint run_files_size_bytes_check'],
      ['an index', 'create index on core.run_files (format)'],
      ['a function setting', 'alter function core.tg_runs__insert_pending() set work_mem = 1024'],
      ['a disabled trigger', 'alter table core.audit_events disable trigger _100_refuse_change'],
      ['an enum label', `alter type api.file_role add value 'LOG'`],
      ['row-level security', 'alter table core.samples enable row level security'],
      ['a column type', 'alter table core.runs alter column message type varchar(10000)'],
    ])('notices %s', async (_change, statement) => {
      await stepwiseAdmin.query('begin');
      try {
        await stepwiseAdmin.query(statement);
        expect(await schemaFingerprint(stepwiseAdmin)).not.toEqual(fingerprints[migrationFiles.length]);
      } finally {
        await stepwiseAdmin.query('rollback');
      }
      expect(await schemaFingerprint(stepwiseAdmin)).toEqual(fingerprints[migrationFiles.length]);
    });

    it('names objects, never their OIDs or the database', async () => {
      const schema = fingerprints[migrationFiles.length]!;
      expect(schema).toContain('relation core.patients kind=r owner=seqmeta_owner');
      expect(schema).not.toContain(stepwise.name);
      const identifiers = await stepwiseAdmin.query<{ oid: string }>(`
        select oid::text from pg_class where relnamespace in ('core'::regnamespace, 'api'::regnamespace)
        union all select oid::text from pg_type where typnamespace in ('core'::regnamespace, 'api'::regnamespace)
        union all select oid::text from pg_proc where pronamespace = 'core'::regnamespace
        union all select oid::text from pg_namespace where nspname in ('core', 'api')
        union all select oid::text from pg_roles where rolname in ('seqmeta_owner', 'etl_worker', 'frontend_api')`);
      expect(identifiers.rows.length).toBeGreaterThan(0);
      const leaked = identifiers.rows.filter((row) => new RegExp(`\\b${row.oid}\\b`).test(schema));
      expect(leaked).toEqual([]);
    });
  });
});

describe('etl_worker running the migrations', () => {
  it('fails with permission denied and leaves no schema behind', async () => {
    const empty = await scratchDatabase();
    await expect(runDbmate(empty.urls.etl, ['--no-dump-schema', 'up'])).rejects.toThrow(/permission denied/);
    const admin = await empty.connect('admin');
    const left = await admin.query<{ object: string }>(`
      select format('schema %I', nspname) as object from pg_namespace
      where nspname !~ '^pg_' and nspname not in ('information_schema', 'public')
      union all
      select format('relation %I.%I', namespace.nspname, relation.relname)
      from pg_class relation join pg_namespace namespace on namespace.oid = relation.relnamespace
      where namespace.nspname = 'public'
      union all
      select format('type %I.%I', namespace.nspname, type.typname)
      from pg_type type join pg_namespace namespace on namespace.oid = type.typnamespace
      where namespace.nspname = 'public'`);
    expect(left.rows).toEqual([]);
  });
});

describe('a migration that fails halfway', () => {
  it('leaves the database as it was before that migration, keeping the ones before it', async () => {
    const directory = await temporaryDirectory();
    await writeFile(
      path.join(directory, '20000101000000_good.sql'),
      '-- migrate:up\ncreate table public.halfway_good (id integer);\n-- migrate:down\ndrop table public.halfway_good;\n',
    );
    const database = await scratchDatabase();
    const admin = await database.connect('admin');
    await migrateIn(directory, database.urls.owner);
    const before = await schemaFingerprint(admin);

    // its first statement succeeds, its second fails: dbmate's transaction must undo the first
    await writeFile(
      path.join(directory, '20000101000001_fails_halfway.sql'),
      '-- migrate:up\ncreate table public.halfway_first (id integer);\ninsert into public.halfway_missing values (1);\n' +
        '-- migrate:down\ndrop table public.halfway_first;\n',
    );
    const result = await runDbmateIn(directory, database.urls.owner, ['up']);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('halfway_missing');

    const tables = await admin.query(`select to_regclass('public.halfway_good') is not null as good, to_regclass('public.halfway_first') is not null as first`);
    expect(tables.rows).toEqual([{ good: true, first: false }]);
    const versions = await admin.query<{ version: string }>('select version from public.schema_migrations order by version');
    expect(versions.rows.map((row) => row.version)).toEqual(['20000101000000']);
    expect(await schemaFingerprint(admin)).toEqual(before);
  });
});
