// The GraphQL schema is a contract: it changes only on purpose (schema.graphql is committed),
// and it can never offer PHI or a base table, whatever a future migration or plugin adds.
import { readFile } from 'node:fs/promises';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLSchema,
} from 'postgraphile/graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { buildSchema, printStableSchema, schemaFile } from '../support/graphqlSchema.ts';

let database: TestDatabase;
let schema: GraphQLSchema;

beforeAll(async () => {
  database = await createTestDatabase();
  schema = await buildSchema(database.urls.api, database.urls.etl);
});
afterAll(() => database?.destroy());

/** Every name a client could ask for: types, fields, arguments, input fields, enum values. */
function everyName(schema: GraphQLSchema): string[] {
  const names: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    names.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        names.push(`${type.name}.${field.name}`);
        for (const argument of field.args) names.push(`${type.name}.${field.name}(${argument.name})`);
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) names.push(`${type.name}.${field.name}`);
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) names.push(`${type.name}.${value.name}`);
    }
  }
  return names;
}

// What could identify a person or expose a secret. `patientHash` (a keyed pseudonym) is the
// one patient reference the API is meant to have.
const phiPatterns: RegExp[] = [
  /patientId/i,
  /patient_id/i,
  /\bmrn\b|Mrn|MRN/,
  /cipher/i,
  /keyVersion|encryption/i,
  /(^|\.)(first|last|given|family|middle|full)?name$/i,
  /birth|\bdob\b|Dob[A-Z]?/i,
  /collectionDate|COLLECTION_DATE/,
  /address|phone|email|ssn|insurance/i,
  /\.message$|MESSAGE/,
];

describe('GraphQL schema contract', () => {
  it('matches the committed schema.graphql (run `npm run schema:export` after a deliberate change)', async () => {
    expect(printStableSchema(schema)).toBe(await readFile(schemaFile, 'utf8'));
  });

  // The ways PHI may enter, write-only (no output type, filter or ordering carries them):
  // registerSample's identifier and collection date, finishRun's free-text message.
  const writeOnlyPhiInputs = [
    'RegisterSampleInput.patientId',
    'RegisterSampleInput.collectionDate',
    'FinishRunInput.message',
  ];

  it('offers no type, field, argument or enum value that could expose PHI', () => {
    const offending = everyName(schema).filter(
      (name) => phiPatterns.some((pattern) => pattern.test(name)) && !writeOnlyPhiInputs.includes(name),
    );
    expect(offending).toEqual([]);
  });

  it('accepts PHI only in the write-only inputs of the ingest mutations', () => {
    for (const name of writeOnlyPhiInputs) {
      const [typeName, fieldName] = name.split('.') as [string, string];
      const type = schema.getType(typeName);
      expect(isInputObjectType(type), typeName).toBe(true);
      expect(Object.keys((type as { getFields(): object }).getFields())).toContain(fieldName);
    }
  });

  it('the PHI patterns do catch what they are meant to', () => {
    const caught = (name: string) => phiPatterns.some((pattern) => pattern.test(name));
    for (const name of ['Patient.patientId', 'Patient.mrn', 'Patient.patientIdCiphertext', 'Patient.name',
      'Patient.lastName', 'Patient.dateOfBirth', 'Sample.collectionDate', 'Run.message', 'Patient.email']) {
      expect(caught(name), name).toBe(true);
    }
    for (const name of ['Patient.patientHash', 'Run.pipelineName', 'Sample.collectionYear', 'RunFile.uri']) {
      expect(caught(name), name).toBe(false);
    }
  });

  it('exposes exactly the four frontend entities, none of the base tables', () => {
    const nodeTypes = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && type.getInterfaces().some((face) => face.name === 'Node'))
      .map((type) => type.name)
      .filter((name) => name !== 'Query')
      .sort();
    expect(nodeTypes).toEqual(['Patient', 'Run', 'RunFile', 'Sample']);
    const typeNames = Object.keys(schema.getTypeMap());
    for (const baseTable of ['AuditEvent', 'Patients', 'SchemaMigration', 'FrontendSample', 'CorePatient']) {
      expect(typeNames).not.toContain(baseTable);
    }
  });

  it('names the root fields and relations as DESIGN §4 says', () => {
    const query = schema.getQueryType()!.getFields();
    for (const field of ['patients', 'samples', 'runs', 'runFiles', 'patient', 'sample', 'run']) {
      expect(Object.keys(query)).toContain(field);
    }
    expect(query.patient!.args.map((argument) => argument.name)).toEqual(['patientHash']);
    expect(query.sample!.args.map((argument) => argument.name)).toEqual(['sampleId']);
    expect(query.run!.args.map((argument) => argument.name)).toEqual(['runId']);
    const fieldsOf = (name: string) => Object.keys((schema.getType(name) as { getFields(): object }).getFields());
    expect(fieldsOf('Sample')).toEqual(expect.arrayContaining(['patient', 'runs']));
    expect(fieldsOf('Patient')).toEqual(expect.arrayContaining(['samples']));
    expect(fieldsOf('Run')).toEqual(expect.arrayContaining(['sample', 'files']));
    expect(fieldsOf('RunFile')).toEqual(expect.arrayContaining(['run']));
    for (const connection of ['SampleConnection', 'RunConnection', 'RunFileConnection', 'PatientConnection']) {
      expect(fieldsOf(connection)).toEqual(expect.arrayContaining(['aggregates', 'groupedAggregates', 'totalCount']));
    }
    for (const enumName of ['RunStatus', 'AssayType', 'SpecimenType', 'FileRole']) {
      expect(isEnumType(schema.getType(enumName))).toBe(true);
    }
  });
});
