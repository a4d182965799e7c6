// `seqmeta register-sample | register-run | start-run | fetch-inputs | log-outputs | finish-run`:
// the pipeline's side of seqmeta. Each command is one or more GraphQL calls over HTTP with the
// token in SEQMETA_TOKEN; the pipeline never holds database credentials. Every call is
// idempotent, so the client resends it after a network error or a 5xx, and a workflow engine
// may rerun a whole command. Exit codes say what went wrong, so the engine can decide.
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CommanderError, type Command } from 'commander';
import { z } from 'zod';
import { ApiError, createApiClient, DEFAULT_RETRIES, type ApiClient } from '../client/apiClient.ts';
import { describeOutputs, guessFormat, guessReadNumber, inBatches, LocalFileError } from '../client/files.ts';
import { buildSamplesheet, SamplesheetError } from '../client/samplesheet.ts';
import { loadConfig } from '../config.ts';
import { CommandInputError, say } from './output.ts';

/** What the process exits with; the README and every command's --help list them. */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  /** bad flags or input: INVALID_INPUT, a malformed value, a missing file */
  invalidInput: 2,
  notFound: 3,
  /** CONFLICT (different details for an existing id) or ILLEGAL_TRANSITION */
  conflict: 4,
  /** FORBIDDEN or UNAUTHENTICATED: no token, a bad token, a missing scope */
  forbidden: 5,
  /** no answer from the API after every retry */
  unreachable: 6,
} as const;

const EXIT_CODE_BY_API_CODE: Record<string, number> = {
  INVALID_INPUT: EXIT_CODES.invalidInput,
  PAYLOAD_TOO_LARGE: EXIT_CODES.invalidInput,
  NOT_FOUND: EXIT_CODES.notFound,
  CONFLICT: EXIT_CODES.conflict,
  ILLEGAL_TRANSITION: EXIT_CODES.conflict,
  FORBIDDEN: EXIT_CODES.forbidden,
  UNAUTHENTICATED: EXIT_CODES.forbidden,
  UNREACHABLE: EXIT_CODES.unreachable,
};

/** The exit code for an error that ended a command (src/cli.ts). */
export function exitCodeOf(error: unknown): number {
  // commander's own usage errors reach here only from commands with exitOverride (these)
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.invalidInput;
  if (error instanceof CommandInputError) return EXIT_CODES.invalidInput;
  if (error instanceof ApiError) return EXIT_CODE_BY_API_CODE[error.code] ?? EXIT_CODES.failure;
  return EXIT_CODES.failure;
}

// The enums of schema.graphql; a test compares them.
export const ASSAY_TYPES = ['METHYLATION', 'RNA_SEQ', 'TARGETED_PANEL', 'WES', 'WGS'] as const;
export const SPECIMEN_TYPES = ['BLOOD', 'CELL_FREE_DNA', 'NORMAL', 'SALIVA', 'TUMOUR'] as const;
export const FINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

const DEFAULT_BATCH_SIZE = 1000;
const MAXIMUM_RETRIES = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const COMMON_HELP = `
Environment:
  SEQMETA_URL     the API, e.g. https://seqmeta.example.org (default http://127.0.0.1:5678)
  SEQMETA_TOKEN   an API token with the ingest scope (fetch-inputs needs read as well)

Calls that get no answer, HTTP 5xx or 429 are sent again with backoff (--retries), under the
same request id; every call is idempotent, so running the same command again is safe too.

Exit codes:
  0 ok                      4 conflict or illegal state transition
  1 anything else           5 forbidden or unauthenticated (token, scope)
  2 bad usage or input      6 API unreachable after every retry
  3 not found`;

type CommonOptions = { json?: boolean; retries: string };

// ---------------------------------------------------------------------------------------
// Shared parts

/** Adds --json and --retries, usage errors that exit 2, and the common help. */
function withCommonOptions(command: Command): Command {
  return command
    .option('--json', 'print the result as JSON on stdout (messages stay on stderr)')
    .option('--retries <n>', `how often to resend a call that got no answer, HTTP 5xx or 429 (0 to ${MAXIMUM_RETRIES})`, String(DEFAULT_RETRIES))
    .addHelpText('after', COMMON_HELP)
    .exitOverride();
}

