// Local files as the API wants them: which files (folders expanded), where they live (a URI),
// what they are (a format guessed from the name) and what they hold (size, sha256 and md5,
// from one streaming read of each file), in calls small enough for the API to take at once.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A path that cannot be listed or read: bad input for the command, nothing was sent. */
export class LocalFileError extends Error {
  override name = 'LocalFileError';
}

/** A file to log, found directly or in a folder. */
export type LocalFile = {
  /** absolute path */
  path: string;
  /** with / separators: relative to the folder it was found in, or the file's name when given directly */
  relativePath: string;
};

export type FileDigest = { sizeBytes: number; md5: string; sha256: string };

/** An output file as logRunOutputs takes it (sizeBytes as text: the GraphQL type is BigInt). */
export type OutputFile = {
  uri: string;
  format: string;
  sizeBytes: string;
  md5: string;
  sha256: string;
};

// Matched against the end of the name, so "x.vcf.gz.tbi" is a TBI and "x.bam.bai" a BAI.
const FORMAT_BY_SUFFIX: ReadonlyArray<readonly [string, string]> = [
  ['.fastq.gz', 'FASTQ'],
  ['.fq.gz', 'FASTQ'],
  ['.fastq', 'FASTQ'],
  ['.fq', 'FASTQ'],
  ['.bai', 'BAI'],
  ['.bam', 'BAM'],
  ['.crai', 'CRAI'],
  ['.cram', 'CRAM'],
  ['.tbi', 'TBI'],
  ['.vcf.gz', 'VCF'],
  ['.vcf', 'VCF'],
  ['.bcf', 'BCF'],
  ['.bed', 'BED'],
  ['.html', 'HTML'],
  ['.json', 'JSON'],
  ['.txt', 'TEXT'],
  ['.tsv', 'TSV'],
  ['.csv', 'CSV'],
];

