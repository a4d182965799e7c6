// The benchmark's generated files (bench/results/<scale>.md and .svg, the blocks of
// BENCHMARKS.md) are rendered from the JSON alone, and `npm run bench -- --check` finds any
// that no longer match it. Also: each of issue 6's targets is judged from the numbers.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkReports,
  evaluateTargets,
  formatNumber,
  renderMarkdown,
  renderSvg,
  replaceBenchmarksBlock,
  writeReports,
  type BenchResults,
  type Measurement,
} from '../../bench/report.ts';

function measurement(requestsPerSecond: number, extra: Partial<Measurement> = {}): Measurement {
  return {
    requests: requestsPerSecond * 10,
    durationSeconds: 10,
    requestsPerSecond,
    latencyMilliseconds: { p50: 20, p95: 40, p99: 60 },
    errors: 0,
    firstError: null,
    apiCpuMillisecondsPerRequest: 8.5,
    databaseCpuMillisecondsPerRequest: 1.25,
    peakRssMegabytes: 250,
    rowsPerSecond: null,
    ...extra,
  };
}

/** A small fixed result: (a) at 0.4 × raw and 1.33 × plain, (d) at 12,000 rows/s and 0.8 × raw. */
function fixture(scale: 'S' | 'M' = 'S', pageP50 = 20): BenchResults {
  return {
    version: 1,
    scale,
    startedAt: '2026-12-03T12:00:00.000Z',
    commit: 'abc1234',
    uncommittedChanges: false,
    machine: { cpus: 2, cpuModel: 'Test CPU', memoryGigabytes: 23.5, node: 'v22.0.0', postgres: '18.1', loadAverageBefore: 0.2, loadAverageAfter: 0.4 },
    dataset: { patients: 10_000, samples: 30_000, runs: 100_000, files: 400_000, seed: 1, loadSeconds: 25, location: 'embedded' },
    settings: { connections: 8, durationSeconds: 10, warmUpSeconds: 2, apiPoolSize: 10, workers: 1, samplePageSize: 50, filesPerCall: 1_000 },
    statementsByPageSize: { pageSize5: 2, pageSize100: 2 },
    scenarios: [
      {
        id: 'a',
        title: 'page of 50 samples with patient, runs and files',
        statementsPerRequest: { seqmeta: 2, plainPostgraphile: 2, rawSql: 2 },
        sameSqlAsPlain: true,
        measurements: {
          seqmeta: measurement(40, { latencyMilliseconds: { p50: pageP50, p95: 40, p99: 60 } }),
          plainPostgraphile: measurement(30),
          rawSql: measurement(100, { apiCpuMillisecondsPerRequest: null, peakRssMegabytes: null }),
        },
      },
      {
        id: 'd',
        title: 'logRunOutputs, 1,000 files per call',
        statementsPerRequest: { seqmeta: 7, rawSql: 1 },
        sameSqlAsPlain: null,
        measurements: {
          seqmeta: measurement(12, { rowsPerSecond: 12_000, peakRssMegabytes: 320 }),
          rawSql: measurement(15, { rowsPerSecond: 15_000, apiCpuMillisecondsPerRequest: null, peakRssMegabytes: null }),
        },
      },
    ],
  };
}

let directory: string;
let files: { resultsDirectory: string; benchmarksFile: string };

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-bench-report-'));
  files = { resultsDirectory: directory, benchmarksFile: path.join(directory, 'BENCHMARKS.md') };
});
afterEach(() => rm(directory, { recursive: true, force: true }));

describe('targets', () => {
  it('judges each target of issue 6 from the measured numbers', () => {
    const checks = Object.fromEntries(evaluateTargets(fixture()).map((check) => [check.target, check]));
    expect(checks['(a) ≥ 0.5 × raw-SQL throughput']).toMatchObject({ measured: '0.40×', status: 'not met' });
    expect(checks['(a) ≥ 1.0 × plain PostGraphile throughput']).toMatchObject({ measured: '1.33×', status: 'met' });
    expect(checks['statements per request the same at page size 5 and 100']).toMatchObject({ measured: '2 and 2', status: 'met' });
    expect(checks['(d) ≥ 20,000 file rows/s through the API']).toMatchObject({ measured: '12,000 rows/s', status: 'not met' });
    expect(checks['(d) ≥ 0.5 × the raw INSERT']).toMatchObject({ measured: '0.80×', status: 'met' });
    expect(checks['API RSS < 400 MB under load']).toMatchObject({ measured: '320 MB peak', status: 'met' });
    expect(checks['scale M: p50 of (a) ≤ 1.3 × its p50 at scale S']!.status).toBe('not measured');
  });

  it('compares the p50 of (a) at scale M with scale S', () => {
    const slower = evaluateTargets(fixture('M', 30), fixture('S', 20)).find((check) => check.target.startsWith('scale M'))!;
    expect(slower).toMatchObject({ measured: '30.0 ms vs 20.0 ms: 1.50×', status: 'not met' });
    const close = evaluateTargets(fixture('M', 25), fixture('S', 20)).find((check) => check.target.startsWith('scale M'))!;
    expect(close.status).toBe('met');
  });

  it('says "not measured" for a scenario that was not run, and "not met" for unequal statement counts', () => {
    const results = fixture();
    results.scenarios = results.scenarios.filter((scenario) => scenario.id !== 'd');
    results.statementsByPageSize = { pageSize5: 2, pageSize100: 3 };
    const checks = Object.fromEntries(evaluateTargets(results).map((check) => [check.target, check.status]));
    expect(checks['(d) ≥ 20,000 file rows/s through the API']).toBe('not measured');
    expect(checks['(d) ≥ 0.5 × the raw INSERT']).toBe('not measured');
    expect(checks['statements per request the same at page size 5 and 100']).toBe('not met');
  });
});