/** Digits only: "1e3", "12.0" and "0x10" are refused rather than guessed at. */
function parseWholeNumber(text: string, flag: string, minimum: number, maximum: number): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^-?[0-9]+$/.test(trimmed) || value < minimum || value > maximum) {
    throw new CommandInputError(`${flag} must be a whole number from ${minimum} to ${maximum}, not "${text}"`);
  }
  return value;
}

function parseRunId(text: string): string {
  if (!UUID.test(text.trim())) throw new CommandInputError(`--run-id must be a UUID, e.g. ${randomUUID()}, not "${text}"`);
  return text.trim().toLowerCase();
}

/** An enum value, forgiving case and dashes: `rna-seq` is RNA_SEQ. */
function parseChoice<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  const value = text.trim().toUpperCase().replaceAll('-', '_');
  if (!(choices as readonly string[]).includes(value)) {
    throw new CommandInputError(`${flag} must be one of ${choices.join(', ')}, not "${text}"`);
  }
  return value as T;
}

function connect(options: CommonOptions): ApiClient {
  const retries = parseWholeNumber(options.retries, '--retries', 0, MAXIMUM_RETRIES);
  const { client } = loadConfig(process.env);
  return createApiClient({
    apiUrl: client.apiUrl,
    token: client.token,
    retries,
    onRetry: ({ attempt, retries: allowed, delayMilliseconds, reason }) =>
      say(`the API call did not go through (${reason}); retry ${attempt} of ${allowed} in ${(delayMilliseconds / 1000).toFixed(1)} s`),
  });
}

