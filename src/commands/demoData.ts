// `seqmeta demo-data`: loads the synthetic dataset (SYN-… ids only) into a database without
// patients, as etl_worker, for the demo, the tests and the benchmarks.
import type { Command } from 'commander';
import { loadConfig, requireDatabaseUrl } from '../config.ts';
import { setUpDatabase } from '../database/setup.ts';
import { MAXIMUM_PATIENTS, MAXIMUM_SEED } from '../demoData/generate.ts';
import { DemoDataError, loadDemoDataOnce, type DemoDataProgress, type DemoDataSummary } from '../demoData/load.ts';
import { loadPhiKeys } from '../phiKeys.ts';
import { withDatabase } from './database.ts';
import { CommandInputError, say } from './output.ts';

const DEFAULT_PATIENTS = 200;
const DEFAULT_SEED = 1;
/** below this many patients the load takes about a second: no progress display */
const PROGRESS_FROM_PATIENTS = 1000;

const HELP_AFTER = `
Each patient gets 1-5 samples (tumour/normal pairs, follow-up visits, cell-free DNA), each
sample 1-6 runs across WGS, WES, RNA-seq, targeted panels and methylation, each run
paired-end FASTQ inputs and, once it succeeded, BAM/CRAM/VCF outputs with checksums:
about 3 samples, 10 runs and 40 files per patient. The same seed gives the same data.

Scales used by the benchmarks:
  S   --patients 10000     ~30k samples, ~100k runs, ~400k files
  M   --patients 100000    ten times S

Demo data is only loaded into a database without patients; nothing is written otherwise.
With no database URL configured, it goes into the embedded Postgres (set up if needed).

Examples:
  seqmeta demo-data
  seqmeta demo-data --patients 10000 --seed 7 --json`;

type DemoDataOptions = { patients: string; seed: string; json?: boolean };

export function registerDemoDataCommands(program: Command): void {
  program
    .command('demo-data')
    .description('load synthetic sequencing metadata (SYN-… ids only) into a database without patients')
    .option('--patients <n>', `number of patients to generate (1 to ${MAXIMUM_PATIENTS})`, String(DEFAULT_PATIENTS))
    .option('--seed <n>', `seed of the generator (0 to ${MAXIMUM_SEED}); the same seed gives the same data`, String(DEFAULT_SEED))
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText('after', HELP_AFTER)
    .action(async (options: DemoDataOptions) => {
      // Checked before anything is opened or written.
      const patients = parseWholeNumber(options.patients, '--patients', 1, MAXIMUM_PATIENTS);
      const seed = parseWholeNumber(options.seed, '--seed', 0, MAXIMUM_SEED);

      const config = loadConfig(process.env);
      const keys = await loadPhiKeys(config);
      if (keys.generatedFile !== null) {
        say(`using development PHI keys from ${keys.generatedFile} (generated for embedded mode; never for real data)`);
      }

      await withDatabase(async (urls) => {
        if (config.mode === 'embedded') await setUpDatabase(urls, say);
        const progress = createProgressDisplay(process.stderr, patients);
        const result = await loadDemoDataOnce({
          etlUrl: requireDatabaseUrl(urls, 'etl'),
          keys,
          patients,
          seed,
          onProgress: progress.update,
        }).finally(progress.finish);
        if (!result.loaded) {
          throw new DemoDataError(
            `the database already holds ${formatCount(result.existingPatients)} patients: demo data is only loaded into a database ` +
              'without patients, so nothing was written' +
              (config.mode === 'embedded' ? ` (to start over, stop seqmeta and remove ${config.dataDirectory})` : ''),
          );
        }
        report(result.summary, options.json === true);
      });
    });
}

/** Digits only: "1e3", "12.0", "-5" and "0x10" are refused rather than guessed at. */
function parseWholeNumber(text: string, flag: string, minimum: number, maximum: number): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^[0-9]+$/.test(trimmed) || value < minimum || value > maximum) {
    throw new CommandInputError(`${flag} must be a whole number from ${minimum} to ${formatCount(maximum)}, not "${text}"`);
  }
  return value;
}

function report(summary: DemoDataSummary, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...summary, seconds: Number(summary.seconds.toFixed(3)) })}\n`);
    return;
  }
  say(
    `loaded demo data (seed ${summary.seed}): ${formatCount(summary.patients)} patients, ${formatCount(summary.samples)} samples, ` +
      `${formatCount(summary.runs)} runs, ${formatCount(summary.files)} files in ${summary.seconds.toFixed(1)} s ` +
      `(${formatCount(summary.rowsPerSecond)} rows/s)`,
  );
}

const formatCount = (value: number) => value.toLocaleString('en-US');

type ProgressDisplay = { update: (progress: DemoDataProgress) => void; finish: () => void };

const BAR_WIDTH = 30;
const REDRAW_MILLISECONDS = 100;
const LINE_EVERY_PERCENT = 10;

/**
 * A bar redrawn in place on a terminal; on a pipe or a CI log, where `\r` would pile up,
 * one plain line per tenth of the work. Nothing for small loads.
 */
function createProgressDisplay(stream: NodeJS.WriteStream, totalPatients: number): ProgressDisplay {
  if (totalPatients < PROGRESS_FROM_PATIENTS) return { update: () => undefined, finish: () => undefined };
  let lastDrawn = 0;
  let lastPercentStep = 0;
  let drewBar = false;
  const describe = ({ loaded, elapsedSeconds }: DemoDataProgress, percent: number) =>
    `${percent}% ${formatCount(loaded.patients)}/${formatCount(totalPatients)} patients, ` +
    `${formatCount(loaded.runs)} runs, ${formatCount(loaded.files)} files, ${elapsedSeconds.toFixed(1)} s`;

  return {
    update(progress) {
      const fraction = progress.loaded.patients / totalPatients;
      const percent = Math.floor(fraction * 100);
      if (stream.isTTY) {
        const now = performance.now();
        if (now - lastDrawn < REDRAW_MILLISECONDS && fraction < 1) return;
        lastDrawn = now;
        const filled = Math.round(fraction * BAR_WIDTH);
        stream.write(`\rseqmeta: demo data [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${describe(progress, percent)}\x1b[K`);
        drewBar = true;
        return;
      }
      const step = Math.floor(percent / LINE_EVERY_PERCENT);
      if (step > lastPercentStep) {
        lastPercentStep = step;
        say(`demo data: ${describe(progress, percent)}`);
      }
    },
    finish() {
      if (drewBar) stream.write('\n');
    },
  };
}