describe('rendering', () => {
  it('formats numbers the same whatever the locale', () => {
    expect(formatNumber(1234567.891, 1)).toBe('1,234,567.9');
    expect(formatNumber(999)).toBe('999');
    expect(formatNumber(-12_000)).toBe('-12,000');
  });

  it('puts every server, ratio and target in the table', () => {
    const markdown = renderMarkdown(fixture());
    expect(markdown).toContain('| (a) page of 50 samples with patient, runs and files | seqmeta | 40.0 | 0.40× | 1.33× |');
    expect(markdown).toContain('| (d) logRunOutputs, 1,000 files per call | seqmeta | 12.0 (12,000 rows/s) | 0.80× |');
    expect(markdown).toContain('| (a) ≥ 0.5 × raw-SQL throughput | 0.40× | **not met** |');
    expect(markdown).toContain('Commit `abc1234`, run 2026-12-03 12:00 UTC.');
    expect(markdown).not.toContain('busy machine');
  });

  it('describes rounds in alternating order when there were several', () => {
    expect(renderMarkdown(fixture())).toContain('8 connections, 10 s per measurement after a 2 s warm-up');
    const results = fixture();
    results.settings.rounds = 2;
    expect(renderMarkdown(results)).toContain('8 connections, 2 rounds of 10 s per server, in alternating order (A B C, C B A) after a 2 s warm-up');
  });

  it('says when the machine was busy', () => {
    const results = fixture();
    results.machine.loadAverageBefore = 3.5;
    expect(renderMarkdown(results)).toContain('**a busy machine**');
  });

  it('draws one bar per server and scenario, scaled within the scenario', () => {
    const svg = renderSvg(fixture());
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // 3 legend squares + 3 bars for (a) + 2 for (d), besides the background
    expect(svg.match(/<rect /g)).toHaveLength(1 + 3 + 3 + 2);
    // the fastest bar of a scenario is full height (180), the others in proportion
    expect(svg).toContain('height="180"');
    expect(svg).toContain('height="72"');
  });

  it('replaces only its own block of BENCHMARKS.md', () => {
    const document = '# Benchmarks\n\nhand-written\n\n<!-- bench-results:S -->\nold\n<!-- /bench-results:S -->\n\n## Changes\n\nkept\n';
    const updated = replaceBenchmarksBlock(document, fixture());
    expect(updated).not.toContain('\nold\n');
    expect(updated.startsWith('# Benchmarks\n\nhand-written\n\n<!-- bench-results:S -->')).toBe(true);
    expect(updated.endsWith('<!-- /bench-results:S -->\n\n## Changes\n\nkept\n')).toBe(true);
    expect(replaceBenchmarksBlock(updated, fixture())).toBe(updated);
  });
});