function printJson(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * Runs a command's action, turning local problems into exit code 2 and adding the API's
 * error code and the request id to its message (both help an operator find the call).
 */
function guarded<Arguments extends unknown[]>(action: (...args: Arguments) => Promise<void>) {
  return async (...args: Arguments): Promise<void> => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof LocalFileError || error instanceof SamplesheetError) throw new CommandInputError(error.message);
      if (error instanceof ApiError) {
        error.message = `${error.message} (${error.code}${error.requestId ? `, request id ${error.requestId}` : ''})`;
      }
      throw error;
    }
  };
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
async function writeFileAtomically(target: string, content: string): Promise<void> {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, content);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CommandInputError(`cannot write ${target}: ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------
// What the API returns

const RUN_FIELDS = `
  runId sampleId status assayType pipelineName pipelineVersion pipelineRevision executor exitCode
  inputs: files(filter: { role: { equalTo: INPUT } }) { totalCount }
  outputs: files(filter: { role: { equalTo: OUTPUT } }) { totalCount }`;

type RunNode = {
  runId: string;
  sampleId: string;
  status: string;
  assayType: string;
  pipelineName: string;
  pipelineVersion: string | null;
  pipelineRevision: string | null;
  executor: string | null;
  exitCode: number | null;
  inputs: { totalCount: number };
  outputs: { totalCount: number };
};

export type RunResult = Omit<RunNode, 'inputs' | 'outputs'> & { inputCount: number; outputCount: number };

function runResult(run: RunNode | null | undefined, runId: string): RunResult {
  if (!run) throw new ApiError('NOT_FOUND', `the API returned no run ${runId}`);
  const { inputs, outputs, ...fields } = run;
  return { ...fields, inputCount: inputs.totalCount, outputCount: outputs.totalCount };
}

// ---------------------------------------------------------------------------------------
// register-sample

const REGISTER_SAMPLE = `
  mutation RegisterSample($input: RegisterSampleInput!) {
    registerSample(input: $input) { sample { sampleId patientHash specimenType timepoint collectionYear } }
  }`;

type RegisterSampleOptions = CommonOptions & {
  sampleId: string;
  patientId: string;
  specimenType: string;
  timepoint?: string;
  collectionDate?: string;
};

const REGISTER_SAMPLE_HELP = `
The patient id is sent once, over HTTPS, and never printed: the server keeps only its keyed
pseudonym (patientHash, printed) and its ciphertext. Pass "-" to read it from stdin, which
keeps it out of the shell history and the process list.

Examples:
  seqmeta register-sample --sample-id SYN-S1 --patient-id - --specimen-type TUMOUR < patient-id.txt
  seqmeta register-sample --sample-id SYN-S2 --patient-id SYN-PAT-1 --specimen-type NORMAL \\
      --timepoint 0 --collection-date 2024-03-05 --json`;

async function registerSampleAction(options: RegisterSampleOptions): Promise<void> {
  const specimenType = parseChoice(options.specimenType, '--specimen-type', SPECIMEN_TYPES);
  const timepoint = options.timepoint === undefined ? null : parseWholeNumber(options.timepoint, '--timepoint', 0, 1_000_000);
  let patientId = options.patientId;
  if (patientId === '-') {
    if (process.stdin.isTTY) say('reading the patient id from stdin (end with Ctrl-D)');
    patientId = (await readStandardInput()).replace(/\r?\n$/, '');
  }
  if (patientId.trim() === '' || /[\r\n]/.test(patientId)) {
    throw new CommandInputError('--patient-id needs exactly one non-empty identifier (one line on stdin with "-")');
  }
  const client = connect(options);
  try {
    const data = await client.request<{ registerSample: { sample: Record<string, unknown> | null } | null }>(REGISTER_SAMPLE, {
      input: {
        sampleId: options.sampleId,
        patientId,
        specimenType,
        timepoint,
        collectionDate: options.collectionDate ?? null,
      },
    });
    const sample = data.registerSample?.sample;
    if (!sample) throw new ApiError('NOT_FOUND', `the API returned no sample ${options.sampleId}`);
    if (options.json) printJson(sample);
    say(`registered sample ${sample.sampleId} (${sample.specimenType}) of patient ${sample.patientHash}`);
  } catch (error) {
    // the server's messages never repeat the id; this makes sure of it
    if (error instanceof Error) error.message = error.message.replaceAll(patientId, '[patient id]');
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// register-run

const REGISTER_RUN = `
  mutation RegisterRun($input: RegisterRunInput!) { registerRun(input: $input) { run { ${RUN_FIELDS} } } }`;

type RegisterRunOptions = CommonOptions & {
  sampleId: string;
  assayType: string;
  pipelineName: string;
  pipelineVersion?: string;
  pipelineRevision?: string;
  runId?: string;
  input: string[];
  inputsJson?: string;
};

const inputFileSchema = z.object({
  uri: z.string().min(1),
  format: z.string().min(1).optional(),
  readNumber: z.union([z.literal(1), z.literal(2), z.null()]).optional(),
  sizeBytes: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/), z.null()]).optional(),
  md5: z.string().nullable().optional(),
  sha256: z.string().nullable().optional(),
});
// an array of files, or fetch-inputs' JSON ({ inputs: [...] }) to reuse another run's inputs
const inputsJsonSchema = z.union([z.array(inputFileSchema), z.object({ inputs: z.array(inputFileSchema) }).transform((value) => value.inputs)]);

type InputFileInput = { uri: string; format: string; readNumber: number | null; sizeBytes?: string | null; md5?: string | null; sha256?: string | null };

async function readInputsJson(source: string): Promise<InputFileInput[]> {
  let text: string;
  try {
    text = source === '-' ? await readStandardInput() : await readFile(source, 'utf8');
  } catch (error) {
    throw new CommandInputError(`--inputs-json ${source}: cannot be read (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CommandInputError(`--inputs-json ${source}: not JSON`);
  }
  const result = inputsJsonSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new CommandInputError(
      `--inputs-json ${source}: ${issue.path.join('.') || 'the document'}: ${issue.message} ` +
        '(expected [{ "uri": "s3://…", "format": "FASTQ", "readNumber": 1 }, …])',
    );
  }
  return result.data.map((file) => ({
    uri: file.uri,
    format: file.format?.toUpperCase() ?? guessFormat(file.uri),
    readNumber: file.readNumber === undefined ? (guessFormat(file.uri) === 'FASTQ' ? guessReadNumber(file.uri) : null) : file.readNumber,
    sizeBytes: file.sizeBytes === undefined || file.sizeBytes === null ? null : String(file.sizeBytes),
    md5: file.md5 ?? null,
    sha256: file.sha256 ?? null,
  }));
}

