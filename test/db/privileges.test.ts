// The privilege matrix, read from the catalog: every relation, sequence, routine, type and
// schema of the application and the database itself, with what etl_worker, frontend_api
// and PUBLIC may actually do to it, compared with one expectation per object below. A new
// object fails this file until someone decides, and writes down, who may touch it.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const runtimeRoles = ['etl_worker', 'frontend_api'] as const;
const grantees = [...runtimeRoles, 'PUBLIC'] as const;
type Grantee = (typeof grantees)[number];

/**
 * What each grantee may do to one object. A privilege held on some columns only is written
 * with them in table order, e.g. 'INSERT (patient_hash, encryption_key_version)'.
 * A grantee left out may do nothing.
 */
type ObjectPrivileges = Partial<Record<Grantee, string[]>>;

const enumTypes = ['api.assay_type', 'api.file_role', 'api.run_status', 'api.specimen_type'];
const frontendViews = ['api.frontend_patients', 'api.frontend_run_files', 'api.frontend_runs', 'api.frontend_samples'];

/**
 * One entry per object of the catalog, keyed '<kind> <schema>.<name>'. frontend_api reads
 * the four views and nothing else; etl_worker writes the columns the pipeline fills and
 * reads what ingest needs to look up, never the ciphertext, and deletes nothing; PUBLIC
 * gets nothing anywhere.
 */
const expectedPrivileges: Record<string, ObjectPrivileges> = {
  database: { etl_worker: ['CONNECT'], frontend_api: ['CONNECT'] },

  'schema api': { frontend_api: ['USAGE'] },
  'schema core': { etl_worker: ['USAGE'] },
  'schema public': {},

  // frontend_api casts filter values to the enums; etl_worker writes them.
  ...Object.fromEntries(enumTypes.map((type) => [`type ${type}`, { etl_worker: ['USAGE'], frontend_api: ['USAGE'] }])),

  'table core.patients': {
    etl_worker: [
      'SELECT (patient_hash, encryption_key_version, created_at)',
      'INSERT (patient_hash, patient_id_ciphertext, encryption_key_version)',
    ],
  },
  'table core.samples': {
    etl_worker: ['SELECT', 'INSERT (sample_id, patient_hash, specimen_type, timepoint, collection_date)'],
  },
  'table core.runs': {
    etl_worker: [
      'SELECT',
      'INSERT (run_id, sample_id, assay_type, pipeline_name, pipeline_version, pipeline_revision)',
      'UPDATE (status, executor, nextflow_session_id, exit_code, message)',
    ],
  },
  'table core.run_files': {
    etl_worker: ['SELECT', 'INSERT (run_id, role, uri, format, size_bytes, md5, sha256, read_number)'],
  },
  // append-only and write-only for the pipeline: reading the history back is not its job
  'table core.audit_events': {
    etl_worker: ['INSERT (principal, action, run_id, sample_id, request_id, details)'],
  },
  // the server authenticates bearer tokens through its etl_worker pool: it reads what a
  // look-up needs (not created_at) and writes nothing; operators manage tokens as the owner
  'table core.api_tokens': {
    etl_worker: ['SELECT (token_id, name, secret_hash, scopes, expires_at, revoked_at)'],
  },
  // the identity column draws from it without any grant
  'sequence core.audit_events_event_id_seq': {},
  // dbmate's bookkeeping: the owner's alone
  'table public.schema_migrations': {},

  ...Object.fromEntries(frontendViews.map((view) => [`view ${view}`, { frontend_api: ['SELECT'] }])),

  // trigger functions run as part of the statement that fires them; nobody calls them
  'function core.tg_audit_events__refuse_change()': {},
  'function core.tg_runs__enforce_transition()': {},
  'function core.tg_runs__insert_pending()': {},

  // what objects the owner creates later start with: nothing for anyone but the owner
  'default privileges on new functions': {},
  'default privileges on new schemas': {},
  'default privileges on new sequences': {},
  'default privileges on new tables': {},
  'default privileges on new types': {},
};