/** The last path segment of a path or URI, without a query string or fragment. */
function nameOf(pathOrUri: string): string {
  const withoutQuery = pathOrUri.replace(/[?#].*$/, '');
  return withoutQuery.slice(withoutQuery.lastIndexOf('/') + 1);
}

/** FASTQ, BAM, VCF… from the file name (case-insensitive); DATA when nothing matches. */
export function guessFormat(pathOrUri: string): string {
  const name = nameOf(pathOrUri).toLowerCase();
  const match = FORMAT_BY_SUFFIX.find(([suffix]) => name.endsWith(suffix));
  return match ? match[1] : 'DATA';
}

// `S1_L001_R1_001.fastq.gz`, `S1_R2.fq.gz`, `S1_1.fastq`, `S1.2.fq.gz`
const READ_NUMBER = /(?:^|[._-])R?([12])(?:_\d{3})?\.f(?:ast)?q(?:\.gz)?$/i;

/** 1 or 2 for a FASTQ named like one mate of a pair (…_R1_001.fastq.gz, …_2.fq.gz), else null. */
export function guessReadNumber(pathOrUri: string): 1 | 2 | null {
  const match = READ_NUMBER.exec(nameOf(pathOrUri));
  return match ? (Number(match[1]) as 1 | 2) : null;
}

const toPosix = (relative: string) => relative.split(path.sep).join('/');

/**
 * The files named by `paths`: files as they are, folders recursively (in name order,
 * following symbolic links as Nextflow's publishDir makes them, skipping entries whose name
 * starts with a dot such as Nextflow's .command.* files). A file found twice is listed once.
 */
export async function expandPaths(paths: readonly string[]): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  const seen = new Set<string>();
  const add = (file: LocalFile) => {
    if (seen.has(file.path)) return;
    seen.add(file.path);
    files.push(file);
  };

  async function walk(root: string, folder: string, visitedFolders: Set<string>): Promise<void> {
    // a link back to an enclosing folder would otherwise recurse for ever
    const real = await realpath(folder);
    if (visitedFolders.has(real)) return;
    visitedFolders.add(real);
    const entries = (await readdir(folder)).filter((name) => !name.startsWith('.')).sort();
    for (const name of entries) {
      const entry = path.join(folder, name);
      const entryStat = await stat(entry).catch(() => {
        throw new LocalFileError(`${entry}: cannot be read (a broken link?)`);
      });
      if (entryStat.isDirectory()) {
        await walk(root, entry, visitedFolders);
      } else if (entryStat.isFile()) {
        add({ path: entry, relativePath: toPosix(path.relative(root, entry)) });
      }
    }
    visitedFolders.delete(real);
  }

  for (const given of paths) {
    const absolute = path.resolve(given);
    const givenStat = await stat(absolute).catch(() => {
      throw new LocalFileError(`${given}: no such file or folder`);
    });
    if (givenStat.isDirectory()) {
      await walk(absolute, absolute, new Set());
    } else if (givenStat.isFile()) {
      add({ path: absolute, relativePath: path.basename(absolute) });
    } else {
      throw new LocalFileError(`${given}: not a regular file or a folder`);
    }
  }
  return files;
}

/**
 * Where a file lives, as the API records it: `file://<absolute path>` (percent-encoded as a
 * URI), or `uriPrefix` + its relative path when the files are (or will be) copied there,
 * e.g. --uri-prefix s3://bucket/run-x/.
 */
export function fileUri(file: LocalFile, uriPrefix?: string | null): string {
  if (!uriPrefix) return pathToFileURL(file.path).href;
  return `${uriPrefix.endsWith('/') ? uriPrefix : `${uriPrefix}/`}${file.relativePath}`;
}

/** Size, md5 and sha256 of a file, from a single read; `onBytes` hears about each chunk. */
export function digestFile(filePath: string, onBytes?: (bytes: number) => void): Promise<FileDigest> {
  return new Promise((resolve, reject) => {
    const md5 = createHash('md5');
    const sha256 = createHash('sha256');
    let sizeBytes = 0;
    createReadStream(filePath, { highWaterMark: 1024 * 1024 })
      .on('data', (chunk) => {
        const buffer = chunk as Buffer;
        md5.update(buffer);
        sha256.update(buffer);
        sizeBytes += buffer.length;
        onBytes?.(buffer.length);
      })
      .on('error', (error) => reject(new LocalFileError(`${filePath}: cannot be read (${(error as { code?: string }).code ?? error.message})`)))
      .on('end', () => resolve({ sizeBytes, md5: md5.digest('hex'), sha256: sha256.digest('hex') }));
  });
}

/** `items` in consecutive groups of at most `size`. */
export function inBatches<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('a batch size is a whole number of at least 1');
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

export type Progress = {
  /** a file is about to be read */
  startFile: (file: LocalFile, index: number) => void;
  addBytes: (bytes: number) => void;
  finish: () => void;
};

export type ProgressOptions = {
  totalBytes: number;
  totalFiles: number;
  /** below this many bytes in all, nothing is shown: small sets are hashed in a blink */
  fromBytes?: number;
};

const PROGRESS_FROM_BYTES = 256 * 1024 * 1024;
const BAR_WIDTH = 30;
const REDRAW_MILLISECONDS = 100;
const LINE_EVERY_PERCENT = 10;

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Hashing progress on `stream` (stderr): on a terminal a bar redrawn in place; on a pipe or
 * a CI log, where `\r` would pile up, one plain line per tenth of the bytes.
 */
export function createProgress(
  stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>,
  { totalBytes, totalFiles, fromBytes = PROGRESS_FROM_BYTES }: ProgressOptions,
): Progress {
  if (totalBytes < fromBytes) return { startFile: () => undefined, addBytes: () => undefined, finish: () => undefined };
  let doneBytes = 0;
  let fileNumber = 0;
  let fileName = '';
  let lastDrawn = 0;
  let lastStep = 0;
  let drewBar = false;
  const describe = (percent: number) =>
    `${percent}% ${formatBytes(doneBytes)}/${formatBytes(totalBytes)}, file ${fileNumber}/${totalFiles} ${fileName}`;

  function draw(force: boolean): void {
    const fraction = totalBytes === 0 ? 1 : doneBytes / totalBytes;
    const percent = Math.floor(fraction * 100);
    if (stream.isTTY) {
      const now = performance.now();
      if (!force && now - lastDrawn < REDRAW_MILLISECONDS) return;
      lastDrawn = now;
      const filled = Math.round(fraction * BAR_WIDTH);
      stream.write(`\rseqmeta: checksums [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${describe(percent)}\x1b[K`);
      drewBar = true;
      return;
    }
    const step = Math.floor(percent / LINE_EVERY_PERCENT);
    if (step > lastStep) {
      lastStep = step;
      stream.write(`seqmeta: checksums ${describe(percent)}\n`);
    }
  }

  return {
    startFile(file, index) {
      fileNumber = index + 1;
      fileName = file.relativePath;
      draw(false);
    },
    addBytes(bytes) {
      doneBytes += bytes;
      draw(false);
    },
    finish() {
      if (stream.isTTY) {
        draw(true);
        if (drewBar) stream.write('\n');
      }
    },
  };
}

export type DescribeOptions = {
  uriPrefix?: string | null;
  /** one format for every file, instead of guessing from the names */
  format?: string | null;
  progressStream?: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>;
  progressFromBytes?: number;
};

/**
 * Everything logRunOutputs needs about the files under `paths`, reading each file once.
 * Refuses two different files that would get the same URI.
 */
export async function describeOutputs(paths: readonly string[], options: DescribeOptions = {}): Promise<OutputFile[]> {
  const files = await expandPaths(paths);
  const byUri = new Map<string, LocalFile>();
  for (const file of files) {
    const uri = fileUri(file, options.uriPrefix);
    const other = byUri.get(uri);
    if (other) throw new LocalFileError(`${other.path} and ${file.path} would both be logged as ${uri}`);
    byUri.set(uri, file);
  }
  const sizes = await Promise.all(files.map(async (file) => (await stat(file.path)).size));
  const progress = createProgress(options.progressStream ?? process.stderr, {
    totalBytes: sizes.reduce((sum, size) => sum + size, 0),
    totalFiles: files.length,
    ...(options.progressFromBytes === undefined ? {} : { fromBytes: options.progressFromBytes }),
  });
  const outputs: OutputFile[] = [];
  try {
    for (const [index, file] of files.entries()) {
      progress.startFile(file, index);
      const digest = await digestFile(file.path, progress.addBytes);
      outputs.push({
        uri: fileUri(file, options.uriPrefix),
        format: options.format ? options.format.toUpperCase() : guessFormat(file.path),
        sizeBytes: String(digest.sizeBytes),
        md5: digest.md5,
        sha256: digest.sha256,
      });
    }
  } finally {
    progress.finish();
  }
  return outputs;
}
