// The benchmark's results: one JSON file per scale is the record; the Markdown table, the
// SVG chart and the block of BENCHMARKS.md are rendered from it alone, so that
// `npm run bench -- --check` can render them again and compare (STYLE.md: every committed
// generated artifact has a script that regenerates and compares it).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadResult } from './load.ts';

export const SERVERS = ['seqmeta', 'plainPostgraphile', 'rawSql'] as const;
export type ServerName = (typeof SERVERS)[number];

export const SERVER_LABELS: Record<ServerName, string> = {
  seqmeta: 'seqmeta',
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

/** The part shared by bench/results/<scale>.md and the block of BENCHMARKS.md. */
export function renderSummary(results: BenchResults, scaleS: BenchResults | null = null): string {
  const { machine, dataset, settings } = results;
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
    '| scenario | server | req/s | × raw SQL | × plain | p50 ms | p95 ms | p99 ms | SQL/req | API CPU ms/req | DB CPU ms/req | peak RSS MB | errors |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const entry of results.scenarios) {
    for (const server of SERVERS) {
      const measurement = entry.measurements[server];
      if (!measurement) continue;
      const raw = entry.measurements.rawSql?.requestsPerSecond;
      const plain = entry.measurements.plainPostgraphile?.requestsPerSecond;
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
          server !== 'seqmeta' || !plain ? '' : formatRatio(measurement.requestsPerSecond / plain),
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
  lines.push('', '| target (issue 6) | measured | status |', '|---|---|---|');
  for (const check of evaluateTargets(results, scaleS)) {
    lines.push(`| ${check.target} | ${check.measured} | ${check.status === 'met' ? 'met' : check.status === 'not met' ? '**not met**' : 'not measured'} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderMarkdown(results: BenchResults, scaleS: BenchResults | null = null): string {
  return [
    `# Benchmark results, scale ${results.scale}`,
    '',
    `<!-- generated by \`npm run bench -- --scale ${results.scale}\` from ${results.scale}.json; \`npm run bench -- --check\` compares -->`,
    '',
    `![requests per second](${results.scale}.svg)`,
    '',
    renderSummary(results, scaleS),
  ].join('\n');
}

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const BAR_COLOURS: Record<ServerName, string> = { seqmeta: '#2b6cb0', plainPostgraphile: '#a0aec0', rawSql: '#38a169' };

/** Requests per second, one panel per scenario (each with its own scale: they differ a hundredfold). */
export function renderSvg(results: BenchResults): string {
  const panelWidth = 230;
  const panelHeight = 200;
  const top = 60;
  const barWidth = 50;
  const width = Math.max(1, results.scenarios.length) * panelWidth + 20;
  const height = top + panelHeight + 70;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Requests per second, scale ${results.scale} (${results.settings.connections} connections, commit ${escapeXml(results.commit)})</text>`,
  ];
  SERVERS.forEach((server, index) => {
    const x = 10 + index * 170;
    parts.push(`<rect x="${x}" y="34" width="12" height="12" fill="${BAR_COLOURS[server]}"/>`);
    parts.push(`<text x="${x + 17}" y="44">${escapeXml(SERVER_LABELS[server])}</text>`);
  });
  results.scenarios.forEach((entry, panel) => {
    const left = 10 + panel * panelWidth;
    const values = SERVERS.map((server) => entry.measurements[server]?.requestsPerSecond ?? null);
    const maximum = Math.max(1, ...values.map((value) => value ?? 0));
    const baseline = top + panelHeight;
    parts.push(`<line x1="${left}" y1="${baseline}" x2="${left + panelWidth - 20}" y2="${baseline}" stroke="#4a5568"/>`);
    SERVERS.forEach((server, index) => {
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

const blockStart = (scale: string) => `<!-- bench-results:${scale} -->`;
const blockEnd = (scale: string) => `<!-- /bench-results:${scale} -->`;

/** The block of BENCHMARKS.md for one scale, markers included. */
export function renderBenchmarksBlock(results: BenchResults, scaleS: BenchResults | null = null): string {
  return [
    blockStart(results.scale),
    `<!-- generated from bench/results/${results.scale}.json by \`npm run bench\`; edit outside these markers -->`,
    '',
    `![requests per second, scale ${results.scale}](bench/results/${results.scale}.svg)`,
    '',
    renderSummary(results, scaleS).trimEnd(),
    blockEnd(results.scale),
  ].join('\n');
}

/** `document` with the block of `results.scale` replaced (or appended when it has none). */
export function replaceBenchmarksBlock(document: string, results: BenchResults, scaleS: BenchResults | null = null): string {
  const block = renderBenchmarksBlock(results, scaleS);
  const start = document.indexOf(blockStart(results.scale));
  const end = document.indexOf(blockEnd(results.scale));
  if (start === -1 || end === -1 || end < start) {
    return `${document.trimEnd()}\n\n## Scale ${results.scale}\n\n${block}\n`;
  }
  return document.slice(0, start) + block + document.slice(end + blockEnd(results.scale).length);
}

/** The block of `scale` as it stands in `document`, or null. */
export function currentBenchmarksBlock(document: string, scale: string): string | null {
  const start = document.indexOf(blockStart(scale));
  const end = document.indexOf(blockEnd(scale));
  if (start === -1 || end === -1 || end < start) return null;
  return document.slice(start, end + blockEnd(scale).length);
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
  const base = path.join(files.resultsDirectory, results.scale);
  const scaleS = await scaleSOf(results, files);
  await writeFile(`${base}.md`, renderMarkdown(results, scaleS));
  await writeFile(`${base}.svg`, renderSvg(results));
  const document = existsSync(files.benchmarksFile) ? await readFile(files.benchmarksFile, 'utf8') : '# Benchmarks\n';
  await writeFile(files.benchmarksFile, replaceBenchmarksBlock(document, results, scaleS));
}

/**
 * Writes <scale>.json, .md and .svg, and the scale's block of BENCHMARKS.md. New scale S
 * results also change scale M's files (its p50 target compares with S): those are rendered again.
 */
export async function writeReports(results: BenchResults, files: ReportFiles): Promise<void> {
  await mkdir(files.resultsDirectory, { recursive: true });
  await writeFile(path.join(files.resultsDirectory, `${results.scale}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await renderFiles(results, files);
  const scaleM = results.scale === 'S' ? await readResults(path.join(files.resultsDirectory, 'M.json')) : null;
  if (scaleM !== null) await renderFiles(scaleM, files);
}

/**
 * Renders every scale's files again from its JSON and lists each file (or BENCHMARKS.md
 * block) that differs from what is on disk; empty when all match.
 */
export async function checkReports(files: ReportFiles): Promise<string[]> {
  const problems: string[] = [];
  const benchmarks = existsSync(files.benchmarksFile) ? await readFile(files.benchmarksFile, 'utf8') : null;
  let checked = 0;
  for (const scale of ['S', 'M'] as const) {
    const results = await readResults(path.join(files.resultsDirectory, `${scale}.json`));
    if (results === null) continue;
    checked += 1;
    const scaleS = await scaleSOf(results, files);
    const expected: Array<[string, string]> = [
      [`${scale}.md`, renderMarkdown(results, scaleS)],
      [`${scale}.svg`, renderSvg(results)],
    ];
    for (const [name, content] of expected) {
      const file = path.join(files.resultsDirectory, name);
      const actual = existsSync(file) ? await readFile(file, 'utf8') : null;
      if (actual === null) problems.push(`${name} is missing`);
      else if (actual !== content) problems.push(`${name} differs from what ${scale}.json renders`);
    }
    if (benchmarks === null) {
      problems.push(`${path.basename(files.benchmarksFile)} is missing`);
    } else if (currentBenchmarksBlock(benchmarks, scale) !== renderBenchmarksBlock(results, scaleS)) {
      problems.push(`the scale ${scale} block of ${path.basename(files.benchmarksFile)} differs from what ${scale}.json renders`);
    }
  }
  if (checked === 0) problems.push(`no results in ${files.resultsDirectory} (run \`npm run bench\` first)`);
  return problems;
}
