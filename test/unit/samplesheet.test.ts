// fetch-inputs' samplesheet: nf-core's CSV shape from a run's inputs, pairs found by name
// or by the registered read numbers.
import { describe, expect, it } from 'vitest';
import { buildSamplesheet, pairReads, samplesheetLocation, SamplesheetError } from '../../src/client/samplesheet.ts';

const fastq = (uri: string, readNumber: number | null) => ({ uri, format: 'FASTQ', readNumber });

describe('buildSamplesheet', () => {
  it('writes paired FASTQ as sample,fastq_1,fastq_2, one row per lane', () => {
    const sheet = buildSamplesheet('SYN-S1', [
      fastq('s3://lab/SYN-S1_L002_R2_001.fastq.gz', 2),
      fastq('s3://lab/SYN-S1_L001_R1_001.fastq.gz', 1),
      fastq('s3://lab/SYN-S1_L002_R1_001.fastq.gz', 1),
      fastq('s3://lab/SYN-S1_L001_R2_001.fastq.gz', 2),
    ]);
    expect(sheet).toBe(
      'sample,fastq_1,fastq_2\n' +
        'SYN-S1,s3://lab/SYN-S1_L001_R1_001.fastq.gz,s3://lab/SYN-S1_L001_R2_001.fastq.gz\n' +
        'SYN-S1,s3://lab/SYN-S1_L002_R1_001.fastq.gz,s3://lab/SYN-S1_L002_R2_001.fastq.gz\n',
    );
  });

  it('leaves fastq_2 empty for single-end reads', () => {
    expect(buildSamplesheet('SYN-S1', [fastq('gs://lab/SYN-S1.fastq.gz', null)])).toBe(
      'sample,fastq_1,fastq_2\nSYN-S1,gs://lab/SYN-S1.fastq.gz,\n',
    );
  });

  it('writes other inputs as sample,file', () => {
    expect(
      buildSamplesheet('SYN-S1', [
        { uri: 's3://lab/SYN-S1.cram', format: 'CRAM', readNumber: null },
        { uri: 's3://lab/SYN-S1.cram.crai', format: 'CRAI', readNumber: null },
      ]),
    ).toBe('sample,file\nSYN-S1,s3://lab/SYN-S1.cram\nSYN-S1,s3://lab/SYN-S1.cram.crai\n');
  });

  it('gives a run with both kinds all four columns', () => {
    expect(
      buildSamplesheet('SYN-S1', [
        fastq('s3://lab/a_R1.fq.gz', 1),
        fastq('s3://lab/a_R2.fq.gz', 2),
        { uri: 's3://lab/targets.bed', format: 'BED', readNumber: null },
      ]),
    ).toBe('sample,fastq_1,fastq_2,file\nSYN-S1,s3://lab/a_R1.fq.gz,s3://lab/a_R2.fq.gz,\nSYN-S1,,,s3://lab/targets.bed\n');
  });

  it('writes file:// inputs as local paths and quotes fields that need it', () => {
    expect(buildSamplesheet('SYN-S1,x', [{ uri: 'file:///data/run%201/a.bam', format: 'BAM', readNumber: null }])).toBe(
      'sample,file\n"SYN-S1,x",/data/run 1/a.bam\n',
    );
  });

  it('writes only the header for a run without inputs', () => {
    expect(buildSamplesheet('SYN-S1', [])).toBe('sample,fastq_1,fastq_2\n');
  });
});

describe('pairReads', () => {
  it('pairs by registered read numbers in URI order when the names do not show the pairing', () => {
    expect(pairReads([fastq('s3://lab/b.fq.gz', 2), fastq('s3://lab/a.fq.gz', 1), fastq('s3://lab/d.fq.gz', 2), fastq('s3://lab/c.fq.gz', 1)])).toEqual([
      { first: 's3://lab/a.fq.gz', second: 's3://lab/b.fq.gz' },
      { first: 's3://lab/c.fq.gz', second: 's3://lab/d.fq.gz' },
    ]);
  });

  it('refuses a read 2 without a read 1', () => {
    expect(() => pairReads([fastq('s3://lab/x_R2.fq.gz', 2)])).toThrow(SamplesheetError);
  });

  it('keeps a read 1 without a mate as a single-end row', () => {
    expect(pairReads([fastq('s3://lab/x_R1.fq.gz', 1)])).toEqual([{ first: 's3://lab/x_R1.fq.gz', second: null }]);
  });
});

describe('samplesheetLocation', () => {
  it('turns file:// into a local path and leaves other schemes alone', () => {
    expect(samplesheetLocation('file:///tmp/SYN-S1_R1.fastq.gz')).toBe('/tmp/SYN-S1_R1.fastq.gz');
    expect(samplesheetLocation('s3://lab/SYN-S1_R1.fastq.gz')).toBe('s3://lab/SYN-S1_R1.fastq.gz');
    expect(samplesheetLocation('file://other-host/x.fq.gz')).toBe('file://other-host/x.fq.gz');
  });
});
