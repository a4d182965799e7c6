// The benchmark's results: one JSON file per scale is the record; the Markdown table, the
// SVG chart and the block of BENCHMARKS.md are rendered from it alone, so that
// `npm run bench -- --check` can render them again and compare (STYLE.md: every committed
// generated artifact has a script that regenerates and compares it).
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadResult } from './load.ts';

export const SERVERS = ['seqmeta', 'seqmetaTwoProcesses', 'seqmetaPgbouncer', 'plainPostgraphile', 'rawSql'] as const;
export type ServerName = (typeof SERVERS)[number];

/** seqmeta deployed otherwise (issue 8, scale-out): compared with seqmeta as `npm start` runs it */
const SEQMETA_VARIANTS = ['seqmetaTwoProcesses', 'seqmetaPgbouncer'] as const satisfies readonly ServerName[];
const isSeqmeta = (server: ServerName) => server === 'seqmeta' || (SEQMETA_VARIANTS as readonly ServerName[]).includes(server);

export const SERVER_LABELS: Record<ServerName, string> = {
  seqmeta: 'seqmeta',
  seqmetaTwoProcesses: 'seqmeta, 2 processes',
  seqmetaPgbouncer: 'seqmeta via PgBouncer',
  plainPostgraphile: 'plain PostGraphile',
  rawSql: 'raw SQL (pg)',
};

export type Measurement = LoadResult & {
  /** user + system CPU of the server's processes per request; null for raw SQL (no server) */
  apiCpuMillisecondsPerRequest: number | null;
  /** CPU of all the cluster's processes per request; null when the server is not on this machine */
  databaseCpuMillisecondsPerRequest: number | null;
  /** peak RSS of the largest server process during the measurement (VmHWM) */
  peakRssMegabytes: number | null;
  /** rows written per second (d) */
  rowsPerSecond: number | null;
};

export type ScenarioResult = {
  id: 'a' | 'b' | 'c' | 'd';
  title: string;
  /** SQL statements one request sends, counted in-process (d: both pools) */
  statementsPerRequest: Partial<Record<ServerName, number>>;
  /** whether seqmeta sent the same SQL text as plain PostGraphile (a-c) */
  sameSqlAsPlain: boolean | null;
  measurements: Partial<Record<ServerName, Measurement>>;
};

export type BenchResults = {
  version: 1;
  scale: 'S' | 'M';
  /** results kept beside the scale's own (`--results-name`): bench/results/<name>-<scale>.*; absent for <scale>.* */
  resultsName?: string;
  /** ISO time the run started */
  startedAt: string;
  commit: string;
  /** whether the working tree had uncommitted changes */
  uncommittedChanges: boolean;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGigabytes: number;
    node: string;
    postgres: string;
    /** 1-minute load average before and after the run */
    loadAverageBefore: number;
    loadAverageAfter: number;
  };
  dataset: {
    patients: number;
    samples: number;
    runs: number;
    files: number;
    seed: number;
    loadSeconds: number;
    location: string;
  };
  settings: {
    connections: number;
    /** measured seconds per scenario, server and round */
    durationSeconds: number;
    /** rounds per scenario, alternating the servers' order; absent in results from before rounds */
    rounds?: number;
    warmUpSeconds: number;
    apiPoolSize: number;
    workers: number;
    samplePageSize: number;
    filesPerCall: number;
    /** experiments only: SQL run on the run's copy before measuring */
    setupSql?: string;
    /** the PgBouncer of the seqmetaPgbouncer row, when measured */
    pgbouncer?: { version: string; poolSize: number };
  };
  /** statements of scenario a's document at page sizes 5 and 100 (target: equal) */
  statementsByPageSize: { pageSize5: number; pageSize100: number } | null;
  scenarios: ScenarioResult[];
};