type GrantRow = { object: string; grantee: Grantee; privilege: string };

const applicationSchemas = `(select oid from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema')`;

/** PUBLIC's share of an ACL; a NULL ACL is Postgres's default for the kind of object. */
const publicPrivileges = (acl: string, kind: string, owner: string) =>
  `lateral (select item.privilege_type from aclexplode(coalesce(${acl}, acldefault('${kind}', ${owner}))) item where item.grantee = 0)`;

async function tablePrivilegeNames(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ version: number }>(`select current_setting('server_version_num')::integer as version`);
  const names = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
  // Postgres 17 added MAINTAIN (VACUUM, ANALYZE, REINDEX, ...): nobody but the owner needs it.
  return (result.rows[0]?.version ?? 0) >= 170000 ? [...names, 'MAINTAIN'] : names;
}

/** Every privilege any of the three grantees holds on any object of the application. */
async function actualGrants(client: pg.Client): Promise<GrantRow[]> {
  const roles = [...runtimeRoles];
  const queries: Array<{ sql: string; values?: unknown[] }> = [
    {
      sql: `select 'database' as object, grantee, privilege
            from unnest($1::text[]) grantee, unnest(array['CONNECT', 'TEMPORARY', 'CREATE']) privilege
            where has_database_privilege(grantee, current_database(), privilege)
            union all
            select 'database', 'PUBLIC', privilege
            from pg_database, ${publicPrivileges('datacl', 'd', 'datdba')} as public_ (privilege)
            where datname = current_database()`,
      values: [roles],
    },
    {
      sql: `with schemas as (select oid, nspacl, nspowner, format('schema %I', nspname) as object
                             from pg_namespace where oid in ${applicationSchemas})
            select object, grantee, privilege
            from schemas, unnest($1::text[]) grantee, unnest(array['USAGE', 'CREATE']) privilege
            where has_schema_privilege(grantee, oid, privilege)
            union all
            select object, 'PUBLIC', privilege from schemas, ${publicPrivileges('nspacl', 'n', 'nspowner')} as public_ (privilege)`,
      values: [roles],
    },
    {
      // Table-level privileges, then column-level ones where the table-level one is missing.
      sql: `with relations as (
              select relation.oid, relation.relacl, relation.relowner,
                     format('%s %I.%I', case relation.relkind when 'v' then 'view' when 'm' then 'materialized view'
                                                              when 'f' then 'foreign table' else 'table' end,
                            namespace.nspname, relation.relname) as object
              from pg_class relation join pg_namespace namespace on namespace.oid = relation.relnamespace
              where relation.relkind in ('r', 'p', 'v', 'm', 'f') and namespace.oid in ${applicationSchemas}),
            table_grants as (
              select object, oid, grantee, privilege
              from relations, unnest($1::text[]) grantee, unnest($2::text[]) privilege
              where has_table_privilege(grantee, oid, privilege)
              union all
              select object, oid, 'PUBLIC', privilege
              from relations, ${publicPrivileges('relacl', 'r', 'relowner')} as public_ (privilege)),
            column_grants as (
              select object, relations.oid, grantee, privilege, attribute.attnum, attribute.attname
              from relations
              join pg_attribute attribute on attribute.attrelid = relations.oid and attribute.attnum > 0 and not attribute.attisdropped,
                   unnest($1::text[]) grantee, unnest(array['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) privilege
              where has_column_privilege(grantee, relations.oid, attribute.attnum, privilege)
              union all
              select object, relations.oid, 'PUBLIC', item.privilege_type, attribute.attnum, attribute.attname
              from relations
              join pg_attribute attribute on attribute.attrelid = relations.oid and attribute.attnum > 0 and not attribute.attisdropped,
                   aclexplode(attribute.attacl) item
              where item.grantee = 0)
            select object, grantee, privilege from table_grants
            union all
            select object, grantee, format('%s (%s)', privilege, string_agg(format('%I', attname), ', ' order by attnum))
            from column_grants
            where not exists (select 1 from table_grants
                              where table_grants.oid = column_grants.oid and table_grants.grantee = column_grants.grantee
                                and table_grants.privilege = column_grants.privilege)
            group by object, grantee, privilege`,
      values: [roles, await tablePrivilegeNames(client)],
    },
    {
      sql: `with sequences as (
              select relation.oid, relation.relacl, relation.relowner, format('sequence %I.%I', namespace.nspname, relation.relname) as object
              from pg_class relation join pg_namespace namespace on namespace.oid = relation.relnamespace
              where relation.relkind = 'S' and namespace.oid in ${applicationSchemas})
            select object, grantee, privilege
            from sequences, unnest($1::text[]) grantee, unnest(array['USAGE', 'SELECT', 'UPDATE']) privilege
            where has_sequence_privilege(grantee, oid, privilege)
            union all
            select object, 'PUBLIC', privilege from sequences, ${publicPrivileges('relacl', 's', 'relowner')} as public_ (privilege)`,
      values: [roles],
    },
    {
      sql: `with routines as (
              select routine.oid, routine.proacl, routine.proowner,
                     format('%s %I.%I(%s)', case routine.prokind when 'p' then 'procedure' when 'a' then 'aggregate'
                                                                 when 'w' then 'window function' else 'function' end,
                            namespace.nspname, routine.proname, pg_get_function_identity_arguments(routine.oid)) as object
              from pg_proc routine join pg_namespace namespace on namespace.oid = routine.pronamespace
              where namespace.oid in ${applicationSchemas})
            select object, grantee, 'EXECUTE' as privilege
            from routines, unnest($1::text[]) grantee
            where has_function_privilege(grantee, oid, 'EXECUTE')
            union all
            select object, 'PUBLIC', privilege from routines, ${publicPrivileges('proacl', 'f', 'proowner')} as public_ (privilege)`,
      values: [roles],
    },
    {
      // Array types take their element type's privileges, and a relation's row type is
      // covered by its own test below: neither has an entry of its own.
      sql: `with types as (
              select type.oid, type.typacl, type.typowner, format('type %I.%I', namespace.nspname, type.typname) as object
              from pg_type type join pg_namespace namespace on namespace.oid = type.typnamespace
              left join pg_class relation on relation.oid = type.typrelid
              where namespace.oid in ${applicationSchemas}
                and not exists (select 1 from pg_type element where element.typarray = type.oid)
                and (type.typrelid = 0 or relation.relkind = 'c'))
            select object, grantee, 'USAGE' as privilege
            from types, unnest($1::text[]) grantee
            where has_type_privilege(grantee, oid, 'USAGE')
            union all
            select object, 'PUBLIC', privilege from types, ${publicPrivileges('typacl', 'T', 'typowner')} as public_ (privilege)`,
      values: [roles],
    },
    {
      // What the database owner's future objects start with (the owner runs the
      // migrations), and any additions for single schemas.
      sql: `with kinds (objtype, label) as (values ('r', 'tables'), ('S', 'sequences'), ('f', 'functions'), ('T', 'types'), ('n', 'schemas')),
            effective as (
              select format('default privileges on new %s', kinds.label) as object,
                     coalesce(global.defaclacl, acldefault(kinds.objtype::"char", database.datdba)) as acl
              from kinds
              cross join (select datdba from pg_database where datname = current_database()) database
              left join pg_default_acl global
                on global.defaclrole = database.datdba and global.defaclnamespace = 0 and global.defaclobjtype = kinds.objtype::"char"
              union all
              select format('default privileges of %s in schema %s on new %s', defaclrole::regrole, defaclnamespace::regnamespace, kinds.label),
                     defaclacl
              from pg_default_acl join kinds on kinds.objtype::"char" = defaclobjtype
              where defaclnamespace <> 0)
            select object, case when item.grantee = 0 then 'PUBLIC' else item.grantee::regrole::text end as grantee, item.privilege_type as privilege
            from effective, aclexplode(acl) item
            where item.grantee = 0 or item.grantee::regrole::text = any($1::text[])`,
      values: [roles],
    },
  ];
  const rows: GrantRow[] = [];
  for (const query of queries) {
    rows.push(...(await client.query<GrantRow>(query.sql, query.values)).rows);
  }
  return rows;
}

