// The pipeline's whole flow, end to end, the way Nextflow runs it (examples/nextflow/main.nf):
// the `seqmeta` CLI as a subprocess, with SEQMETA_URL and SEQMETA_TOKEN, against a live API
// over a real database. register-sample -> register-run -> start-run -> fetch-inputs ->
// log-outputs -> finish-run; each step run twice gives the same result and writes nothing new;
// the exit codes a workflow engine acts on; the patient id nowhere but in its ciphertext.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSAY_TYPES, SPECIMEN_TYPES } from '../../src/commands/pipeline.ts';
import { pseudonymisePatientId } from '../../src/phi.ts';
import { createToken } from '../../src/tokens.ts';
import { startTestApi, type TestApi } from '../support/apiServer.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { inheritedEnvironment } from '../support/inheritedEnvironment.ts';

const projectDirectory = fileURLToPath(new URL('../../', import.meta.url));
const PATIENT_ID = 'SYN-PAT-CLI-0042';
const SAMPLE_ID = 'SYN-CLI-S1';
const RUN_ID = randomUUID();
const SESSION_ID = randomUUID();

let api: TestApi;
let admin: pg.Client;
let token: string;
let ingestOnlyToken: string;
let work: string;
const serverLog: string[] = [];
/** every CLI invocation's output, to check what was ever printed */
const printed: CliResult[] = [];

/** A token created as the owner on the API's database. */
async function tokenFor(name: string, scopes: string): Promise<string> {
  const owner = await api.database.connect('owner');
  return (await createToken(owner, { name, scopes })).token;
}

const environment = () => ({ SEQMETA_URL: api.url, SEQMETA_TOKEN: token });

async function cli(args: string[], environmentOverride: Record<string, string> = environment()): Promise<CliResult> {
  const result = await runCli(args, environmentOverride);
  printed.push(result);
  return result;
}

/** Like runCli, with `input` on stdin (runCli leaves stdin open, for commands that never read it). */
function cliWithInput(args: string[], input: string): Promise<CliResult> {
  const inherited = inheritedEnvironment();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: projectDirectory,
      env: { ...inherited, ...environment() },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const result = { exitCode: exitCode ?? 1, stdout, stderr };
      printed.push(result);
      resolve(result);
    });
    child.stdin.end(input);
  });
}