export type TargetStatus = 'met' | 'not met' | 'not measured';
export type TargetCheck = { target: string; measured: string; status: TargetStatus };

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** 12345.6 -> "12,346"; fixed format whatever the machine's locale */
export function formatNumber(value: number, digits = 0): string {
  const [whole, fraction] = Math.abs(value).toFixed(digits).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`;
}

const formatRatio = (ratio: number) => `${ratio.toFixed(2)}×`;
const orDash = (value: number | null | undefined, digits = 1) => (value === null || value === undefined ? '–' : formatNumber(value, digits));

function scenario(results: BenchResults, id: ScenarioResult['id']) {
  return results.scenarios.find((candidate) => candidate.id === id);
}

function ratio(results: BenchResults, id: ScenarioResult['id'], over: ServerName): number | null {
  const measurements = scenario(results, id)?.measurements;
  const mine = measurements?.seqmeta?.requestsPerSecond;
  const theirs = measurements?.[over]?.requestsPerSecond;
  return mine !== undefined && theirs ? mine / theirs : null;
}

function checkAtLeast(target: string, value: number | null, minimum: number, describe: (value: number) => string): TargetCheck {
  if (value === null) return { target, measured: '–', status: 'not measured' };
  return { target, measured: describe(value), status: value >= minimum ? 'met' : 'not met' };
}

/**
 * Issue 6's targets, each met or not as measured. `scaleS` (the scale S results) is needed
 * for the one that compares scale M with scale S.
 */
export function evaluateTargets(results: BenchResults, scaleS: BenchResults | null = null): TargetCheck[] {
  const checks: TargetCheck[] = [];
  checks.push(checkAtLeast('(a) ≥ 0.5 × raw-SQL throughput', ratio(results, 'a', 'rawSql'), 0.5, formatRatio));
  checks.push(checkAtLeast('(a) ≥ 1.0 × plain PostGraphile throughput', ratio(results, 'a', 'plainPostgraphile'), 1.0, formatRatio));

  const pages = results.statementsByPageSize;
  checks.push(
    pages === null
      ? { target: 'statements per request the same at page size 5 and 100', measured: '–', status: 'not measured' }
      : {
          target: 'statements per request the same at page size 5 and 100',
          measured: `${pages.pageSize5} and ${pages.pageSize100}`,
          status: pages.pageSize5 === pages.pageSize100 ? 'met' : 'not met',
        },
  );

  const ingestRows = scenario(results, 'd')?.measurements.seqmeta?.rowsPerSecond ?? null;
  checks.push(checkAtLeast('(d) ≥ 20,000 file rows/s through the API', ingestRows, 20_000, (rows) => `${formatNumber(rows)} rows/s`));
  checks.push(checkAtLeast('(d) ≥ 0.5 × the raw INSERT', ratio(results, 'd', 'rawSql'), 0.5, formatRatio));

  const pageTarget = 'scale M: p50 of (a) ≤ 1.3 × its p50 at scale S';
  const p50 = scenario(results, 'a')?.measurements.seqmeta?.latencyMilliseconds.p50;
  const p50AtS = scaleS ? scenario(scaleS, 'a')?.measurements.seqmeta?.latencyMilliseconds.p50 : undefined;
  if (results.scale !== 'M' || p50 === undefined || !p50AtS) {
    checks.push({ target: pageTarget, measured: results.scale === 'M' ? 'no scale S results' : 'measured by a scale M run', status: 'not measured' });
  } else {
    const growth = p50 / p50AtS;
    checks.push({
      target: pageTarget,
      measured: `${formatNumber(p50, 1)} ms vs ${formatNumber(p50AtS, 1)} ms: ${formatRatio(growth)}`,
      status: growth <= 1.3 ? 'met' : 'not met',
    });
  }

  const rss = results.scenarios
    .map((entry) => entry.measurements.seqmeta?.peakRssMegabytes)
    .filter((value): value is number => typeof value === 'number');
  const peak = rss.length > 0 ? Math.max(...rss) : null;
  checks.push(
    peak === null
      ? { target: 'API RSS < 400 MB under load', measured: '–', status: 'not measured' }
      : { target: 'API RSS < 400 MB under load', measured: `${formatNumber(peak)} MB peak`, status: peak < 400 ? 'met' : 'not met' },
  );
  return checks;
}

function loadShape(settings: BenchResults['settings']): string {
  const rounds = settings.rounds ?? 1;
  return rounds === 1
    ? `${settings.durationSeconds} s per measurement`
    : `${rounds} rounds of ${settings.durationSeconds} s per server, in alternating order (A B C, C B A)`;
}

/** `S`, `M`, or `<results name>-<scale>`: the results' file name without extension, and their block's name. */
export function resultsBaseName(results: Pick<BenchResults, 'scale' | 'resultsName'>): string {
  return results.resultsName ? `${results.resultsName}-${results.scale}` : results.scale;
}

/** What the seqmeta variants are, for the note under the table; empty without them. */
function variantNotes(results: BenchResults, variants: readonly ServerName[]): string[] {
  const notes: string[] = [];
  if (variants.includes('seqmetaTwoProcesses')) {
    notes.push(
      `${SERVER_LABELS.seqmetaTwoProcesses}: the same server with \`SEQMETA_WORKERS=2\` (node:cluster: the primary hands connections to two workers, each with its own pools); its API CPU is the primary's and both workers', its peak RSS the largest process's.`,
    );
  }
  if (variants.includes('seqmetaPgbouncer')) {
    const pgbouncer = results.settings.pgbouncer;
    notes.push(
      `${SERVER_LABELS.seqmetaPgbouncer}: the same server, one process, with both pools through PgBouncer${pgbouncer ? ` (${pgbouncer.version}, \`pool_mode = transaction\`, \`default_pool_size = ${pgbouncer.poolSize}\`)` : ''} and \`SEQMETA_TRANSACTION_POOLING=true\`: each read runs in a transaction of its own that first sets the read's \`statement_timeout\` (begin, set_config, the statement, commit: its SQL/req counts all four), statements are sent unnamed (no prepared statements), and its DB CPU includes PgBouncer's process.`,
    );
  }
  return notes.length === 0 ? [] : ['', `× seqmeta: the throughput of a variant over seqmeta's (one process, straight to Postgres), measured side by side. ${notes.join(' ')}`];
}

