// A text picture of everything the migrations define, so two databases can be compared
// with one toEqual: after a rollback and the matching `up`, or db/schema.sql loaded against
// the migrations applied. It reads the catalog, never rows (dbmate's schema_migrations is
// there as a table, without its versions), and leaves out only what legitimately differs
// between two databases built the same way: OIDs, the database's name, attribute numbers
// shifted by dropped columns, the order in which grants were made. Role names stay: on one
// server they are the same, and who owns or may use an object is part of the schema.
import type pg from 'pg';

/**
 * Every schema that is not Postgres's own counts, so a schema a migration adds is covered
 * without editing this file.
 */
const applicationSchemas = `
  select oid, nspname from pg_catalog.pg_namespace
  where nspname !~ '^pg_' and nspname <> 'information_schema'`;

/**
 * The effective ACL as sorted text. A NULL ACL means Postgres's default for the kind of
 * object, so it is expanded: a grant that restores the default must not look different
 * from never having granted at all.
 */
const aclText = (acl: string, defaultAcl: string) => `
  (select coalesce(string_agg(item::text, ',' order by item::text collate "C"), '')
   from unnest(coalesce(${acl}, ${defaultAcl})) as item)`;

/** Postgres's default ACL for an object of `kind` (a "char" SQL expression) owned by `owner` */
const defaultAcl = (kind: string, owner: string) => `acldefault(${kind}, ${owner})`;
/** columns and default privileges have no implicit grants: NULL means none */
const noAcl = `'{}'::aclitem[]`;

const comment = (objectId: string, catalog: string) =>
  `coalesce(quote_literal(obj_description(${objectId}, '${catalog}')), 'none')`;

const relationName = `format('%I.%I', namespace.nspname, relation.relname)`;