/** Every object the matrix covers, with or without privileges, so an object nobody may touch still shows up. */
async function catalogObjects(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ object: string }>(`
    select 'database' as object
    union all
    select format('schema %I', nspname) from pg_namespace where oid in ${applicationSchemas}
    union all
    select format('%s %I.%I', case relation.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view'
                                                    when 'f' then 'foreign table' else 'table' end,
                  namespace.nspname, relation.relname)
    from pg_class relation join pg_namespace namespace on namespace.oid = relation.relnamespace
    where relation.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and namespace.oid in ${applicationSchemas}
    union all
    select format('%s %I.%I(%s)', case routine.prokind when 'p' then 'procedure' when 'a' then 'aggregate'
                                                       when 'w' then 'window function' else 'function' end,
                  namespace.nspname, routine.proname, pg_get_function_identity_arguments(routine.oid))
    from pg_proc routine join pg_namespace namespace on namespace.oid = routine.pronamespace
    where namespace.oid in ${applicationSchemas}
    union all
    select format('type %I.%I', namespace.nspname, type.typname)
    from pg_type type join pg_namespace namespace on namespace.oid = type.typnamespace
    left join pg_class relation on relation.oid = type.typrelid
    where namespace.oid in ${applicationSchemas}
      and not exists (select 1 from pg_type element where element.typarray = type.oid)
      and (type.typrelid = 0 or relation.relkind = 'c')
    union all
    select format('default privileges on new %s', label) from unnest(array['tables', 'sequences', 'functions', 'types', 'schemas']) label
    union all
    select format('default privileges of %s in schema %s on new %s', defaclrole::regrole, defaclnamespace::regnamespace,
                  case defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions'
                                     when 'T' then 'types' when 'n' then 'schemas' else defaclobjtype::text end)
    from pg_default_acl where defaclnamespace <> 0`);
  return result.rows.map((row) => row.object);
}