/** The part shared by bench/results/<scale>.md and the block of BENCHMARKS.md. */
export function renderSummary(results: BenchResults, scaleS: BenchResults | null = null): string {
  const { machine, dataset, settings } = results;
  const variants = SEQMETA_VARIANTS.filter((server) => results.scenarios.some((entry) => entry.measurements[server]));
  const busy = machine.loadAverageBefore > machine.cpus * 0.5 || machine.loadAverageAfter > machine.cpus * 0.5;
  const lines: string[] = [];
  lines.push(
    `Commit \`${results.commit}\`${results.uncommittedChanges ? ' with uncommitted changes' : ''}, run ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `- Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${formatNumber(machine.memoryGigabytes, 1)} GB memory, Node ${machine.node}, PostgreSQL ${machine.postgres} (${dataset.location}).`,
    `- Load average (1 min) ${machine.loadAverageBefore.toFixed(2)} before, ${machine.loadAverageAfter.toFixed(2)} after${
      busy ? ': **a busy machine** (other work was running), so absolute figures are noisy; the ratios were measured side by side' : ''
    }.`,
    `- Dataset: scale ${results.scale}, ${formatNumber(dataset.patients)} patients, ${formatNumber(dataset.samples)} samples, ${formatNumber(dataset.runs)} runs, ${formatNumber(dataset.files)} files (seed ${dataset.seed}; loaded in ${formatNumber(dataset.loadSeconds, 1)} s).`,
    `- Load: ${settings.connections} connections, ${loadShape(settings)} after a ${settings.warmUpSeconds} s warm-up; API pool ${settings.apiPoolSize}, ${settings.workers} API process${settings.workers === 1 ? '' : 'es'}; pages of ${settings.samplePageSize}, ${formatNumber(settings.filesPerCall)} files per logRunOutputs${
      settings.setupSql ? `; after running ${settings.setupSql} on the copy` : ''
    }.`,
    '',
    `| scenario | server | req/s | × raw SQL | × plain |${variants.length > 0 ? ' × seqmeta |' : ''} p50 ms | p95 ms | p99 ms | SQL/req | API CPU ms/req | DB CPU ms/req | peak RSS MB | errors |`,
    `|---|---|--:|--:|--:|${variants.length > 0 ? '--:|' : ''}--:|--:|--:|--:|--:|--:|--:|--:|`,
  );
  for (const entry of results.scenarios) {
    for (const server of SERVERS) {
      const measurement = entry.measurements[server];
      if (!measurement) continue;
      const raw = entry.measurements.rawSql?.requestsPerSecond;
      const plain = entry.measurements.plainPostgraphile?.requestsPerSecond;
      const seqmeta = entry.measurements.seqmeta?.requestsPerSecond;
      const throughput =
        measurement.rowsPerSecond === null
          ? formatNumber(measurement.requestsPerSecond, 1)
          : `${formatNumber(measurement.requestsPerSecond, 1)} (${formatNumber(measurement.rowsPerSecond)} rows/s)`;
      lines.push(
        [
          '',
          `(${entry.id}) ${entry.title}`,
          SERVER_LABELS[server],
          throughput,
          server === 'rawSql' || !raw ? '' : formatRatio(measurement.requestsPerSecond / raw),
          !isSeqmeta(server) || !plain ? '' : formatRatio(measurement.requestsPerSecond / plain),
          ...(variants.length === 0 ? [] : [server === 'seqmeta' || !isSeqmeta(server) || !seqmeta ? '' : formatRatio(measurement.requestsPerSecond / seqmeta)]),
          formatNumber(measurement.latencyMilliseconds.p50, 1),
          formatNumber(measurement.latencyMilliseconds.p95, 1),
          formatNumber(measurement.latencyMilliseconds.p99, 1),
          orDash(entry.statementsPerRequest[server], 0),
          orDash(measurement.apiCpuMillisecondsPerRequest, 2),
          orDash(measurement.databaseCpuMillisecondsPerRequest, 2),
          orDash(measurement.peakRssMegabytes, 0),
          String(measurement.errors),
          '',
        ].join(' | ').trim(),
      );
    }
  }
  const sameSql = results.scenarios.filter((entry) => entry.sameSqlAsPlain !== null);
  if (sameSql.length > 0) {
    lines.push(
      '',
      `Same SQL as plain PostGraphile: ${sameSql.map((entry) => `(${entry.id}) ${entry.sameSqlAsPlain ? 'yes' : 'no'}`).join(', ')}. ` +
        'Raw SQL replays the statements the API sent (same text, parameters and prepared-statement names) through pg at the same concurrency; for (d) it is one multi-row INSERT of the same 1,000 files.',
    );
  }
  lines.push(...variantNotes(results, variants));
  lines.push('', '| target (issue 6) | measured | status |', '|---|---|---|');
  for (const check of evaluateTargets(results, scaleS)) {
    lines.push(`| ${check.target} | ${check.measured} | ${check.status === 'met' ? 'met' : check.status === 'not met' ? '**not met**' : 'not measured'} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderMarkdown(results: BenchResults, scaleS: BenchResults | null = null): string {
  const base = resultsBaseName(results);
  return [
    `# Benchmark results, scale ${results.scale}${results.resultsName ? ` (${results.resultsName})` : ''}`,
    '',
    `<!-- generated by \`npm run bench -- --scale ${results.scale}${results.resultsName ? ` --results-name ${results.resultsName}` : ''}\` from ${base}.json; \`npm run bench -- --check\` compares -->`,
    '',
    `![requests per second](${base}.svg)`,
    '',
    renderSummary(results, scaleS),
  ].join('\n');
}

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const BAR_COLOURS: Record<ServerName, string> = {
  seqmeta: '#2b6cb0',
  seqmetaTwoProcesses: '#63b3ed',
  seqmetaPgbouncer: '#805ad5',
  plainPostgraphile: '#a0aec0',
  rawSql: '#38a169',
};

/** Requests per second, one panel per scenario (each with its own scale: they differ a hundredfold). */
export function renderSvg(results: BenchResults): string {
  // the servers measured, three to a legend row
  const shown = SERVERS.filter((server) => results.scenarios.some((entry) => entry.measurements[server]));
  const legendRows = Math.max(1, Math.ceil(shown.length / 3));
  const barWidth = 50;
  const panelWidth = Math.max(230, 40 + shown.length * (barWidth + 12));
  const panelHeight = 200;
  const top = 60 + (legendRows - 1) * 16;
  const width = Math.max(1, results.scenarios.length) * panelWidth + 20;
  const height = top + panelHeight + 70;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Requests per second, scale ${results.scale} (${results.settings.connections} connections, commit ${escapeXml(results.commit)})</text>`,
  ];
  shown.forEach((server, index) => {
    const x = 10 + (index % 3) * 170;
    const y = 34 + Math.floor(index / 3) * 16;
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${BAR_COLOURS[server]}"/>`);
    parts.push(`<text x="${x + 17}" y="${y + 10}">${escapeXml(SERVER_LABELS[server])}</text>`);
  });
  results.scenarios.forEach((entry, panel) => {
    const left = 10 + panel * panelWidth;
    const values = shown.map((server) => entry.measurements[server]?.requestsPerSecond ?? null);
    const maximum = Math.max(1, ...values.map((value) => value ?? 0));
    const baseline = top + panelHeight;
    parts.push(`<line x1="${left}" y1="${baseline}" x2="${left + panelWidth - 20}" y2="${baseline}" stroke="#4a5568"/>`);
    shown.forEach((server, index) => {
      const value = values[index];
      if (value === null || value === undefined) return;
      const barHeight = round((value / maximum) * (panelHeight - 20), 1);
      const x = left + 10 + index * (barWidth + 12);
      parts.push(`<rect x="${x}" y="${round(baseline - barHeight, 1)}" width="${barWidth}" height="${barHeight}" fill="${BAR_COLOURS[server]}"/>`);
      parts.push(`<text x="${x + barWidth / 2}" y="${round(baseline - barHeight - 4, 1)}" text-anchor="middle">${formatNumber(value, value < 100 ? 1 : 0)}</text>`);
    });
    parts.push(`<text x="${left + (panelWidth - 20) / 2}" y="${baseline + 18}" text-anchor="middle" font-weight="bold">(${entry.id})</text>`);
    const words = entry.title.split(' ');
    const half = Math.ceil(words.length / 2);
    [words.slice(0, half).join(' '), words.slice(half).join(' ')].forEach((line, row) => {
      parts.push(`<text x="${left + (panelWidth - 20) / 2}" y="${baseline + 34 + row * 14}" text-anchor="middle" fill="#4a5568">${escapeXml(line)}</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

// named by the results' base name: S, M, or <results name>-<scale>
const blockStart = (name: string) => `<!-- bench-results:${name} -->`;
const blockEnd = (name: string) => `<!-- /bench-results:${name} -->`;

/** The block of BENCHMARKS.md for one scale, markers included. */
export function renderBenchmarksBlock(results: BenchResults, scaleS: BenchResults | null = null): string {
  return [
    blockStart(resultsBaseName(results)),
    `<!-- generated from bench/results/${resultsBaseName(results)}.json by \`npm run bench\`; edit outside these markers -->`,
    '',
    `![requests per second, scale ${results.scale}](bench/results/${resultsBaseName(results)}.svg)`,
    '',
    renderSummary(results, scaleS).trimEnd(),
    blockEnd(resultsBaseName(results)),
  ].join('\n');
}

/** `document` with the block of `results` replaced (or appended when it has none). */
export function replaceBenchmarksBlock(document: string, results: BenchResults, scaleS: BenchResults | null = null): string {
  const block = renderBenchmarksBlock(results, scaleS);
  const name = resultsBaseName(results);
  const start = document.indexOf(blockStart(name));
  const end = document.indexOf(blockEnd(name));
  if (start === -1 || end === -1 || end < start) {
    return `${document.trimEnd()}\n\n## Scale ${results.scale}${results.resultsName ? ` (${results.resultsName})` : ''}\n\n${block}\n`;
  }
  return document.slice(0, start) + block + document.slice(end + blockEnd(name).length);
}

/** The block named `name` (S, M, <results name>-<scale>) as it stands in `document`, or null. */
export function currentBenchmarksBlock(document: string, name: string): string | null {
  const start = document.indexOf(blockStart(name));
  const end = document.indexOf(blockEnd(name));
  if (start === -1 || end === -1 || end < start) return null;
  return document.slice(start, end + blockEnd(name).length);
}

export type ReportFiles = {
  /** bench/results */
  resultsDirectory: string;
  /** BENCHMARKS.md */
  benchmarksFile: string;
};

async function readResults(file: string): Promise<BenchResults | null> {
  if (!existsSync(file)) return null;
  return JSON.parse(await readFile(file, 'utf8')) as BenchResults;
}

/** Scale S's results, the reference of scale M's p50 target. */
async function scaleSOf(results: BenchResults, files: ReportFiles): Promise<BenchResults | null> {
  return results.scale === 'M' ? readResults(path.join(files.resultsDirectory, 'S.json')) : null;
}

async function renderFiles(results: BenchResults, files: ReportFiles): Promise<void> {
  const base = path.join(files.resultsDirectory, resultsBaseName(results));
  const scaleS = await scaleSOf(results, files);
  await writeFile(`${base}.md`, renderMarkdown(results, scaleS));
  await writeFile(`${base}.svg`, renderSvg(results));
  const document = existsSync(files.benchmarksFile) ? await readFile(files.benchmarksFile, 'utf8') : '# Benchmarks\n';
  await writeFile(files.benchmarksFile, replaceBenchmarksBlock(document, results, scaleS));
}

// S.json, M.json, <results name>-S.json…; other files of the folder (e.g. soak.json) are not these
const RESULTS_FILE = /^([a-z0-9][a-z0-9-]*-)?[SM]\.json$/;

/** Every results file in the folder: S, then M, then named results by name. */
async function allResults(files: ReportFiles): Promise<Array<{ file: string; results: BenchResults }>> {
  const names = existsSync(files.resultsDirectory) ? (await readdir(files.resultsDirectory)).filter((name) => RESULTS_FILE.test(name)) : [];
  const order = (name: string) => (name === 'S.json' ? 0 : name === 'M.json' ? 1 : 2);
  names.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const found: Array<{ file: string; results: BenchResults }> = [];
  for (const name of names) found.push({ file: name, results: (await readResults(path.join(files.resultsDirectory, name)))! });
  return found;
}

/**
 * Writes <base>.json, .md and .svg (base: the scale, or <results name>-<scale>), and their
 * block of BENCHMARKS.md. New scale S results also change every scale M file (their p50
 * target compares with S.json): those are rendered again.
 */
export async function writeReports(results: BenchResults, files: ReportFiles): Promise<void> {
  await mkdir(files.resultsDirectory, { recursive: true });
  await writeFile(path.join(files.resultsDirectory, `${resultsBaseName(results)}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await renderFiles(results, files);
  if (results.scale === 'S' && !results.resultsName) {
    for (const other of await allResults(files)) if (other.results.scale === 'M') await renderFiles(other.results, files);
  }
}

/**
 * Renders every scale's files again from its JSON and lists each file (or BENCHMARKS.md
 * block) that differs from what is on disk; empty when all match.
 */
export async function checkReports(files: ReportFiles): Promise<string[]> {
  const problems: string[] = [];
  const benchmarks = existsSync(files.benchmarksFile) ? await readFile(files.benchmarksFile, 'utf8') : null;
  const found = await allResults(files);
  for (const { file: jsonFile, results } of found) {
    const base = resultsBaseName(results);
    if (jsonFile !== `${base}.json`) {
      problems.push(`${jsonFile} holds the results of ${base}.json: rename it`);
      continue;
    }
    const scaleS = await scaleSOf(results, files);
    const expected: Array<[string, string]> = [
      [`${base}.md`, renderMarkdown(results, scaleS)],
      [`${base}.svg`, renderSvg(results)],
    ];
    for (const [name, content] of expected) {
      const file = path.join(files.resultsDirectory, name);
      const actual = existsSync(file) ? await readFile(file, 'utf8') : null;
      if (actual === null) problems.push(`${name} is missing`);
      else if (actual !== content) problems.push(`${name} differs from what ${jsonFile} renders`);
    }
    const block = base === results.scale ? `scale ${base}` : base;
    if (benchmarks === null) {
      problems.push(`${path.basename(files.benchmarksFile)} is missing`);
    } else if (currentBenchmarksBlock(benchmarks, base) !== renderBenchmarksBlock(results, scaleS)) {
      problems.push(`the ${block} block of ${path.basename(files.benchmarksFile)} differs from what ${jsonFile} renders`);
    }
  }
  if (found.length === 0) problems.push(`no results in ${files.resultsDirectory} (run \`npm run bench\` first)`);
  return problems;
}
