// What the runtime roles can and cannot do, tried for real: every statement below runs as
// frontend_api or etl_worker against the objects the catalog lists, so a new table, view or
// function is probed without editing this file. The privilege matrix says what the ACLs
// are; this file shows Postgres enforcing them, plus the triggers and constraints that
// hold even for roles that may write.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptPatientId, generateKey, pseudonymisePatientId, type EncryptionKeyring } from '../../src/phi.ts';
import { attempt, createTestDatabase, type TestDatabase } from '../support/database.ts';

const PERMISSION_DENIED = '42501';
const CHECK_VIOLATION = '23514';
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const INVALID_TEXT_REPRESENTATION = '22P02';
const NOT_UPDATABLE_VIEW = '55000';
const AUDIT_APPEND_ONLY = 'SQ002';

let database: TestDatabase;
let admin: pg.Client;
let owner: pg.Client;
let etl: pg.Client;
let api: pg.Client;

const applicationSchemas = `(select oid from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema')`;

type Relation = { name: string; kind: string; updatable: number };

let schemas: string[];
let baseTables: string[];
let views: Relation[];


/** Each statement with its outcome, ready to compare with the outcome every one should have. */
async function attemptAll(client: pg.Client, statements: string[]) {
  const outcomes: Array<{ statement: string; outcome: string }> = [];
  for (const statement of statements) outcomes.push({ statement, outcome: await attempt(client, statement) });
  return outcomes;
}

const expectingAll = (statements: string[], outcome: string) => statements.map((statement) => ({ statement, outcome }));

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

beforeAll(async () => {
  database = await createTestDatabase();
  [admin, owner, etl, api] = await Promise.all([
    database.connect('admin'),
    database.connect('owner'),
    database.connect('etl'),
    database.connect('api'),
  ]);
  schemas = (
    await admin.query<{ name: string }>(`select format('%I', nspname) as name from pg_namespace where oid in ${applicationSchemas} order by 1`)
  ).rows.map((row) => row.name);
  baseTables = (
    await admin.query<{ name: string }>(`
      select format('%I.%I', namespace.nspname, relation.relname) as name
      from pg_class relation join pg_namespace namespace on namespace.oid = relation.relnamespace
      where relation.relkind in ('r', 'p') and namespace.oid in ${applicationSchemas} order by 1`)
  ).rows.map((row) => row.name);
  views = (
    await admin.query<Relation>(`
      select format('%I.%I', namespace.nspname, relation.relname) as name, relation.relkind as kind,
             pg_relation_is_updatable(relation.oid, true) as updatable
      from pg_class relation join pg_namespace namespace on namespace.oid = relation.relnamespace
      where relation.relkind in ('v', 'm') and namespace.oid in ${applicationSchemas} order by 1`)
  ).rows;
});
afterAll(() => database?.destroy());

describe('the catalog the probes are generated from', () => {
  it('lists the application schemas, base tables and views', () => {
    expect(schemas).toEqual(expect.arrayContaining(['api', 'core', 'public']));
    expect(baseTables).toEqual(
      expect.arrayContaining(['core.patients', 'core.samples', 'core.runs', 'core.run_files', 'core.audit_events']),
    );
    expect(views.map((view) => view.name)).toEqual(
      expect.arrayContaining(['api.frontend_patients', 'api.frontend_samples', 'api.frontend_runs', 'api.frontend_run_files']),
    );
  });
});

/** Statements that would create something in each schema, and in the session's temporary schema. */
function creationStatements(): string[] {
  const inSchema = (schema: string) => [
    `create table ${schema}.boundary_probe (id integer)`,
    `create view ${schema}.boundary_probe as select 1 as id`,
    `create function ${schema}.boundary_probe() returns integer language sql immutable as 'select 1'`,
    `create type ${schema}.boundary_probe as enum ('PROBE')`,
    `create sequence ${schema}.boundary_probe`,
  ];
  return [
    ...schemas.flatMap(inSchema),
    'create temporary table boundary_probe (id integer)',
    'create temporary view boundary_probe as select 1 as id',
    `create function pg_temp.boundary_probe() returns integer language sql immutable as 'select 1'`,
    'create schema boundary_probe',
  ];
}