// Each query yields one `item` per object; items start with their kind and name so the
// sorted text groups them. Definitions are Postgres's own deparsers (pg_get_*def), which
// print names rather than OIDs; the search_path is pinned so they qualify every name.
const sections: string[] = [
  `select format('schema %I owner=%s acl=%s comment=%s', nspname, nspowner::regrole,
     ${aclText('nspacl', defaultAcl(`'n'`, 'nspowner'))}, ${comment('oid', 'pg_namespace')})
   from pg_namespace where oid in (select oid from application_schemas)`,

  `select format('database owner=%s acl=%s', datdba::regrole, ${aclText('datacl', defaultAcl(`'d'`, 'datdba'))})
   from pg_database where datname = current_database()`,

  `select format('extension %I version=%s schema=%I', extname, extversion, extnamespace::regnamespace)
   from pg_extension`,

  `select format('default-privileges role=%s schema=%s objects=%s acl=%s', defaclrole::regrole,
     case when defaclnamespace = 0 then '*' else defaclnamespace::regnamespace::text end,
     defaclobjtype, ${aclText('defaclacl', noAcl)})
   from pg_default_acl`,

  `select format('relation %s kind=%s owner=%s persistence=%s row-security=%s/%s options=%s acl=%s comment=%s',
     ${relationName}, relation.relkind, relation.relowner::regrole, relation.relpersistence,
     relation.relrowsecurity, relation.relforcerowsecurity, coalesce(relation.reloptions::text, 'none'),
     ${aclText('relation.relacl', defaultAcl(`(case when relation.relkind = 'S' then 's' else 'r' end)::"char"`, 'relation.relowner'))},
     ${comment('relation.oid', 'pg_class')})
   from pg_class relation join application_schemas namespace on namespace.oid = relation.relnamespace
   where relation.relkind in ('r', 'p', 'v', 'm', 'f', 'S', 'c')`,

  // Columns are numbered by position among the live ones: a column dropped and re-added
  // gets a new attnum, which is not a difference a reader of the schema could see.
  `select format('column %s.%I position=%s type=%s not-null=%s default=%s identity=%s generated=%s collation=%s acl=%s comment=%s',
     ${relationName}, attribute.attname,
     row_number() over (partition by attribute.attrelid order by attribute.attnum),
     format_type(attribute.atttypid, attribute.atttypmod), attribute.attnotnull,
     coalesce(pg_get_expr(column_default.adbin, column_default.adrelid), 'none'),
     coalesce(nullif(attribute.attidentity::text, ''), 'none'), coalesce(nullif(attribute.attgenerated::text, ''), 'none'),
     case when attribute.attcollation <> type.typcollation then attribute.attcollation::regcollation::text else 'default' end,
     ${aclText('attribute.attacl', noAcl)},
     coalesce(quote_literal(col_description(attribute.attrelid, attribute.attnum)), 'none'))
   from pg_attribute attribute
   join pg_class relation on relation.oid = attribute.attrelid
   join application_schemas namespace on namespace.oid = relation.relnamespace
   join pg_type type on type.oid = attribute.atttypid
   left join pg_attrdef column_default on column_default.adrelid = attribute.attrelid and column_default.adnum = attribute.attnum
   where relation.relkind in ('r', 'p', 'v', 'm', 'f', 'c') and attribute.attnum > 0 and not attribute.attisdropped`,

  // Constraints of tables and of domains; Postgres 18 lists NOT NULL here too.
  `select format('constraint %s.%I %s comment=%s',
     coalesce(
       (select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = constraint_.conrelid),
       (select format('%I.%I', n.nspname, t.typname) from pg_type t join pg_namespace n on n.oid = t.typnamespace where t.oid = constraint_.contypid)),
     constraint_.conname, pg_get_constraintdef(constraint_.oid), ${comment('constraint_.oid', 'pg_constraint')})
   from pg_constraint constraint_
   where constraint_.connamespace in (select oid from application_schemas)`,

  `select format('index %s %s comment=%s', ${relationName}, pg_get_indexdef(relation.oid), ${comment('relation.oid', 'pg_class')})
   from pg_class relation join application_schemas namespace on namespace.oid = relation.relnamespace
   where relation.relkind in ('i', 'I')`,

  `select format(E'view-definition %s\n%s', ${relationName}, pg_get_viewdef(relation.oid, true))
   from pg_class relation join application_schemas namespace on namespace.oid = relation.relnamespace
   where relation.relkind in ('v', 'm')`,

  `select format('rule %s.%I %s', ${relationName}, rule.rulename, pg_get_ruledef(rule.oid))
   from pg_rewrite rule
   join pg_class relation on relation.oid = rule.ev_class
   join application_schemas namespace on namespace.oid = relation.relnamespace
   where rule.rulename <> '_RETURN'`,

  `select format('trigger %s.%I enabled=%s %s comment=%s', ${relationName}, trigger_.tgname, trigger_.tgenabled,
     pg_get_triggerdef(trigger_.oid), ${comment('trigger_.oid', 'pg_trigger')})
   from pg_trigger trigger_
   join pg_class relation on relation.oid = trigger_.tgrelid
   join application_schemas namespace on namespace.oid = relation.relnamespace
   where not trigger_.tgisinternal`,

  `select format('policy %s.%I %s', ${relationName}, policy.polname, pg_get_expr(policy.polqual, policy.polrelid))
     || format(' command=%s permissive=%s roles=%s check=%s', policy.polcmd, policy.polpermissive,
        (select string_agg(role_name, ',' order by role_name collate "C")
         from (select case when role_id = 0 then 'PUBLIC' else role_id::regrole::text end
               from unnest(policy.polroles) as role_id) as roles (role_name)),
        coalesce(pg_get_expr(policy.polwithcheck, policy.polrelid), 'none'))
   from pg_policy policy
   join pg_class relation on relation.oid = policy.polrelid
   join application_schemas namespace on namespace.oid = relation.relnamespace`,

  `select format('sequence %s type=%s start=%s increment=%s min=%s max=%s cache=%s cycle=%s owned-by=%s',
     ${relationName}, sequence.seqtypid::regtype, sequence.seqstart, sequence.seqincrement, sequence.seqmin,
     sequence.seqmax, sequence.seqcache, sequence.seqcycle,
     coalesce((select format('%s.%I', dependency.refobjid::regclass, owner_column.attname)
               from pg_depend dependency
               join pg_attribute owner_column on owner_column.attrelid = dependency.refobjid and owner_column.attnum = dependency.refobjsubid
               where dependency.classid = 'pg_class'::regclass and dependency.objid = relation.oid
                 and dependency.refclassid = 'pg_class'::regclass and dependency.deptype in ('a', 'i')), 'none'))
   from pg_sequence sequence
   join pg_class relation on relation.oid = sequence.seqrelid
   join application_schemas namespace on namespace.oid = relation.relnamespace`,

  // Array types follow their element type and are left out; a table's row type is listed
  // for its ACL, which Postgres keeps apart from the table's.
  `select format('type %I.%I kind=%s owner=%s acl=%s comment=%s%s', namespace.nspname, type.typname, type.typtype,
     type.typowner::regrole, ${aclText('type.typacl', defaultAcl(`'T'`, 'type.typowner'))}, ${comment('type.oid', 'pg_type')},
     case type.typtype
       when 'e' then ' labels=' || (select string_agg(quote_literal(enumlabel), ',' order by enumsortorder) from pg_enum where enumtypid = type.oid)
       when 'd' then format(' base=%s not-null=%s default=%s', format_type(type.typbasetype, type.typtypmod), type.typnotnull, coalesce(type.typdefault, 'none'))
       when 'r' then (select format(' subtype=%s collation=%s operator-class=%s canonical=%s difference=%s', rngsubtype::regtype,
                              coalesce(rngcollation::regcollation::text, 'none'),
                              (select format('%I', opcname) from pg_opclass where oid = rngsubopc), rngcanonical, rngsubdiff) from pg_range where rngtypid = type.oid)
       when 'b' then format(' input=%s output=%s length=%s', type.typinput, type.typoutput, type.typlen)
       else ''
     end)
   from pg_type type join application_schemas namespace on namespace.oid = type.typnamespace
   where not exists (select 1 from pg_type element where element.typarray = type.oid)`,

  `select format(E'routine %I.%I(%s) kind=%s owner=%s acl=%s comment=%s\n%s', namespace.nspname, routine.proname,
     pg_get_function_identity_arguments(routine.oid), routine.prokind, routine.proowner::regrole,
     ${aclText('routine.proacl', defaultAcl(`'f'`, 'routine.proowner'))}, ${comment('routine.oid', 'pg_proc')},
     case when routine.prokind = 'a'
       then (select format('aggregate transition=%s final=%s state=%s initial=%s', aggtransfn, aggfinalfn,
                           aggtranstype::regtype, coalesce(agginitval, 'none')) from pg_aggregate where aggfnoid = routine.oid)
       else pg_get_functiondef(routine.oid)
     end)
   from pg_proc routine join application_schemas namespace on namespace.oid = routine.pronamespace`,

  `select format('operator %I.%s(%s, %s) returns=%s function=%s', namespace.nspname, operator_.oprname,
     operator_.oprleft::regtype, operator_.oprright::regtype, operator_.oprresult::regtype, operator_.oprcode)
   from pg_operator operator_ join application_schemas namespace on namespace.oid = operator_.oprnamespace`,
];

const fingerprintQuery = `
  with application_schemas as (${applicationSchemas})
  select item from (${sections.map((section) => `(${section})`).join('\nunion all\n')}) as items (item)
  order by item collate "C"`;

/**
 * The schema of the database `client` is connected to, as text: one block per object,
 * sorted. Run it as a superuser (or the owner) so nothing is hidden from the catalog.
 */
export async function schemaFingerprint(client: pg.Client): Promise<string> {
  const previous = await client.query<{ search_path: string }>('show search_path');
  // With only pg_catalog on the path, the deparsers qualify every application name, so the
  // text does not depend on the caller's search_path.
  await client.query('set search_path = pg_catalog');
  try {
    const result = await client.query<{ item: string }>(fingerprintQuery);
    return result.rows.map((row) => row.item).join('\n');
  } finally {
    await client.query(`select set_config('search_path', $1, false)`, [previous.rows[0]?.search_path ?? '']);
  }
}
