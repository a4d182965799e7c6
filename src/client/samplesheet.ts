// A run's inputs as the CSV samplesheet nf-core pipelines read. Paired FASTQ become one row
// `sample,fastq_1,fastq_2` per pair (read 1, read 2); a FASTQ without a mate becomes a
// single-end row with fastq_2 empty; any other input a row `sample,file`. A run with both
// kinds gets all four columns, each row filling its own. Local files (file://) are written
// as plain paths, which is what Nextflow's file() and nf-core's schemas expect.
import { fileURLToPath } from 'node:url';

export type InputFile = { uri: string; format: string; readNumber: number | null };

/** The inputs cannot be laid out as a samplesheet (e.g. a read 2 without its read 1). */
export class SamplesheetError extends Error {
  override name = 'SamplesheetError';
}

/** A path for the samplesheet: file:// URIs as local paths, any other URI as it is. */
export function samplesheetLocation(uri: string): string {
  if (!uri.toLowerCase().startsWith('file://')) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    // e.g. file://host/… names another machine: leave it for the pipeline to judge
    return uri;
  }
}

/**
 * Whether `second` is the mate of `first`: the same URI but for one character, a 1 in
 * `first` where `second` has a 2 (…_R1_001.fastq.gz / …_R2_001.fastq.gz, …_1.fq.gz / …_2.fq.gz).
 */
function isMate(first: string, second: string): boolean {
  if (first.length !== second.length) return false;
  let differences = 0;
  for (let index = 0; index < first.length; index++) {
    if (first[index] === second[index]) continue;
    if (first[index] !== '1' || second[index] !== '2' || ++differences > 1) return false;
  }
  return differences === 1;
}

type FastqRow = { first: string; second: string | null };

/** Read 1 with its read 2: by name where they differ in the read digit only, else in URI order. */
export function pairReads(inputs: readonly InputFile[]): FastqRow[] {
  const byUri = (a: InputFile, b: InputFile) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0);
  const fastq = inputs.filter((file) => file.format === 'FASTQ');
  const firsts = fastq.filter((file) => file.readNumber === 1).sort(byUri);
  const seconds = fastq.filter((file) => file.readNumber === 2).sort(byUri);
  const singles = fastq.filter((file) => file.readNumber !== 1 && file.readNumber !== 2).sort(byUri);

  const rows: FastqRow[] = [];
  const unpairedFirsts: InputFile[] = [];
  const unpairedSeconds = [...seconds];
  for (const first of firsts) {
    const mate = unpairedSeconds.findIndex((second) => isMate(first.uri, second.uri));
    if (mate === -1) {
      unpairedFirsts.push(first);
    } else {
      rows.push({ first: first.uri, second: unpairedSeconds[mate]!.uri });
      unpairedSeconds.splice(mate, 1);
    }
  }
  if (unpairedSeconds.length > 0 && unpairedSeconds.length === unpairedFirsts.length) {
    // names that do not show the pairing: the registered read numbers, in URI order
    unpairedFirsts.forEach((first, index) => rows.push({ first: first.uri, second: unpairedSeconds[index]!.uri }));
  } else if (unpairedSeconds.length > 0) {
    throw new SamplesheetError(
      `${unpairedSeconds.length} read-2 FASTQ input(s) have no read 1 to pair with (e.g. ${unpairedSeconds[0]!.uri}): ` +
        'fix the registered read numbers, or use --format json',
    );
  } else {
    for (const first of unpairedFirsts) rows.push({ first: first.uri, second: null });
  }
  for (const single of singles) rows.push({ first: single.uri, second: null });
  return rows.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The samplesheet CSV of one run's inputs, header included, one line per row. */
export function buildSamplesheet(sampleId: string, inputs: readonly InputFile[]): string {
  const fastqRows = pairReads(inputs);
  const others = inputs
    .filter((file) => file.format !== 'FASTQ')
    .map((file) => file.uri)
    .sort();
  const withFastq = fastqRows.length > 0 || others.length === 0;
  const withFile = others.length > 0;
  const header = ['sample', ...(withFastq ? ['fastq_1', 'fastq_2'] : []), ...(withFile ? ['file'] : [])];
  const rows = [
    ...fastqRows.map((row) => [
      sampleId,
      samplesheetLocation(row.first),
      row.second === null ? '' : samplesheetLocation(row.second),
      ...(withFile ? [''] : []),
    ]),
    ...others.map((uri) => [sampleId, ...(withFastq ? ['', ''] : []), samplesheetLocation(uri)]),
  ];
  return [header, ...rows].map((row) => `${row.map(csvField).join(',')}\n`).join('');
}