/** Same shape on both sides of the comparison: every grantee present, lists sorted, keys in order. */
function normalise(matrix: Record<string, ObjectPrivileges>): Record<string, Record<Grantee, string[]>> {
  const sorted: Record<string, Record<Grantee, string[]>> = {};
  for (const object of Object.keys(matrix).sort()) {
    const entry = matrix[object] ?? {};
    sorted[object] = Object.fromEntries(
      grantees.map((grantee) => [grantee, [...(entry[grantee] ?? [])].sort()]),
    ) as Record<Grantee, string[]>;
  }
  return sorted;
}

let database: TestDatabase;
let admin: pg.Client;
let actualMatrix: Record<string, ObjectPrivileges>;
let objects: string[];

beforeAll(async () => {
  database = await createTestDatabase();
  admin = await database.connect('admin');
  objects = await catalogObjects(admin);
  actualMatrix = Object.fromEntries(objects.map((object) => [object, {}]));
  for (const row of await actualGrants(admin)) {
    const entry = (actualMatrix[row.object] ??= {});
    (entry[row.grantee] ??= []).push(row.privilege);
  }
});
afterAll(() => database?.destroy());

describe('privilege matrix', () => {
  it('reads the objects from the catalog', () => {
    // a broken catalog query would otherwise compare two empty matrices
    expect(objects).toEqual(expect.arrayContaining(['table core.patients', 'view api.frontend_runs', 'schema core', 'database']));
    expect(objects.length).toBeGreaterThanOrEqual(Object.keys(expectedPrivileges).length);
  });

  it('has an expectation for every table, view, sequence, routine, type and schema', () => {
    const missing = objects.filter((object) => !(object in expectedPrivileges)).sort();
    expect(
      missing,
      'These objects exist in the database but not in expectedPrivileges (test/db/privileges.test.ts). ' +
        'For each one, grant in its migration exactly what etl_worker and frontend_api need (nothing to PUBLIC), ' +
        'then add one expectation saying so.',
    ).toEqual([]);
  });

  it('has no expectation for an object that no longer exists', () => {
    const stale = Object.keys(expectedPrivileges).filter((object) => !objects.includes(object)).sort();
    expect(stale, 'Remove these from expectedPrivileges, or find out why the migrations no longer create them.').toEqual([]);
  });

  it('grants etl_worker, frontend_api and PUBLIC exactly the expected privileges on every object', () => {
    expect(normalise(actualMatrix)).toEqual(normalise(expectedPrivileges));
  });

  it('never lets etl_worker delete, truncate or create, nor PUBLIC anything', () => {
    // the matrix above says it object by object; this says it as the rule the design states
    const forbidden = Object.entries(actualMatrix).flatMap(([object, entry]) => [
      ...(entry.etl_worker ?? [])
        .filter((privilege) => /^(DELETE|TRUNCATE|CREATE|TEMPORARY)\b/.test(privilege))
        .map((privilege) => `etl_worker ${privilege} on ${object}`),
      ...(entry.PUBLIC ?? []).map((privilege) => `PUBLIC ${privilege} on ${object}`),
    ]);
    expect(forbidden).toEqual([]);
  });

  it('gives the row types of tables and views no grants of their own', async () => {
    // A relation's row type has an ACL apart from the relation's, which default privileges
    // do not set: Postgres leaves it NULL, i.e. USAGE for PUBLIC. That USAGE only lets a
    // role name the type in objects it creates, and the matrix shows neither runtime role
    // can create anything anywhere. A grant on one would be deliberate, and shows here.
    const result = await admin.query<{ type: string; acl: string }>(`
      select format('%I.%I', namespace.nspname, type.typname) as type, type.typacl::text as acl
      from pg_type type
      join pg_namespace namespace on namespace.oid = type.typnamespace
      join pg_class relation on relation.oid = type.typrelid
      where relation.relkind <> 'c' and namespace.oid in ${applicationSchemas} and type.typacl is not null
      order by 1`);
    expect(result.rows).toEqual([]);
  });
});