const REGISTER_RUN_HELP = `
Prints the run id on stdout (the whole run with --json), so a script can keep it:
  RUN_ID=$(seqmeta register-run --sample-id SYN-S1 --assay-type WGS --pipeline-name nf-core/sarek \\
      --input s3://lab/SYN-S1_R1.fastq.gz --input s3://lab/SYN-S1_R2.fastq.gz)

Formats are guessed from the names (FASTQ, BAM, CRAM, VCF…) and read numbers from FASTQ names
(…_R1_001.fastq.gz, …_2.fq.gz); --inputs-json gives them explicitly:
  [{ "uri": "s3://lab/a.fq.gz", "format": "FASTQ", "readNumber": 1, "md5": "…" }, …]

Without --run-id a new UUID is chosen before the first call, so the command's own retries are
safe; pass --run-id to make running the whole command again safe as well.`;

async function registerRunAction(options: RegisterRunOptions): Promise<void> {
  const assayType = parseChoice(options.assayType, '--assay-type', ASSAY_TYPES);
  // chosen here, before the first attempt: a retried call then finds the run it made
  const runId = options.runId === undefined ? randomUUID() : parseRunId(options.runId);
  const inputs: InputFileInput[] = options.input.map((uri) => {
    const format = guessFormat(uri);
    return { uri, format, readNumber: format === 'FASTQ' ? guessReadNumber(uri) : null };
  });
  if (options.inputsJson !== undefined) inputs.push(...(await readInputsJson(options.inputsJson)));
  const client = connect(options);
  const data = await client.request<{ registerRun: { run: RunNode | null } | null }>(REGISTER_RUN, {
    input: {
      runId,
      sampleId: options.sampleId,
      assayType,
      pipelineName: options.pipelineName,
      pipelineVersion: options.pipelineVersion ?? null,
      pipelineRevision: options.pipelineRevision ?? null,
      inputs,
    },
  });
  const run = runResult(data.registerRun?.run, runId);
  process.stdout.write(options.json ? `${JSON.stringify(run)}\n` : `${run.runId}\n`);
  say(`registered run ${run.runId} (${run.status}) of sample ${run.sampleId} with ${run.inputCount} input(s)`);
}

// ---------------------------------------------------------------------------------------
// start-run

const START_RUN = `
  mutation StartRun($input: StartRunInput!) { startRun(input: $input) { run { ${RUN_FIELDS} } } }`;

type StartRunOptions = CommonOptions & { runId: string; executor: string; sessionId?: string };

async function startRunAction(options: StartRunOptions): Promise<void> {
  const runId = parseRunId(options.runId);
  if (options.sessionId !== undefined && !UUID.test(options.sessionId)) {
    throw new CommandInputError(`--session-id must be a UUID (Nextflow's workflow.sessionId), not "${options.sessionId}"`);
  }
  const client = connect(options);
  const data = await client.request<{ startRun: { run: RunNode | null } | null }>(START_RUN, {
    input: { runId, executor: options.executor, nextflowSessionId: options.sessionId ?? null },
  });
  const run = runResult(data.startRun?.run, runId);
  if (options.json) printJson(run);
  say(`run ${run.runId} is ${run.status} (executor ${run.executor})`);
}

// ---------------------------------------------------------------------------------------
// fetch-inputs

const FETCH_INPUTS = `
  query FetchInputs($runId: UUID!, $after: Cursor) {
    run(runId: $runId) {
      runId sampleId status
      files(after: $after, filter: { role: { equalTo: INPUT } }, orderBy: [URI_ASC]) {
        pageInfo { hasNextPage endCursor }
        nodes { uri format readNumber sizeBytes md5 sha256 }
      }
    }
  }`;