/** A call of each routine of the application with NULL arguments: enough to reach the EXECUTE check. */
async function routineCalls(): Promise<string[]> {
  const result = await admin.query<{ call: string }>(`
    select case routine.prokind when 'p' then 'call ' else 'select ' end
           || format('%I.%I(', namespace.nspname, routine.proname)
           || coalesce((select string_agg(case when routine.provariadic <> 0 and position = cardinality(routine.proargtypes::oid[])
                                                then 'variadic ' else '' end
                                           || format('null::%s', format_type(argument_type, null)), ', ' order by position)
                        from unnest(routine.proargtypes::oid[]) with ordinality as arguments (argument_type, position)), '')
           || ')' || case routine.prokind when 'w' then ' over ()' else '' end as call
    from pg_proc routine join pg_namespace namespace on namespace.oid = routine.pronamespace
    where namespace.oid in ${applicationSchemas}
    order by 1`);
  return result.rows.map((row) => row.call);
}

describe('frontend_api', () => {
  it('cannot select from any base table', async () => {
    const statements = baseTables.map((table) => `select * from ${table} limit 1`);
    expect(await attemptAll(api, statements)).toEqual(expectingAll(statements, PERMISSION_DENIED));
  });

  it('cannot insert into, update or delete from any view', async () => {
    const outcomes = [];
    const expected = [];
    for (const view of views) {
      const column = await admin.query<{ name: string }>(
        `select format('%I', attname) as name from pg_attribute
         where attrelid = $1::regclass and attnum > 0 and not attisdropped
         order by pg_column_is_updatable(attrelid, attnum, true) desc, attnum limit 1`,
        [view.name],
      );
      const firstColumn = column.rows[0]?.name ?? 'id';
      // pg_relation_is_updatable: bit 2^3 insert, 2^2 update, 2^4 delete. A view Postgres
      // cannot write through is refused by the rewriter before privileges are looked at.
      const statements: Array<[string, number]> = [
        [`insert into ${view.name} default values`, 8],
        [`update ${view.name} set ${firstColumn} = ${firstColumn}`, 4],
        [`delete from ${view.name}`, 16],
      ];
      for (const [statement, bit] of statements) {
        outcomes.push({ statement, outcome: await attempt(api, statement) });
        expected.push({ statement, outcome: view.updatable & bit ? PERMISSION_DENIED : NOT_UPDATABLE_VIEW });
      }
    }
    expect(outcomes).toEqual(expected);
  });

  it('can call no routine of the application', async () => {
    const calls = await routineCalls();
    expect(calls.length).toBeGreaterThan(0);
    expect(await attemptAll(api, calls)).toEqual(expectingAll(calls, PERMISSION_DENIED));
  });

  it('can create nothing: no table, view, function, type or sequence in any schema, no temporary object, no schema', async () => {
    const statements = creationStatements();
    expect(await attemptAll(api, statements)).toEqual(expectingAll(statements, PERMISSION_DENIED));
  });

  it('can select from every view granted to it', async () => {
    const readable = await admin.query<{ name: string }>(
      `select format('%I.%I', namespace.nspname, relation.relname) as name
       from pg_class relation join pg_namespace namespace on namespace.oid = relation.relnamespace
       where namespace.oid in ${applicationSchemas} and has_table_privilege('frontend_api', relation.oid, 'SELECT')
       order by 1`,
    );
    const statements = readable.rows.map((row) => `select * from ${row.name} limit 1`);
    expect(statements).toEqual(views.filter((view) => view.name.startsWith('api.')).map((view) => `select * from ${view.name} limit 1`));
    expect(await attemptAll(api, statements)).toEqual(expectingAll(statements, 'succeeded'));
  });
});