describe('runtime roles', () => {
  it('are logins without superuser, database or role creation, replication or RLS bypass', async () => {
    const result = await admin.query(
      `select rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
       from pg_roles where rolname = any($1::text[]) order by rolname`,
      [runtimeRoles],
    );
    expect(result.rows).toEqual(
      runtimeRoles.map((rolname) => ({
        rolname,
        rolcanlogin: true,
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolreplication: false,
        rolbypassrls: false,
      })),
    );
  });

  it('are members of no role, so they inherit nobody\'s privileges', async () => {
    const result = await admin.query(
      `select member::regrole::text as member, roleid::regrole::text as role
       from pg_auth_members where member::regrole::text = any($1::text[])`,
      [runtimeRoles],
    );
    expect(result.rows).toEqual([]);
  });

  it('own nothing in the database', async () => {
    // an owner holds every privilege implicitly, whatever the ACLs say
    const result = await admin.query(
      `select format('%s %s', classid::regclass, objid) as object, refobjid::regrole::text as owner
       from pg_shdepend
       where deptype = 'o' and refobjid in (select oid from pg_roles where rolname = any($1::text[]))
         and dbid = (select oid from pg_database where datname = current_database())`,
      [runtimeRoles],
    );
    expect(result.rows).toEqual([]);
  });
});