type FetchedFile = { uri: string; format: string; readNumber: number | null; sizeBytes: string | null; md5: string | null; sha256: string | null };
type FetchedPage = {
  run: {
    runId: string;
    sampleId: string;
    status: string;
    files: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: FetchedFile[] };
  } | null;
};

export type RunInputs = { runId: string; sampleId: string; status: string; inputs: FetchedFile[] };

/** Every input of a run, page by page (the server's default page size, whatever it is). */
export async function fetchRunInputs(client: ApiClient, runId: string): Promise<RunInputs> {
  const inputs: FetchedFile[] = [];
  let after: string | null = null;
  for (;;) {
    const data: FetchedPage = await client.request<FetchedPage>(FETCH_INPUTS, { runId, after });
    if (!data.run) throw new ApiError('NOT_FOUND', `no run ${runId}`);
    inputs.push(...data.run.files.nodes);
    const { hasNextPage, endCursor } = data.run.files.pageInfo;
    if (!hasNextPage || endCursor === null) {
      return { runId: data.run.runId, sampleId: data.run.sampleId, status: data.run.status, inputs };
    }
    after = endCursor;
  }
}

type FetchInputsOptions = CommonOptions & { runId: string; format: string; out?: string };

const FETCH_INPUTS_HELP = `
--format samplesheet (default) writes the CSV nf-core pipelines read:
  sample,fastq_1,fastq_2    one row per pair of FASTQ (read 1, read 2), fastq_2 empty for single-end
  sample,file               one row per other input
  (a run with both kinds gets sample,fastq_1,fastq_2,file). file:// inputs are written as
  local paths, other URIs (s3://, gs://, https://…) as they are.
--format json writes { runId, sampleId, status, inputs: [{ uri, format, readNumber, sizeBytes, md5, sha256 }] }.

The document goes to --out (written whole, through a temporary file) or to stdout. With --out,
--json prints a summary on stdout. Reading needs a token with the read scope.

Examples:
  seqmeta fetch-inputs --run-id "$RUN_ID" --out samplesheet.csv
  seqmeta fetch-inputs --run-id "$RUN_ID" --format json > inputs.json`;

async function fetchInputsAction(options: FetchInputsOptions): Promise<void> {
  const runId = parseRunId(options.runId);
  const format = parseChoice(options.format, '--format', ['SAMPLESHEET', 'JSON'] as const);
  if (options.json && options.out === undefined && format === 'SAMPLESHEET') {
    throw new CommandInputError('--json prints JSON on stdout, where the samplesheet would go: add --out <file>, or use --format json');
  }
  const client = connect(options);
  const fetched = await fetchRunInputs(client, runId);
  const document = format === 'JSON' ? `${JSON.stringify(fetched)}\n` : buildSamplesheet(fetched.sampleId, fetched.inputs);
  if (options.out === undefined) {
    process.stdout.write(document);
  } else {
    await writeFileAtomically(options.out, document);
    if (options.json) {
      printJson({ runId: fetched.runId, sampleId: fetched.sampleId, status: fetched.status, format: format.toLowerCase(), out: options.out, inputCount: fetched.inputs.length });
    }
  }
  say(
    `${fetched.inputs.length} input(s) of run ${fetched.runId} (sample ${fetched.sampleId}, ${fetched.status})` +
      (options.out === undefined ? '' : ` written to ${options.out}`),
  );
}

// ---------------------------------------------------------------------------------------
// log-outputs

const LOG_RUN_OUTPUTS = `
  mutation LogRunOutputs($input: LogRunOutputsInput!) { logRunOutputs(input: $input) { fileCount run { ${RUN_FIELDS} } } }`;

type LogOutputsOptions = CommonOptions & { runId: string; uriPrefix?: string; format?: string; batchSize: string };