describe('etl_worker', () => {
  it('can create nothing: no table, view, function, type or sequence in any schema, no temporary object, no schema', async () => {
    const statements = creationStatements();
    expect(await attemptAll(etl, statements)).toEqual(expectingAll(statements, PERMISSION_DENIED));
  });

  it('cannot delete from or truncate any base table', async () => {
    const statements = baseTables.flatMap((table) => [`delete from ${table}`, `truncate ${table}`]);
    expect(await attemptAll(etl, statements)).toEqual(expectingAll(statements, PERMISSION_DENIED));
  });

  it('can call no routine it was not granted', async () => {
    const granted = await admin.query<{ granted: number }>(
      `select count(*)::integer as granted from pg_proc
       where pronamespace in ${applicationSchemas} and has_function_privilege('etl_worker', oid, 'EXECUTE')`,
    );
    // no ingest function exists yet; when one is granted, this test must learn which
    expect(granted.rows[0]?.granted).toBe(0);
    const calls = await routineCalls();
    expect(await attemptAll(etl, calls)).toEqual(expectingAll(calls, PERMISSION_DENIED));
  });

  it('cannot read the patient id ciphertext, alone or through select *', async () => {
    const statements = ['select patient_id_ciphertext from core.patients', 'select * from core.patients'];
    expect(await attemptAll(etl, statements)).toEqual(expectingAll(statements, PERMISSION_DENIED));
    // the columns it needs for look-ups stay readable
    expect(await attempt(etl, 'select patient_hash, encryption_key_version, created_at from core.patients')).toBe('succeeded');
  });

  it('cannot select from any view of the api schema', async () => {
    const statements = views.filter((view) => view.name.startsWith('api.')).map((view) => `select * from ${view.name} limit 1`);
    expect(statements.length).toBeGreaterThan(0);
    expect(await attemptAll(etl, statements)).toEqual(expectingAll(statements, PERMISSION_DENIED));
  });
});

describe('the audit log', () => {
  let eventId: string;

  beforeAll(async () => {
    // Nothing is granted on the identity's sequence: an identity column draws from it
    // with the table's INSERT privilege alone. No RETURNING: etl_worker may not read the log.
    const requestId = randomUUID();
    await etl.query(
      `insert into core.audit_events (principal, action, request_id, details)
       values ('boundary-test', 'probe_audit', $1, '{"files": 0}')`,
      [requestId],
    );
    const inserted = await owner.query<{ event_id: string }>('select event_id from core.audit_events where request_id = $1', [
      requestId,
    ]);
    eventId = inserted.rows[0]!.event_id;
  });

  it('takes an insert from etl_worker, numbered by the identity column', async () => {
    const row = await owner.query('select principal, action from core.audit_events where event_id = $1', [eventId]);
    expect(row.rows).toEqual([{ principal: 'boundary-test', action: 'probe_audit' }]);
  });

  it('refuses UPDATE and DELETE from etl_worker for lack of privilege', async () => {
    const statements = [
      `update core.audit_events set action = 'tampered' where event_id = ${eventId}`,
      `delete from core.audit_events where event_id = ${eventId}`,
    ];
    expect(await attemptAll(etl, statements)).toEqual(expectingAll(statements, PERMISSION_DENIED));
  });

  it('refuses UPDATE, DELETE and TRUNCATE even from the owner, by trigger', async () => {
    const statements = [
      `update core.audit_events set action = 'tampered' where event_id = ${eventId}`,
      `delete from core.audit_events where event_id = ${eventId}`,
      'truncate core.audit_events',
    ];
    expect(await attemptAll(owner, statements)).toEqual(expectingAll(statements, AUDIT_APPEND_ONLY));
    const still = await owner.query('select action from core.audit_events where event_id = $1', [eventId]);
    expect(still.rows).toEqual([{ action: 'probe_audit' }]);
  });
});

