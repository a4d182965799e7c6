// `npm run bench [-- --scale S|M --duration 15 --connections 8 --scenarios a,b,c,d]`
//
// One run measures, side by side on one dataset: the seqmeta server (production mode, a child
// process), plain PostGraphile over the same views (a child process), and the raw SQL the API
// sends, replayed through pg. Results go to bench/results/<scale>.{json,md,svg} and the
// scale's block of BENCHMARKS.md. `--check` renders those again from the JSON and compares.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Options } from './benchmark.ts';
import { checkReports, type ServerName } from './report.ts';
import { SCENARIO_IDS } from './scenarios.ts';

const projectDirectory = fileURLToPath(new URL('..', import.meta.url));
const reportFiles = {
  resultsDirectory: path.join(projectDirectory, 'bench', 'results'),
  benchmarksFile: path.join(projectDirectory, 'BENCHMARKS.md'),
};

const wholeNumber = (name: string, minimum: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${minimum}`);
  return parsed;
};

const listOf =
  <T extends string>(allowed: readonly T[]) =>
  (value: string): T[] => {
    const items = value.split(',').map((item) => item.trim()).filter(Boolean);
    const unknown = items.filter((item) => !allowed.includes(item as T));
    if (items.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`choose from ${allowed.join(', ')}`);
    return allowed.filter((item) => items.includes(item));
  };

const SERVER_OPTIONS = {
  seqmeta: 'seqmeta',
  'seqmeta-2-processes': 'seqmetaTwoProcesses',
  'seqmeta-pgbouncer': 'seqmetaPgbouncer',
  plain: 'plainPostgraphile',
  raw: 'rawSql',
} as const satisfies Record<string, ServerName>;
/** what a run measures unless --servers says otherwise: the scale-out variants are asked for */
const DEFAULT_SERVERS = ['seqmeta', 'plain', 'raw'] as const satisfies ReadonlyArray<keyof typeof SERVER_OPTIONS>;

const resultsName = (value: string) => {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(value)) {
    throw new InvalidArgumentError('lowercase letters, digits and hyphens, e.g. scale-out');
  }
  return value;
};

function parseOptions(argv: string[]): Options {
  const program = new Command('npm run bench --')
    .description('measure seqmeta against plain PostGraphile and the raw SQL, side by side')
    .addOption(new Option('--scale <scale>', 'dataset: S = 10k patients (~1 min to build), M = 100k (~10 min)').choices(['S', 'M']).default('S'))
    .option('--duration <seconds>', 'measured seconds per scenario, server and round', wholeNumber('--duration', 1), 8)
    .option('--rounds <n>', 'rounds per scenario, the servers in alternating order (A B C, C B A)', wholeNumber('--rounds', 1), 2)
    .option('--warm-up <seconds>', 'warm-up seconds before each measurement', wholeNumber('--warm-up', 0), 3)
    .option('--connections <n>', 'requests in flight', wholeNumber('--connections', 1), 8)
    .addOption(
      new Option('--scenarios <list>', 'a: sample page, b: run by id, c: grouped aggregates, d: logRunOutputs')
        .argParser(listOf(SCENARIO_IDS))
        .default([...SCENARIO_IDS], SCENARIO_IDS.join(',')),
    )
    .addOption(
      new Option(
        '--servers <list>',
        'seqmeta, seqmeta-2-processes (SEQMETA_WORKERS=2), seqmeta-pgbouncer (both pools through PgBouncer, transaction pooling; needs Debian\'s pgbouncer), plain (PostGraphile), raw (SQL through pg)',
      )
        .argParser((value: string) =>
          listOf(Object.keys(SERVER_OPTIONS) as Array<keyof typeof SERVER_OPTIONS>)(value).map((name) => SERVER_OPTIONS[name]),
        )
        .default(DEFAULT_SERVERS.map((name) => SERVER_OPTIONS[name]) as ServerName[], DEFAULT_SERVERS.join(',')),
    )
    .option('--admin-url <url>', 'a superuser login on an existing server instead of the embedded cluster')
    .option('--workers <n>', 'API processes of the seqmeta server (SEQMETA_WORKERS)', wholeNumber('--workers', 1), 1)
    .option('--api-pool-size <n>', 'frontend_api pool per API process (seqmeta, plain PostGraphile and raw SQL)', wholeNumber('--api-pool-size', 1), 10)
    .option('--etl-pool-size <n>', 'etl_worker pool per API process (and the raw INSERT)', wholeNumber('--etl-pool-size', 1), 5)
    .option('--experiment <name>', 'write to .seqmeta/bench-experiments/<name>.json instead of bench/results and BENCHMARKS.md')
    .option('--results-name <name>', 'write bench/results/<name>-<scale>.* and a block of its own in BENCHMARKS.md, beside the scale\'s results (e.g. scale-out)', resultsName)
    .option('--setup-sql <file>', 'with --experiment: SQL run as the owner on this run\'s copy first (try an index before writing its migration)')
    .option('--cpu-profile', 'run the seqmeta server with node --cpu-prof and print where its time went', false)
    .option('--check', 'render bench/results/*.md, *.svg and BENCHMARKS.md again from the JSON and compare', false)
    .addHelpText('after', '\nThe embedded cluster and its dataset are kept in .seqmeta/bench-<scale>/ and reused.');
  program.parse(argv, { from: 'user' });
  const options = program.opts<Options>();
  // committed results always measure the schema the migrations make
  if (options.setupSql && !options.experiment) program.error('--setup-sql needs --experiment');
  return options;
}

const options = parseOptions(process.argv.slice(2));
if (options.check) {
  const problems = await checkReports(reportFiles);
  if (problems.length > 0) {
    process.stderr.write(`bench results out of date:\n${problems.map((problem) => `- ${problem}`).join('\n')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write('bench results match their JSON\n');
  }
} else {
  // imported only to run: loading PostGraphile is what --check does not need
  const { runBenchmark } = await import('./benchmark.ts');
  await runBenchmark(options, { projectDirectory, reportFiles });
}
