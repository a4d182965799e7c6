// What log-outputs computes from local files: formats from names, checksums from one read,
// folders expanded, URIs, batches and the progress display. Checksums are checked against
// node:crypto over the same bytes held in memory, so the streaming code is what is tested.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProgress,
  describeOutputs,
  digestFile,
  expandPaths,
  fileUri,
  guessFormat,
  guessReadNumber,
  inBatches,
  LocalFileError,
} from '../../src/client/files.ts';

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-files-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('guessFormat', () => {
  it.each([
    ['SYN-S1_R1.fastq.gz', 'FASTQ'],
    ['SYN-S1_R1.fq.gz', 'FASTQ'],
    ['SYN-S1.fastq', 'FASTQ'],
    ['SYN-S1.bam', 'BAM'],
    ['SYN-S1.bam.bai', 'BAI'],
    ['SYN-S1.bai', 'BAI'],
    ['SYN-S1.cram', 'CRAM'],
    ['SYN-S1.cram.crai', 'CRAI'],
    ['SYN-S1.vcf', 'VCF'],
    ['SYN-S1.vcf.gz', 'VCF'],
    ['SYN-S1.vcf.gz.tbi', 'TBI'],
    ['SYN-S1.bcf', 'BCF'],
    ['targets.bed', 'BED'],
    ['multiqc_report.html', 'HTML'],
    ['metrics.json', 'JSON'],
    ['notes.txt', 'TEXT'],
    ['counts.tsv', 'TSV'],
    ['samplesheet.csv', 'CSV'],
    ['SYN-S1.BAM', 'BAM'],
    ['archive.tar.gz', 'DATA'],
    ['no-extension', 'DATA'],
    ['s3://bucket/run/SYN-S1.cram', 'CRAM'],
    ['https://host/SYN-S1.vcf.gz?signature=abc.bam', 'VCF'],
    ['/data/run.bam/SYN-S1.txt', 'TEXT'],
  ])('%s is %s', (name, format) => {
    expect(guessFormat(name)).toBe(format);
  });
});

describe('guessReadNumber', () => {
  it.each([
    ['SYN-S1_L001_R1_001.fastq.gz', 1],
    ['SYN-S1_L001_R2_001.fastq.gz', 2],
    ['s3://lab/SYN-S1_R1.fq.gz', 1],
    ['SYN-S1_2.fastq', 2],
    ['SYN-S1.1.fq.gz', 1],
    ['SYN-S1.fastq.gz', null],
    ['SYN-S11.fastq.gz', null],
    ['SYN-S1_R1.bam', null],
  ])('%s is %s', (name, readNumber) => {
    expect(guessReadNumber(name)).toBe(readNumber);
  });
});