describe('constraints refuse what the pipeline must never write', () => {
  const pseudonymKey = generateKey();
  const patientHash = pseudonymisePatientId(pseudonymKey, 'SYN-PAT-BOUNDARY-1');
  const sampleId = 'SYN-S-BOUNDARY-1';
  let runId: string;

  beforeAll(async () => {
    const keyring: EncryptionKeyring = { currentVersion: 1, keys: new Map([[1, generateKey()]]) };
    const encrypted = encryptPatientId(keyring, 'SYN-PAT-BOUNDARY-1', patientHash);
    await etl.query(
      'insert into core.patients (patient_hash, patient_id_ciphertext, encryption_key_version) values ($1, $2, $3)',
      [patientHash, encrypted.ciphertext, encrypted.keyVersion],
    );
    await etl.query(`insert into core.samples (sample_id, patient_hash, specimen_type) values ($1, $2, 'TUMOUR')`, [sampleId, patientHash]);
    const run = await etl.query<{ run_id: string }>(
      `insert into core.runs (sample_id, assay_type, pipeline_name) values ($1, 'WGS', 'nf-core/sarek') returning run_id`,
      [sampleId],
    );
    runId = run.rows[0]!.run_id;
  });

  const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
  const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

  type File = { role?: string; uri?: string; format?: string; size_bytes?: number | null; md5?: string | null; sha256?: string | null };
  const insertFile = (file: File, run?: string) => {
    const row = { role: 'OUTPUT', uri: `s3://synthetic-bucket/${randomUUID()}.bam`, format: 'BAM', size_bytes: 1, md5, sha256: null, ...file };
    return etl.query(
      `insert into core.run_files (run_id, role, uri, format, size_bytes, md5, sha256) values ($1, $2, $3, $4, $5, $6, $7)`,
      [run ?? runId, row.role, row.uri, row.format, row.size_bytes, row.md5, row.sha256],
    );
  };
  const refusal = async (write: Promise<unknown>) => {
    try {
      await write;
      return 'succeeded';
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('accepts well-formed files, so the refusals below are about the one bad field', async () => {
    await expect(insertFile({})).resolves.toBeTruthy();
    await expect(insertFile({ md5: null, sha256 })).resolves.toBeTruthy();
    await expect(insertFile({ role: 'INPUT', md5: null, format: 'FASTQ' })).resolves.toBeTruthy();
  });

  it.each([
    ['an md5 in capitals', { md5: md5.toUpperCase() }],
    ['an md5 of 31 digits', { md5: md5.slice(1) }],
    ['an md5 of 33 digits', { md5: `${md5}0` }],
    ['an md5 with a non-hex letter', { md5: `g${md5.slice(1)}` }],
    ['a sha256 of 63 digits', { md5: null, sha256: sha256.slice(1) }],
    ['a sha256 in capitals', { md5: null, sha256: sha256.toUpperCase() }],
    ['an md5 where a sha256 belongs', { md5: null, sha256: md5 }],
    ['a negative size', { size_bytes: -1 }],
    ['an OUTPUT without any checksum', { md5: null, sha256: null }],
    ['a uri without a scheme', { uri: 'synthetic-bucket/file.bam' }],
    ['a uri that is a bare path', { uri: '/data/file.bam' }],
    ['a format in lower case', { format: 'bam' }],
  ] as Array<[string, File]>)('refuses %s (check violation)', async (_name, file) => {
    expect(await refusal(insertFile(file))).toBe(CHECK_VIOLATION);
  });

  it('refuses a role other than INPUT or OUTPUT (invalid enum value)', async () => {
    expect(await refusal(insertFile({ role: 'LOG' }))).toBe(INVALID_TEXT_REPRESENTATION);
    expect(await refusal(insertFile({ role: 'output' }))).toBe(INVALID_TEXT_REPRESENTATION);
  });

  it('refuses the same uri twice for one run and role (unique violation)', async () => {
    const uri = `s3://synthetic-bucket/${randomUUID()}.cram`;
    await insertFile({ uri });
    expect(await refusal(insertFile({ uri }))).toBe(UNIQUE_VIOLATION);
    // the same uri as the other role is another fact, not a duplicate
    expect(await refusal(insertFile({ uri, role: 'INPUT' }))).toBe('succeeded');
  });

  it.each([
    ['in capitals', 'A'.repeat(64)],
    ['of 63 digits', 'a'.repeat(63)],
    ['of 65 digits', 'a'.repeat(65)],
    ['that is an md5 (a bare hash, not the HMAC)', md5],
    ['that is a plain patient id', 'SYN-PAT-BOUNDARY-2'],
  ])('refuses a patient hash %s (check violation)', async (_name, hash) => {
    const keyring: EncryptionKeyring = { currentVersion: 1, keys: new Map([[1, generateKey()]]) };
    const encrypted = encryptPatientId(keyring, 'SYN-PAT-BOUNDARY-2', hash);
    const write = etl.query(
      'insert into core.patients (patient_hash, patient_id_ciphertext, encryption_key_version) values ($1, $2, $3)',
      [hash, encrypted.ciphertext, encrypted.keyVersion],
    );
    expect(await refusal(write)).toBe(CHECK_VIOLATION);
  });

  it('refuses references to rows that do not exist (foreign key violation)', async () => {
    const otherHash = pseudonymisePatientId(pseudonymKey, 'SYN-PAT-BOUNDARY-UNREGISTERED');
    const outcomes = {
      sampleOfUnknownPatient: await refusal(
        etl.query(`insert into core.samples (sample_id, patient_hash, specimen_type) values ('SYN-S-ORPHAN', $1, 'NORMAL')`, [otherHash]),
      ),
      runOfUnknownSample: await refusal(
        etl.query(`insert into core.runs (sample_id, assay_type, pipeline_name) values ('SYN-S-UNKNOWN', 'WGS', 'nf-core/sarek')`),
      ),
      fileOfUnknownRun: await refusal(insertFile({}, randomUUID())),
      auditOfUnknownRun: await refusal(
        etl.query(`insert into core.audit_events (principal, action, run_id, request_id) values ('boundary-test', 'probe', $1, 'r')`, [
          randomUUID(),
        ]),
      ),
    };
    expect(outcomes).toEqual({
      sampleOfUnknownPatient: FOREIGN_KEY_VIOLATION,
      runOfUnknownSample: FOREIGN_KEY_VIOLATION,
      fileOfUnknownRun: FOREIGN_KEY_VIOLATION,
      auditOfUnknownRun: FOREIGN_KEY_VIOLATION,
    });
  });
});

describe('what frontend_api can read holds no patient id or ciphertext', () => {
  // Names that suggest identifying or free-text content. A column whose name matches but
  // holds nothing of the person is listed below with the reason it was let through.
  const suspiciousName = /patient_id|mrn|cipher|name|birth|dob|address|phone|email|collection_date|message|note/i;
  const reviewedNames: Record<string, string> = {
    patient_hash: 'the keyed pseudonym, not reversible without the key held outside the database',
    pipeline_name: 'the workflow that ran (e.g. nf-core/sarek), not a person',
  };

  type ReadableColumn = { relation: string; column: string; type: string };
  let readableColumns: ReadableColumn[];

  beforeAll(async () => {
    // Every column frontend_api may select, of any relation in any schema; base types
    // resolved through domains so a bytea in disguise still counts as bytea.
    const result = await admin.query<ReadableColumn>(`
      select format('%I.%I', namespace.nspname, relation.relname) as relation, attribute.attname as column,
             format_type(coalesce(nullif(type.typbasetype, 0), type.oid), null) as type
      from pg_class relation
      join pg_namespace namespace on namespace.oid = relation.relnamespace
      join pg_attribute attribute on attribute.attrelid = relation.oid and attribute.attnum > 0 and not attribute.attisdropped
      join pg_type type on type.oid = attribute.atttypid
      where relation.relkind in ('r', 'p', 'v', 'm', 'f')
        and namespace.nspname <> 'information_schema' and namespace.nspname !~ '^pg_'
        and has_column_privilege('frontend_api', relation.oid, attribute.attnum, 'SELECT')
      order by 1, attribute.attnum`);
    readableColumns = result.rows;
  });

  it('has columns to check', () => {
    expect([...new Set(readableColumns.map((column) => column.relation))]).toEqual(
      expect.arrayContaining(['api.frontend_patients', 'api.frontend_samples', 'api.frontend_runs', 'api.frontend_run_files']),
    );
  });

  it('names no column like an identifier, a date of the person or free text, and types none bytea', () => {
    const offending = readableColumns.flatMap(({ relation, column, type }) => [
      ...(suspiciousName.test(column) && !(column in reviewedNames) ? [`${relation}.${column}: name`] : []),
      ...(type === 'bytea' ? [`${relation}.${column}: bytea`] : []),
    ]);
    expect(offending).toEqual([]);
  });

  describe('on synthetic data written through the PHI module', () => {
    const pseudonymKey = generateKey();
    const keyring: EncryptionKeyring = { currentVersion: 1, keys: new Map([[1, generateKey()]]) };
    const patientIds = ['SYN-PAT-LEAKCHECK-0001', 'SYN-PAT-LEAKCHECK-0002', 'SYN-PAT-LEAKCHECK-0003'];
    const patients = patientIds.map((patientId) => {
      const patientHash = pseudonymisePatientId(pseudonymKey, patientId);
      return { patientId, patientHash, ...encryptPatientId(keyring, patientId, patientHash) };
    });
    /** What must never appear in a value frontend_api reads, with a label for the report. */
    const collectionDate = '2021-03-14';
    const secrets = [
      // a date of the person reaches the frontend as a year only
      { label: `collection date ${collectionDate}`, text: collectionDate },
      ...patients.flatMap(({ patientId, ciphertext }) => [
      { label: `patient id ${patientId}`, text: patientId.toLowerCase() },
      { label: `ciphertext of ${patientId} (hex)`, text: ciphertext.toString('hex') },
      { label: `ciphertext of ${patientId} (base64)`, text: ciphertext.toString('base64').toLowerCase() },
      { label: `nonce of ${patientId} (hex)`, text: ciphertext.subarray(0, 12).toString('hex') },
      ]),
    ];

    let scanned: Array<{ relation: string; column: string; value: string }>;

    beforeAll(async () => {
      for (const [index, patient] of patients.entries()) {
        await etl.query(
          'insert into core.patients (patient_hash, patient_id_ciphertext, encryption_key_version) values ($1, $2, $3)',
          [patient.patientHash, patient.ciphertext, patient.keyVersion],
        );
        const sampleId = `SYN-S-LEAKCHECK-${index + 1}`;
        await etl.query(
          `insert into core.samples (sample_id, patient_hash, specimen_type, collection_date) values ($1, $2, 'TUMOUR', $3)`,
          [sampleId, patient.patientHash, collectionDate],
        );
        const run = await etl.query<{ run_id: string }>(
          `insert into core.runs (sample_id, assay_type, pipeline_name, pipeline_version) values ($1, 'WES', 'nf-core/sarek', '3.4.0')
           returning run_id`,
          [sampleId],
        );
        const runId = run.rows[0]!.run_id;
        // Pipelines quote whatever they were given in their error output: the free-text
        // message is where a patient id is most likely to land, and no view may show it.
        await etl.query(`update core.runs set status = 'RUNNING', executor = 'slurm' where run_id = $1`, [runId]);
        await etl.query(`update core.runs set status = 'FAILED', exit_code = 1, message = $2 where run_id = $1`, [
          runId,
          `ERROR ~ input for ${patient.patientId} not found`,
        ]);
        await etl.query(
          `insert into core.run_files (run_id, role, uri, format, size_bytes, md5) values
             ($1, 'INPUT', $2, 'FASTQ', 1024, null), ($1, 'OUTPUT', $3, 'BAM', 2048, 'd41d8cd98f00b204e9800998ecf8427e')`,
          [runId, `s3://synthetic-bucket/${sampleId}_R1.fastq.gz`, `s3://synthetic-bucket/${sampleId}.bam`],
        );
        await etl.query(
          `insert into core.audit_events (principal, action, run_id, sample_id, request_id) values ('leak-check', 'finish_run', $1, $2, $3)`,
          [runId, sampleId, randomUUID()],
        );
      }

      scanned = [];
      const relations = [...new Set(readableColumns.map((column) => column.relation))];
      for (const relation of relations) {
        const columns = readableColumns.filter((column) => column.relation === relation).map((column) => column.column);
        const select = columns.map((column, position) => `${quoteIdentifier(column)}::text as c${position}`).join(', ');
        const rows = await api.query<Record<string, string | null>>(`select ${select} from ${relation}`);
        for (const row of rows.rows) {
          columns.forEach((column, position) => {
            const value = row[`c${position}`];
            if (value !== null && value !== undefined) scanned.push({ relation, column, value });
          });
        }
      }
    });

    it('reads the synthetic rows back through every view', () => {
      // the scan below means something only if it saw the data
      for (const relation of new Set(readableColumns.map((column) => column.relation))) {
        expect(scanned.filter((value) => value.relation === relation).length, relation).toBeGreaterThan(0);
      }
      const hashes = new Set(scanned.filter((value) => value.column === 'patient_hash').map((value) => value.value));
      for (const patient of patients) expect(hashes).toContain(patient.patientHash);
    });

    it('finds no patient id, ciphertext or nonce in any value', () => {
      const leaks = scanned.flatMap(({ relation, column, value }) =>
        secrets
          .filter((secret) => value.toLowerCase().includes(secret.text))
          .map((secret) => `${relation}.${column} holds the ${secret.label}`),
      );
      expect(leaks).toEqual([]);
    });

    it('would notice a leak: the same scan finds the id in core.runs.message', async () => {
      const messages = await owner.query<{ message: string }>(`select message from core.runs where message like '%LEAKCHECK%'`);
      const found = messages.rows.filter((row) => patientIds.some((id) => row.message.toLowerCase().includes(id.toLowerCase())));
      expect(found.length).toBe(patients.length);
    });
  });
});