const LOG_OUTPUTS_HELP = `
Files are read once each to compute their size, sha256 and md5 (a progress bar on stderr for
large sets). Folders are expanded recursively, in name order, following symbolic links and
skipping names that start with a dot (Nextflow's .command.* files). Formats are guessed from
the names (.fastq.gz FASTQ, .bam BAM, .bai BAI, .cram CRAM, .crai CRAI, .vcf(.gz) VCF, .bcf BCF,
.tbi TBI, .bed BED, .html HTML, .json JSON, .txt TEXT, .tsv TSV, .csv CSV, else DATA) unless
--format says.

Each file is logged as file://<absolute path>, or with --uri-prefix as the prefix followed by
its path relative to the folder given (a file given directly: its name), for files that are
or will be copied there.

Each call to the API is atomic: all its files are logged or none. More files than --batch-size
go in several calls, each atomic and idempotent: if one fails, run the same command again; the
files already logged are recognised, not duplicated. Logging a file again with a different
checksum is a conflict (exit 4).

Examples:
  seqmeta log-outputs --run-id "$RUN_ID" results/
  seqmeta log-outputs --run-id "$RUN_ID" --uri-prefix "s3://lab/runs/$RUN_ID/" results/ --json`;

async function logOutputsAction(paths: string[], options: LogOutputsOptions): Promise<void> {
  const runId = parseRunId(options.runId);
  const batchSize = parseWholeNumber(options.batchSize, '--batch-size', 1, 100_000);
  if (options.format !== undefined && !/^[A-Za-z0-9_]{1,32}$/.test(options.format)) {
    throw new CommandInputError('--format must be letters, digits or _ (e.g. BAM, FASTQ, VCF)');
  }
  if (options.uriPrefix !== undefined && !/^[a-z][a-z0-9+.-]*:\/\/./i.test(options.uriPrefix)) {
    throw new CommandInputError(`--uri-prefix must be a URI such as s3://bucket/run-x/, not "${options.uriPrefix}"`);
  }
  const client = connect(options);
  // every checksum before the first call: a file that cannot be read stops the command with nothing logged
  const files = await describeOutputs(paths, { uriPrefix: options.uriPrefix ?? null, format: options.format ?? null });
  if (files.length === 0) throw new CommandInputError(`no files found in ${paths.join(', ')}`);

  const batches = inBatches(files, batchSize);
  let run: RunResult | null = null;
  let logged = 0;
  for (const [index, batch] of batches.entries()) {
    const data = await client.request<{ logRunOutputs: { fileCount: number; run: RunNode | null } | null }>(LOG_RUN_OUTPUTS, {
      input: { runId, files: batch },
    });
    run = runResult(data.logRunOutputs?.run, runId);
    logged += data.logRunOutputs?.fileCount ?? 0;
    if (batches.length > 1) say(`logged call ${index + 1} of ${batches.length} (${logged} of ${files.length} files)`);
  }
  if (options.json) printJson({ run, fileCount: logged, calls: batches.length, files });
  say(`logged ${logged} output(s) of run ${runId} (${run!.outputCount} in all) in ${batches.length} call(s)`);
}

// ---------------------------------------------------------------------------------------
// finish-run

const FINISH_RUN = `
  mutation FinishRun($input: FinishRunInput!) { finishRun(input: $input) { run { ${RUN_FIELDS} } } }`;

type FinishRunOptions = CommonOptions & { runId: string; status: string; exitCode?: string; message?: string };

async function finishRunAction(options: FinishRunOptions): Promise<void> {
  const runId = parseRunId(options.runId);
  const status = parseChoice(options.status, '--status', FINAL_STATUSES);
  const exitCode = options.exitCode === undefined ? null : parseWholeNumber(options.exitCode, '--exit-code', -2_147_483_648, 2_147_483_647);
  const client = connect(options);
  const data = await client.request<{ finishRun: { run: RunNode | null } | null }>(FINISH_RUN, {
    input: { runId, status, exitCode, message: options.message ?? null },
  });
  const run = runResult(data.finishRun?.run, runId);
  if (options.json) printJson(run);
  say(`run ${run.runId} is ${run.status}${run.exitCode === null ? '' : ` (exit code ${run.exitCode})`}`);
}