describe('scale-out rows (issue 8)', () => {
  /** the fixture with seqmeta's two variants measured beside it, kept under a name of its own */
  function scaleOut(): BenchResults {
    const results = fixture();
    results.resultsName = 'scale-out';
    results.settings.pgbouncer = { version: 'PgBouncer 1.18.0', poolSize: 10 };
    const page = results.scenarios[0]!;
    page.statementsPerRequest = { ...page.statementsPerRequest, seqmetaTwoProcesses: 2, seqmetaPgbouncer: 8 };
    page.measurements.seqmetaTwoProcesses = measurement(50);
    page.measurements.seqmetaPgbouncer = measurement(30);
    return results;
  }

  it('shows each variant against raw SQL, plain PostGraphile and seqmeta, and says what it is', () => {
    const markdown = renderMarkdown(scaleOut());
    expect(markdown).toContain('# Benchmark results, scale S (scale-out)');
    expect(markdown).toContain('| scenario | server | req/s | × raw SQL | × plain | × seqmeta | p50 ms |');
    expect(markdown).toContain('| (a) page of 50 samples with patient, runs and files | seqmeta | 40.0 | 0.40× | 1.33× |  | 20.0 |');
    expect(markdown).toContain('| (a) page of 50 samples with patient, runs and files | seqmeta, 2 processes | 50.0 | 0.50× | 1.67× | 1.25× | 20.0 |');
    expect(markdown).toContain('| (a) page of 50 samples with patient, runs and files | seqmeta via PgBouncer | 30.0 | 0.30× | 1.00× | 0.75× | 20.0 | 40.0 | 60.0 | 8 |');
    expect(markdown).toContain('PgBouncer 1.18.0, `pool_mode = transaction`, `default_pool_size = 10`');
    expect(markdown).toContain('`SEQMETA_WORKERS=2`');
    // without variants the table keeps its columns
    expect(renderMarkdown(fixture())).not.toContain('× seqmeta');
  });

  it('draws a bar for every server measured, the legend three to a row', () => {
    const svg = renderSvg(scaleOut());
    // background, 5 legend squares, 5 bars for (a) and 2 for (d)
    expect(svg.match(/<rect /g)).toHaveLength(1 + 5 + 5 + 2);
    expect(svg).toContain('seqmeta via PgBouncer');
  });

  it('writes <name>-<scale> files and their own block, which --check compares, leaving the scale\'s own alone', async () => {
    await writeFile(files.benchmarksFile, '# Benchmarks\n\n<!-- bench-results:S -->\n<!-- /bench-results:S -->\n');
    await writeReports(fixture(), files);
    const scaleS = await readFile(path.join(directory, 'S.md'), 'utf8');
    await writeReports(scaleOut(), files);
    expect(await readFile(path.join(directory, 'S.md'), 'utf8')).toBe(scaleS);
    expect(await readFile(path.join(directory, 'scale-out-S.md'), 'utf8')).toContain('seqmeta via PgBouncer');
    const benchmarks = await readFile(files.benchmarksFile, 'utf8');
    expect(benchmarks).toContain('<!-- bench-results:scale-out-S -->');
    expect(benchmarks).toContain('![requests per second, scale S](bench/results/scale-out-S.svg)');
    expect(await checkReports(files)).toEqual([]);
    await writeFile(files.benchmarksFile, benchmarks.replace('1.25×', '1.30×'));
    expect(await checkReports(files)).toEqual(['the scale-out-S block of BENCHMARKS.md differs from what scale-out-S.json renders']);
  });

  it('leaves other JSON files of the folder to their own tools', async () => {
    await writeReports(fixture(), files);
    await writeFile(path.join(directory, 'soak.json'), '{"version":1}');
    expect(await checkReports(files)).toEqual([]);
  });
});

describe('--check', () => {
  it('passes on files just written from the JSON', async () => {
    await writeFile(files.benchmarksFile, '# Benchmarks\n\n<!-- bench-results:S -->\n<!-- /bench-results:S -->\n');
    await writeReports(fixture(), files);
    expect(await checkReports(files)).toEqual([]);
  });

  it('finds an edited table, a missing chart and a stale BENCHMARKS.md block', async () => {
    await writeReports(fixture(), files);
    const table = path.join(directory, 'S.md');
    await writeFile(table, (await readFile(table, 'utf8')).replace('40.0', '45.0'));
    await rm(path.join(directory, 'S.svg'));
    await writeFile(files.benchmarksFile, (await readFile(files.benchmarksFile, 'utf8')).replace('0.40×', '0.50×'));
    expect(await checkReports(files)).toEqual([
      'S.md differs from what S.json renders',
      'S.svg is missing',
      'the scale S block of BENCHMARKS.md differs from what S.json renders',
    ]);
  });

  it('finds results whose JSON changed after the files were rendered', async () => {
    await writeReports(fixture(), files);
    const changed = fixture();
    changed.scenarios[0]!.measurements.seqmeta!.requestsPerSecond = 55;
    await writeFile(path.join(directory, 'S.json'), JSON.stringify(changed));
    expect(await checkReports(files)).toHaveLength(3);
  });

  it('renders scale M against the scale S results beside it, again when S changes', async () => {
    await writeReports(fixture('S', 20), files);
    await writeReports(fixture('M', 30), files);
    expect(await readFile(path.join(directory, 'M.md'), 'utf8')).toContain('30.0 ms vs 20.0 ms: 1.50×');
    expect(await checkReports(files)).toEqual([]);
    await writeReports(fixture('S', 25), files);
    expect(await readFile(path.join(directory, 'M.md'), 'utf8')).toContain('30.0 ms vs 25.0 ms: 1.20×');
    expect(await readFile(files.benchmarksFile, 'utf8')).toContain('30.0 ms vs 25.0 ms: 1.20×');
    expect(await checkReports(files)).toEqual([]);
  });

  it('the committed bench/results and BENCHMARKS.md match their JSON', async () => {
    const project = path.resolve(import.meta.dirname, '../..');
    const committed = { resultsDirectory: path.join(project, 'bench', 'results'), benchmarksFile: path.join(project, 'BENCHMARKS.md') };
    expect(await checkReports(committed)).toEqual([]);
  });

  it('reports a folder without results', async () => {
    expect(await checkReports(files)).toEqual([`no results in ${directory} (run \`npm run bench\` first)`]);
  });
});