/** Parses a command's stdout as one JSON document, failing with its stderr when it is not. */
function json(result: CliResult): any {
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

const auditCount = async () => Number((await admin.query('select count(*) from core.audit_events')).rows[0].count);
const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');
const md5 = (content: string | Buffer) => createHash('md5').update(content).digest('hex');

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// inputs: lane 1 as local files (file://), lane 2 in a bucket (s3://, with checksums)
const lane2 = [
  { uri: `s3://syn-lab/${SAMPLE_ID}_L002_R1_001.fastq.gz`, format: 'FASTQ', readNumber: 1, md5: 'a'.repeat(32), sizeBytes: 1234 },
  { uri: `s3://syn-lab/${SAMPLE_ID}_L002_R2_001.fastq.gz`, format: 'FASTQ', readNumber: 2, md5: 'b'.repeat(32), sizeBytes: 1235 },
];
let lane1: string[];
let inputsJson: string;
let results: string;
const outputContents: Record<string, Buffer> = {};

beforeAll(async () => {
  api = await startTestApi(
    // production-like: no anonymous reads; a small default page so fetch-inputs has to page
    { SEQMETA_ALLOW_ANONYMOUS_READS: 'false', SEQMETA_DEFAULT_PAGE_SIZE: '3', LOG_LEVEL: 'debug' },
    { logDestination: { write: (line: string) => serverLog.push(line) } },
  );
  admin = await api.database.connect('admin');
  token = await tokenFor('nextflow-e2e', 'ingest,read');
  ingestOnlyToken = await tokenFor('nextflow-ingest-only', 'ingest');

  work = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-pipeline-'));
  await mkdir(path.join(work, 'inputs'));
  lane1 = [1, 2].map((read) => path.join(work, 'inputs', `${SAMPLE_ID}_L001_R${read}_001.fastq.gz`));
  for (const file of lane1) await writeFile(file, '@r1\nACGT\n+\nIIII\n');
  inputsJson = path.join(work, 'inputs.json');
  await writeFile(inputsJson, JSON.stringify(lane2));

  // outputs: a small BAM-like file over a few read chunks, a TSV, and a report in a subfolder
  results = path.join(work, 'results');
  await mkdir(path.join(results, 'reports'), { recursive: true });
  outputContents['SYN-CLI-S1.bam'] = Buffer.alloc(2.5 * 1024 * 1024, 7);
  outputContents['read_counts.tsv'] = Buffer.from('sample\treads\nSYN-CLI-S1\t1\n');
  outputContents['reports/summary.html'] = Buffer.from('<html>SYN-CLI-S1</html>\n');
  for (const [name, content] of Object.entries(outputContents)) await writeFile(path.join(results, name), content);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the pipeline flow, each step run twice', () => {
  it('register-sample reads the patient id from stdin and returns its pseudonym, never the id', async () => {
    const args = ['register-sample', '--sample-id', SAMPLE_ID, '--patient-id', '-', '--specimen-type', 'tumour', '--collection-date', '2024-03-05', '--json'];
    const first = await cliWithInput(args, `${PATIENT_ID}\n`);
    const sample = json(first);
    expect(sample).toEqual({
      sampleId: SAMPLE_ID,
      patientHash: pseudonymisePatientId(api.keys.pseudonymKey, PATIENT_ID),
      specimenType: 'TUMOUR',
      timepoint: 0,
      collectionYear: 2024,
    });
    const audits = await auditCount();
    const again = await cliWithInput(args, `${PATIENT_ID}\n`);
    expect(json(again)).toEqual(sample);
    expect(await auditCount()).toBe(audits);
  });

  it('register-run registers a PENDING run with its inputs under the given id; again, the same run', async () => {
    const args = [
      'register-run',
      '--sample-id', SAMPLE_ID,
      '--assay-type', 'WGS',
      '--pipeline-name', 'seqmeta-example',
      '--pipeline-version', '0.1.0',
      '--run-id', RUN_ID,
      ...lane1.flatMap((file) => ['--input', pathToFileURL(file).href]),
      '--inputs-json', inputsJson,
      '--json',
    ];
    const run = json(await cli(args));
    expect(run).toEqual({
      runId: RUN_ID,
      sampleId: SAMPLE_ID,
      status: 'PENDING',
      assayType: 'WGS',
      pipelineName: 'seqmeta-example',
      pipelineVersion: '0.1.0',
      pipelineRevision: null,
      executor: null,
      exitCode: null,
      inputCount: 4,
      outputCount: 0,
    });
    const stored = await admin.query(
      `select uri, format, read_number, md5, size_bytes::text from core.run_files where run_id = $1 and role = 'INPUT' order by uri`,
      [RUN_ID],
    );
    expect(stored.rows).toEqual([
      ...lane1.map((file, index) => ({ uri: pathToFileURL(file).href, format: 'FASTQ', read_number: index + 1, md5: null, size_bytes: null })),
      ...lane2.map((file) => ({ uri: file.uri, format: 'FASTQ', read_number: file.readNumber, md5: file.md5, size_bytes: String(file.sizeBytes) })),
    ]);
    const audits = await auditCount();
    expect(json(await cli(args))).toEqual(run);
    expect(await auditCount()).toBe(audits);
    expect(Number((await admin.query('select count(*) from core.runs where run_id = $1', [RUN_ID])).rows[0].count)).toBe(1);
  });

  it('start-run moves it to RUNNING with the executor and session; again, the same', async () => {
    const args = ['start-run', '--run-id', RUN_ID, '--executor', 'slurm', '--session-id', SESSION_ID, '--json'];
    const run = json(await cli(args));
    expect(run).toMatchObject({ runId: RUN_ID, status: 'RUNNING', executor: 'slurm' });
    const audits = await auditCount();
    expect(json(await cli(args))).toEqual(run);
    expect(await auditCount()).toBe(audits);
    const stored = await admin.query('select nextflow_session_id from core.runs where run_id = $1', [RUN_ID]);
    expect(stored.rows[0].nextflow_session_id).toBe(SESSION_ID);
  });

  it('fetch-inputs writes the nf-core samplesheet, paging through the inputs; again, the same file', async () => {
    const samplesheet = path.join(work, 'samplesheet.csv');
    const args = ['fetch-inputs', '--run-id', RUN_ID, '--format', 'samplesheet', '--out', samplesheet, '--json'];
    const summary = json(await cli(args));
    expect(summary).toEqual({ runId: RUN_ID, sampleId: SAMPLE_ID, status: 'RUNNING', format: 'samplesheet', out: samplesheet, inputCount: 4 });
    const expected =
      'sample,fastq_1,fastq_2\n' +
      `${SAMPLE_ID},${lane1[0]},${lane1[1]}\n` +
      `${SAMPLE_ID},${lane2[0]!.uri},${lane2[1]!.uri}\n`;
    expect(await readFile(samplesheet, 'utf8')).toBe(expected);
    expect(json(await cli(args))).toEqual(summary);
    expect(await readFile(samplesheet, 'utf8')).toBe(expected);
  });

  it('fetch-inputs --format json prints every input (more than one page) on stdout', async () => {
    const fetched = json(await cli(['fetch-inputs', '--run-id', RUN_ID, '--format', 'json']));
    expect(api.config.limits.defaultPageSize).toBeLessThan(fetched.inputs.length);
    expect(fetched).toEqual({
      runId: RUN_ID,
      sampleId: SAMPLE_ID,
      status: 'RUNNING',
      inputs: [
        ...lane1.map((file, index) => ({ uri: pathToFileURL(file).href, format: 'FASTQ', readNumber: index + 1, sizeBytes: null, md5: null, sha256: null })),
        ...lane2.map((file) => ({ uri: file.uri, format: 'FASTQ', readNumber: file.readNumber, sizeBytes: String(file.sizeBytes), md5: file.md5, sha256: null })),
      ],
    });
  });

  it('log-outputs logs a folder in atomic batches with sizes and checksums; again, the same rows', async () => {
    const args = ['log-outputs', '--run-id', RUN_ID, '--batch-size', '2', '--json', results];
    const first = await cli(args);
    const logged = json(first);
    expect(first.stderr).toContain('logged call 2 of 2');
    expect(logged.fileCount).toBe(3);
    expect(logged.calls).toBe(2);
    expect(logged.run).toMatchObject({ runId: RUN_ID, status: 'RUNNING', inputCount: 4, outputCount: 3 });

    const expectedRows = Object.entries(outputContents)
      .map(([name, content]) => ({
        uri: pathToFileURL(path.join(results, name)).href,
        format: name.endsWith('.bam') ? 'BAM' : name.endsWith('.tsv') ? 'TSV' : 'HTML',
        size_bytes: String(content.length),
        md5: md5(content),
        sha256: sha256(content),
      }))
      .sort((a, b) => (a.uri < b.uri ? -1 : 1));
    const storedOutputs = async () =>
      (
        await admin.query(
          `select uri, format, size_bytes::text, md5, sha256 from core.run_files where run_id = $1 and role = 'OUTPUT' order by uri`,
          [RUN_ID],
        )
      ).rows;
    expect(await storedOutputs()).toEqual(expectedRows);

    const audits = await auditCount();
    const again = json(await cli(args));
    expect(again).toEqual(logged);
    expect(await storedOutputs()).toEqual(expectedRows);
    expect(await auditCount()).toBe(audits);
  });

  it('log-outputs --uri-prefix records where the files are copied, with their checksums', async () => {
    const prefix = `s3://syn-lab/runs/${RUN_ID}/`;
    const logged = json(await cli(['log-outputs', '--run-id', RUN_ID, '--uri-prefix', prefix, '--json', path.join(results, 'reports')]));
    expect(logged.files).toEqual([
      {
        uri: `${prefix}summary.html`,
        format: 'HTML',
        sizeBytes: String(outputContents['reports/summary.html']!.length),
        md5: md5(outputContents['reports/summary.html']!),
        sha256: sha256(outputContents['reports/summary.html']!),
      },
    ]);
    expect(logged.run.outputCount).toBe(4);
  });

  it('finish-run moves it to SUCCEEDED with the exit code; again, the same', async () => {
    const args = ['finish-run', '--run-id', RUN_ID, '--status', 'SUCCEEDED', '--exit-code', '0', '--json'];
    const run = json(await cli(args));
    expect(run).toMatchObject({ runId: RUN_ID, status: 'SUCCEEDED', exitCode: 0, outputCount: 4 });
    const audits = await auditCount();
    expect(json(await cli(args))).toEqual(run);
    expect(await auditCount()).toBe(audits);
  });

  it('left one audit row per change, each under the token name, with a request id', async () => {
    const audit = await admin.query(
      `select action, principal, request_id from core.audit_events where run_id = $1 order by event_id`,
      [RUN_ID],
    );
    expect(audit.rows.map((row) => row.action)).toEqual(['register_run', 'start_run', 'log_run_outputs', 'log_run_outputs', 'log_run_outputs', 'finish_run']);
    expect(audit.rows.every((row) => row.principal === 'nextflow-e2e' && /^[0-9a-f-]{36}$/.test(row.request_id))).toBe(true);
    expect(new Set(audit.rows.map((row) => row.request_id)).size).toBe(audit.rows.length);
  });
});

describe('plain output, for scripts', () => {
  it('register-run without --run-id chooses a UUID and prints just the id on stdout', async () => {
    const result = await cli(['register-run', '--sample-id', SAMPLE_ID, '--assay-type', 'rna-seq', '--pipeline-name', 'seqmeta-example']);
    expect(result.exitCode, result.stderr).toBe(0);
    const runId = result.stdout.trim();
    expect(runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(result.stdout).toBe(`${runId}\n`);
    expect(result.stderr).toContain(`registered run ${runId} (PENDING)`);
    const stored = await admin.query('select assay_type::text, status::text from core.runs where run_id = $1', [runId]);
    expect(stored.rows).toEqual([{ assay_type: 'RNA_SEQ', status: 'PENDING' }]);
  });

  it('fetch-inputs without --out prints the samplesheet on stdout', async () => {
    const result = await cli(['fetch-inputs', '--run-id', RUN_ID]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('sample,fastq_1,fastq_2');
    expect(result.stdout.trim().split('\n')).toHaveLength(3);
  });
});

describe('exit codes a workflow engine can act on', () => {
  it('3 for an unknown run, on reads and writes, and for an unknown sample', async () => {
    const unknown = randomUUID();
    const runCommands = [
      ['start-run', '--run-id', unknown, '--executor', 'local'],
      ['fetch-inputs', '--run-id', unknown],
      ['finish-run', '--run-id', unknown, '--status', 'FAILED'],
    ];
    const outcomes = await Promise.all(runCommands.map((args) => cli(args)));
    for (const [index, result] of outcomes.entries()) {
      expect(result.exitCode, `${runCommands[index]![0]}: ${result.stderr}`).toBe(3);
      expect(result.stderr).toContain(`no run ${unknown}`);
      expect(result.stdout).toBe('');
    }
    const unknownSample = await cli(['register-run', '--sample-id', 'SYN-CLI-NONE', '--assay-type', 'WGS', '--pipeline-name', 'x']);
    expect(unknownSample.exitCode, unknownSample.stderr).toBe(3);
    expect(unknownSample.stderr).toContain('no sample SYN-CLI-NONE');
  });

  it('4 for an illegal transition: a finished run cannot start, change status or take new outputs', async () => {
    const late = path.join(work, 'late.txt');
    await writeFile(late, 'late');
    const [start, refinish, lateOutput] = await Promise.all([
      cli(['start-run', '--run-id', RUN_ID, '--executor', 'slurm', '--session-id', SESSION_ID]),
      cli(['finish-run', '--run-id', RUN_ID, '--status', 'FAILED']),
      cli(['log-outputs', '--run-id', RUN_ID, late]),
    ]);
    for (const result of [start, refinish, lateOutput]) {
      expect(result.exitCode, result.stderr).toBe(4);
      expect(result.stderr).toContain('ILLEGAL_TRANSITION');
    }
    const stored = await admin.query('select status::text from core.runs where run_id = $1', [RUN_ID]);
    expect(stored.rows[0].status).toBe('SUCCEEDED');
  });

  it('4 for a conflict: the same run id with different details', async () => {
    const result = await cli(['register-run', '--run-id', RUN_ID, '--sample-id', SAMPLE_ID, '--assay-type', 'WES', '--pipeline-name', 'other']);
    expect(result.exitCode, result.stderr).toBe(4);
    expect(result.stderr).toContain('CONFLICT');
  });

  it('5 without a token, with a bad token, and for fetch-inputs without the read scope', async () => {
    const [withoutToken, badToken, readless] = await Promise.all([
      cli(['finish-run', '--run-id', RUN_ID, '--status', 'FAILED'], { SEQMETA_URL: api.url }),
      cli(['fetch-inputs', '--run-id', RUN_ID], { SEQMETA_URL: api.url, SEQMETA_TOKEN: `${token.slice(0, -2)}xx` }),
      cli(['fetch-inputs', '--run-id', RUN_ID], { SEQMETA_URL: api.url, SEQMETA_TOKEN: ingestOnlyToken }),
    ]);
    expect(withoutToken.exitCode, withoutToken.stderr).toBe(5);
    expect(withoutToken.stderr).toContain('SEQMETA_TOKEN is not set');
    expect(badToken.exitCode, badToken.stderr).toBe(5);
    expect(badToken.stderr).toContain('invalid or expired token');
    expect(readless.exitCode, readless.stderr).toBe(5);
    expect(readless.stderr).toContain('lacks the read scope');
  });

  it('6 when the API stays unreachable through the retries, saying it retried', async () => {
    const result = await cli(['start-run', '--run-id', RUN_ID, '--executor', 'local', '--retries', '2', '--json'], {
      SEQMETA_URL: `http://127.0.0.1:${await closedPort()}`,
      SEQMETA_TOKEN: token,
    });
    expect(result.exitCode, result.stderr).toBe(6);
    expect(result.stderr).toContain('retry 1 of 2');
    expect(result.stderr).toContain('retry 2 of 2');
    expect(result.stderr).toMatch(/did not answer \(ECONNREFUSED\) after 3 attempts/);
    expect(result.stdout).toBe('');
  });

  it('2 for bad usage and bad input, before or by the API', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['finish-run', '--run-id', 'not-a-uuid', '--status', 'FAILED'], /--run-id must be a UUID/],
      [['finish-run', '--run-id', RUN_ID, '--status', 'DONE'], /--status must be one of SUCCEEDED, FAILED, CANCELLED/],
      [['finish-run', '--run-id', RUN_ID], /required option '--status <status>' not specified/],
      [['register-run', '--sample-id', SAMPLE_ID, '--assay-type', 'WGX', '--pipeline-name', 'x'], /--assay-type must be one of/],
      [['log-outputs', '--run-id', RUN_ID, path.join(work, 'no-such-folder')], /no such file or folder/],
      [['log-outputs', '--run-id', RUN_ID, '--batch-size', '0', results], /--batch-size must be a whole number/],
      [['fetch-inputs', '--run-id', RUN_ID, '--json'], /add --out <file>, or use --format json/],
      [['register-run', '--sample-id', SAMPLE_ID, '--assay-type', 'WGS', '--pipeline-name', 'x', '--input', 'ftp://host/a.bam'], /scheme "ftp" is not allowed .*\(INVALID_INPUT/],
      [['start-run', '--run-id', RUN_ID, '--executor', 'local', '--retries', '-1'], /--retries must be a whole number from 0 to 20/],
    ];
    const outcomes = await Promise.all(cases.map(([args]) => cli(args)));
    for (const [index, [args, message]] of cases.entries()) {
      const result = outcomes[index]!;
      expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    }
  });

  it('0 for --help on every command, which lists the exit codes', async () => {
    const commands = ['register-sample', 'register-run', 'start-run', 'fetch-inputs', 'log-outputs', 'finish-run'];
    const outcomes = await Promise.all(commands.map((command) => cli([command, '--help'])));
    for (const [index, command] of commands.entries()) {
      const result = outcomes[index]!;
      expect(result.exitCode, command).toBe(0);
      expect(result.stdout).toContain(`Usage: seqmeta ${command}`);
      expect(result.stdout).toContain('--json');
      expect(result.stdout).toContain('6 API unreachable after every retry');
    }
  });
});

describe('the patient id stays secret', () => {
  it('is refused without being repeated: a conflicting registration and a bad date', async () => {
    const conflict = await cli(['register-sample', '--sample-id', SAMPLE_ID, '--patient-id', PATIENT_ID, '--specimen-type', 'NORMAL']);
    expect(conflict.exitCode, conflict.stderr).toBe(4);
    const badDate = await cli(['register-sample', '--sample-id', 'SYN-CLI-S9', '--patient-id', PATIENT_ID, '--specimen-type', 'NORMAL', '--collection-date', '2024-02-30']);
    expect(badDate.exitCode, badDate.stderr).toBe(2);
    expect(badDate.stderr).toContain('collectionDate must be a calendar date');
    for (const result of [conflict, badDate]) expect(`${result.stdout}${result.stderr}`).not.toContain(PATIENT_ID);
  });

  it('is in no column of any core table: only its pseudonym and ciphertext are', async () => {
    const tables = await admin.query(`select table_name from information_schema.tables where table_schema = 'core' and table_type = 'BASE TABLE'`);
    expect(tables.rows.map((row) => row.table_name)).toEqual(expect.arrayContaining(['patients', 'samples', 'runs', 'run_files', 'audit_events']));
    let patientsDump = '';
    for (const { table_name } of tables.rows) {
      const dump = String((await admin.query(`select string_agg(t::text, ' ') as text from core.${table_name} t`)).rows[0].text ?? '');
      if (table_name === 'patients') patientsDump = dump;
      expect(dump, table_name).not.toContain(PATIENT_ID);
    }
    // the scan sees the rows: the pseudonym is there
    expect(patientsDump).toContain(pseudonymisePatientId(api.keys.pseudonymKey, PATIENT_ID));
  });

  it('is in no server log line (logged at debug level, and captured: a refused read shows up)', async () => {
    // proves the capture works: a value Postgres refuses is logged under an error id
    const reply = await api.graphql(
      'query ($size: BigInt!) { runFiles(filter: { sizeBytes: { equalTo: $size } }) { totalCount } }',
      { size: 'not-a-number' },
      { authorization: `Bearer ${token}` },
    );
    const errorId = reply.body.errors?.[0]?.extensions?.errorId;
    expect(errorId).toEqual(expect.any(String));
    const log = serverLog.join('');
    expect(log).toContain(errorId);
    expect(log).not.toContain(PATIENT_ID);
  });

  it('and neither it nor the token was ever printed by the CLI', () => {
    expect(printed.length).toBeGreaterThan(30);
    for (const result of printed) {
      expect(`${result.stdout}${result.stderr}`).not.toContain(PATIENT_ID);
      expect(`${result.stdout}${result.stderr}`).not.toContain(token);
      expect(`${result.stdout}${result.stderr}`).not.toContain(ingestOnlyToken);
    }
  });
});

describe('the CLI and its neighbours agree', () => {
  const enumValues = (schema: string, name: string) =>
    [...schema.matchAll(/enum (\w+) \{([^}]*)\}/g)].find((match) => match[1] === name)![2]!.trim().split(/\s+/).sort();

  it('knows every AssayType and SpecimenType of schema.graphql', async () => {
    const schema = await readFile(path.join(projectDirectory, 'schema.graphql'), 'utf8');
    expect(enumValues(schema, 'AssayType')).toEqual([...ASSAY_TYPES].sort());
    expect(enumValues(schema, 'SpecimenType')).toEqual([...SPECIMEN_TYPES].sort());
  });

  it('has every command and flag the Nextflow example uses', async () => {
    const pipeline = await readFile(path.join(projectDirectory, 'examples/nextflow/main.nf'), 'utf8');
    // the shell lines of the processes' scripts, and the Groovy command list of onComplete
    const lines = pipeline.replaceAll('\\\n', ' ').split('\n');
    const uses = new Map<string, Set<string>>();
    for (const line of lines) {
      const match = /^\s*seqmeta ([a-z][a-z-]+)(.*)$/.exec(line) ?? /\['seqmeta', '([a-z][a-z-]+)'(.*)$/.exec(line);
      if (!match) continue;
      const flags = uses.get(match[1]!) ?? new Set<string>();
      for (const flag of match[2]!.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)) flags.add(flag[0]);
      uses.set(match[1]!, flags);
    }
    expect([...uses.keys()].sort()).toEqual(['fetch-inputs', 'finish-run', 'log-outputs', 'start-run']);
    const helps = await Promise.all([...uses.keys()].map((command) => cli([command, '--help'])));
    for (const [index, [command, flags]] of [...uses].entries()) {
      expect(flags.size, command).toBeGreaterThan(0);
      for (const flag of flags) expect(helps[index]!.stdout, `${command} ${flag}`).toMatch(new RegExp(`\\s${flag}[ ,<]`));
    }
  });
});