// ---------------------------------------------------------------------------------------

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerPipelineCommands(program: Command): void {
  withCommonOptions(
    program
      .command('register-sample')
      .description('register a sample and, if new, its patient (the patient id is pseudonymised by the server)')
      .requiredOption('--sample-id <id>', 'the sample id, e.g. SYN-S1')
      .requiredOption('--patient-id <id>', 'the patient identifier; "-" reads it from stdin')
      .requiredOption('--specimen-type <type>', SPECIMEN_TYPES.join(', '))
      .option('--timepoint <n>', 'visit number, 0 for the first (default 0)')
      .option('--collection-date <YYYY-MM-DD>', 'when the sample was taken; the API shows only the year')
      .addHelpText('after', REGISTER_SAMPLE_HELP),
  ).action(guarded(registerSampleAction));

  withCommonOptions(
    program
      .command('register-run')
      .description('register a run of a pipeline on a sample, in PENDING, with its input files')
      .requiredOption('--sample-id <id>', 'a registered sample')
      .requiredOption('--assay-type <type>', ASSAY_TYPES.join(', '))
      .requiredOption('--pipeline-name <name>', 'e.g. nf-core/sarek')
      .option('--pipeline-version <version>', 'e.g. 3.5.1')
      .option('--pipeline-revision <revision>', 'e.g. a git commit')
      .option('--run-id <uuid>', 'choose the run id (makes running the command again safe); a new UUID otherwise')
      .option('--input <uri>', 'an input file (repeatable)', collect, [] as string[])
      .option('--inputs-json <file>', 'a JSON array of input files ("-" for stdin)')
      .addHelpText('after', REGISTER_RUN_HELP),
  ).action(guarded(registerRunAction));

  withCommonOptions(
    program
      .command('start-run')
      .description('move a run from PENDING to RUNNING')
      .requiredOption('--run-id <uuid>', 'the run')
      .requiredOption('--executor <name>', 'where it runs, e.g. local, slurm, awsbatch, k8s')
      .option('--session-id <uuid>', "Nextflow's workflow.sessionId (the same on -resume, so starting again is safe)")
      .addHelpText('after', '\nExample:\n  seqmeta start-run --run-id "$RUN_ID" --executor slurm --session-id "$NXF_SESSION_ID"'),
  ).action(guarded(startRunAction));

  withCommonOptions(
    program
      .command('fetch-inputs')
      .description("write a run's input files as an nf-core samplesheet or JSON")
      .requiredOption('--run-id <uuid>', 'the run')
      .option('--format <format>', 'samplesheet or json', 'samplesheet')
      .option('--out <file>', 'write here instead of stdout')
      .addHelpText('after', FETCH_INPUTS_HELP),
  ).action(guarded(fetchInputsAction));

  withCommonOptions(
    program
      .command('log-outputs')
      .description("log a run's output files with their sizes and checksums")
      .argument('<paths...>', 'files and folders (folders are expanded recursively)')
      .requiredOption('--run-id <uuid>', 'the run (must be RUNNING)')
      .option('--uri-prefix <uri>', 'record files as <uri>/<path relative to the folder given> instead of file://…')
      .option('--format <format>', 'one format for every file instead of guessing from the names')
      .option('--batch-size <n>', 'most files per call (each call is atomic)', String(DEFAULT_BATCH_SIZE))
      .addHelpText('after', LOG_OUTPUTS_HELP),
  ).action(guarded(logOutputsAction));

  withCommonOptions(
    program
      .command('finish-run')
      .description('move a run from RUNNING to SUCCEEDED, FAILED or CANCELLED (final)')
      .requiredOption('--run-id <uuid>', 'the run')
      .requiredOption('--status <status>', FINAL_STATUSES.join(', '))
      .option('--exit-code <n>', "the pipeline's exit code")
      .option('--message <text>', 'what happened, for operators (never shown by the read API)')
      .addHelpText(
        'after',
        '\nExamples:\n  seqmeta finish-run --run-id "$RUN_ID" --status SUCCEEDED --exit-code 0\n' +
          '  seqmeta finish-run --run-id "$RUN_ID" --status FAILED --exit-code 1 --message "process ALIGN failed"',
      ),
  ).action(guarded(finishRunAction));
}