describe('digestFile', () => {
  it('computes size, md5 and sha256 of a file larger than one read chunk in one pass', async () => {
    // 3.5 MiB of varied bytes: several 1 MiB chunks and a partial one
    const content = Buffer.alloc(3.5 * 1024 * 1024);
    for (let index = 0; index < content.length; index++) content[index] = (index * 31 + (index >> 11)) & 0xff;
    const file = path.join(folder, 'large.bin');
    await writeFile(file, content);
    const chunks: number[] = [];
    const digest = await digestFile(file, (bytes) => chunks.push(bytes));
    expect(digest).toEqual({
      sizeBytes: content.length,
      md5: createHash('md5').update(content).digest('hex'),
      sha256: createHash('sha256').update(content).digest('hex'),
    });
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.reduce((sum, bytes) => sum + bytes, 0)).toBe(content.length);
  });

  it('gives the well-known digests of an empty file', async () => {
    const file = path.join(folder, 'empty.txt');
    await writeFile(file, '');
    expect(await digestFile(file)).toEqual({
      sizeBytes: 0,
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
  });

  it('refuses a file it cannot read with a LocalFileError', async () => {
    await expect(digestFile(path.join(folder, 'missing.bin'))).rejects.toBeInstanceOf(LocalFileError);
  });
});

describe('expandPaths', () => {
  let results: string;

  beforeAll(async () => {
    results = path.join(folder, 'results');
    await mkdir(path.join(results, 'variants', 'nested'), { recursive: true });
    await mkdir(path.join(results, '.hidden-folder'), { recursive: true });
    await writeFile(path.join(results, 'b.bam'), 'bam');
    await writeFile(path.join(results, 'a.txt'), 'text');
    await writeFile(path.join(results, '.command.sh'), 'echo');
    await writeFile(path.join(results, '.hidden-folder', 'x.txt'), 'x');
    await writeFile(path.join(results, 'variants', 'SYN-S1.vcf.gz'), 'vcf');
    await writeFile(path.join(results, 'variants', 'nested', 'deep.tsv'), 'tsv');
    await writeFile(path.join(folder, 'outside.json'), '{}');
    // publishDir's default mode makes links; a link back up must not loop
    await symlink(path.join(folder, 'outside.json'), path.join(results, 'linked.json'));
    await symlink(results, path.join(results, 'variants', 'nested', 'loop'));
  });

  it('lists folders recursively in name order, follows links, skips dot-names and loops', async () => {
    const files = await expandPaths([results]);
    expect(files.map((file) => file.relativePath)).toEqual([
      'a.txt',
      'b.bam',
      'linked.json',
      'variants/SYN-S1.vcf.gz',
      'variants/nested/deep.tsv',
    ]);
    expect(files.every((file) => path.isAbsolute(file.path) && file.path.startsWith(results))).toBe(true);
  });

  it('takes a file as it is, named by its base name, and lists a file given twice once', async () => {
    const outside = path.join(folder, 'outside.json');
    const files = await expandPaths([outside, path.relative(process.cwd(), outside), path.join(results, 'a.txt')]);
    expect(files).toEqual([
      { path: outside, relativePath: 'outside.json' },
      { path: path.join(results, 'a.txt'), relativePath: 'a.txt' },
    ]);
  });

  it('refuses a path that does not exist', async () => {
    await expect(expandPaths([path.join(folder, 'nope')])).rejects.toThrow(/no such file or folder/);
  });
});

describe('fileUri', () => {
  const file = { path: '/data/run 1/results/variants/SYN-S1.vcf.gz', relativePath: 'variants/SYN-S1.vcf.gz' };

  it('is file:// and the absolute path, percent-encoded, by default', () => {
    expect(fileUri(file)).toBe('file:///data/run%201/results/variants/SYN-S1.vcf.gz');
  });

  it('is the prefix and the relative path with --uri-prefix, with or without a final slash', () => {
    expect(fileUri(file, 's3://bucket/run-x/')).toBe('s3://bucket/run-x/variants/SYN-S1.vcf.gz');
    expect(fileUri(file, 's3://bucket/run-x')).toBe('s3://bucket/run-x/variants/SYN-S1.vcf.gz');
  });
});

describe('inBatches', () => {
  it('splits into groups of at most the size, in order', () => {
    const items = Array.from({ length: 2501 }, (_, index) => index);
    const batches = inBatches(items, 1000);
    expect(batches.map((batch) => batch.length)).toEqual([1000, 1000, 501]);
    expect(batches.flat()).toEqual(items);
  });

  it('gives one batch for an exact fit and none for nothing', () => {
    expect(inBatches([1, 2, 3], 3)).toEqual([[1, 2, 3]]);
    expect(inBatches([], 3)).toEqual([]);
  });

  it('refuses a size below 1', () => {
    expect(() => inBatches([1], 0)).toThrow(RangeError);
  });
});

describe('describeOutputs', () => {
  it('gives every file its URI, guessed format, size and both checksums', async () => {
    const outputs = path.join(folder, 'described');
    await mkdir(outputs);
    await writeFile(path.join(outputs, 'SYN-S1.bam'), 'bam bytes');
    await writeFile(path.join(outputs, 'counts.tsv'), 'a\t1\n');
    const described = await describeOutputs([outputs], { uriPrefix: 's3://lab/run-x/' });
    expect(described).toEqual([
      {
        uri: 's3://lab/run-x/SYN-S1.bam',
        format: 'BAM',
        sizeBytes: '9',
        md5: createHash('md5').update('bam bytes').digest('hex'),
        sha256: createHash('sha256').update('bam bytes').digest('hex'),
      },
      {
        uri: 's3://lab/run-x/counts.tsv',
        format: 'TSV',
        sizeBytes: '4',
        md5: createHash('md5').update('a\t1\n').digest('hex'),
        sha256: createHash('sha256').update('a\t1\n').digest('hex'),
      },
    ]);
    const overridden = await describeOutputs([outputs], { format: 'data' });
    expect(overridden.map((file) => file.format)).toEqual(['DATA', 'DATA']);
    expect(overridden[0]!.uri).toBe(`file://${path.join(outputs, 'SYN-S1.bam')}`);
  });

  it('refuses two files that would be logged under the same URI', async () => {
    const first = path.join(folder, 'first');
    const second = path.join(folder, 'second');
    await mkdir(first);
    await mkdir(second);
    await writeFile(path.join(first, 'same.txt'), '1');
    await writeFile(path.join(second, 'same.txt'), '2');
    await expect(describeOutputs([first, second], { uriPrefix: 's3://lab/x/' })).rejects.toThrow(/would both be logged as s3:\/\/lab\/x\/same\.txt/);
  });
});

describe('createProgress', () => {
  const recorder = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (text: string) => writes.push(text) > 0 } };
  };
  const file = { path: '/x/a.bam', relativePath: 'a.bam' };

  it('prints nothing for a small total', () => {
    const { writes, stream } = recorder(false);
    const progress = createProgress(stream, { totalBytes: 100, totalFiles: 1, fromBytes: 1000 });
    progress.startFile(file, 0);
    progress.addBytes(100);
    progress.finish();
    expect(writes).toEqual([]);
  });

  it('prints one plain line per tenth on a pipe', () => {
    const { writes, stream } = recorder(false);
    const progress = createProgress(stream, { totalBytes: 1000, totalFiles: 1, fromBytes: 1 });
    progress.startFile(file, 0);
    for (let step = 0; step < 100; step++) progress.addBytes(10);
    progress.finish();
    expect(writes).toHaveLength(10);
    expect(writes.every((line) => line.startsWith('seqmeta: checksums ') && line.endsWith('\n') && !line.includes('\r'))).toBe(true);
    expect(writes.at(-1)).toContain('100% 1000 B/1000 B, file 1/1 a.bam');
  });

  it('redraws a bar in place on a terminal and ends the line when done', () => {
    const { writes, stream } = recorder(true);
    const progress = createProgress(stream, { totalBytes: 1000, totalFiles: 1, fromBytes: 1 });
    progress.startFile(file, 0);
    progress.addBytes(1000);
    progress.finish();
    expect(writes[0]).toMatch(/^\rseqmeta: checksums \[-{30}\] 0% /);
    expect(writes.at(-2)).toMatch(/^\rseqmeta: checksums \[#{30}\] 100% /);
    expect(writes.at(-1)).toBe('\n');
  });
});
