// Rules on the pipeline's input, checked before any database work so a bad call changes
// nothing. The database checks the same formats again (constraints); these give the
// caller a clear message naming the offending file.
import type { IngestRules } from '../../src/config.ts';
import { ingestError } from './errors.ts';

export type FileInput = {
  uri: string;
  format: string;
  sizeBytes?: string | number | bigint | null;
  md5?: string | null;
  sha256?: string | null;
  readNumber?: number | null;
};

/** A file as the database stores it. */
export type CheckedFile = {
  uri: string;
  format: string;
  sizeBytes: string | null;
  md5: string | null;
  sha256: string | null;
  readNumber: number | null;
};

const md5Pattern = /^[0-9a-f]{32}$/;
const sha256Pattern = /^[0-9a-f]{64}$/;
const formatPattern = /^[A-Z0-9_]{1,32}$/;

function schemeOf(uri: string): string | null {
  const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  return match ? match[1]!.toLowerCase() : null;
}

export function checkFiles(
  files: readonly FileInput[],
  rules: IngestRules,
  { requireChecksum }: { requireChecksum: boolean },
): CheckedFile[] {
  if (files.length > rules.maximumFilesPerCall) {
    throw ingestError(
      'INVALID_INPUT',
      `${files.length} files in one call; at most ${rules.maximumFilesPerCall} are allowed: split the call`,
    );
  }
  const seen = new Set<string>();
  return files.map((file, index) => {
    const where = `files[${index}] (${file.uri.slice(0, 200)})`;
    const scheme = schemeOf(file.uri);
    if (scheme === null || file.uri.length > 2048 || file.uri !== file.uri.trim()) {
      throw ingestError('INVALID_INPUT', `${where}: not a URI of the form scheme://…`);
    }
    if (!rules.uriSchemes.includes(scheme)) {
      throw ingestError('INVALID_INPUT', `${where}: scheme "${scheme}" is not allowed (allowed: ${rules.uriSchemes.join(', ')})`);
    }
    if (seen.has(file.uri)) throw ingestError('INVALID_INPUT', `${where}: listed twice in one call`);
    seen.add(file.uri);
    const format = file.format.toUpperCase();
    if (!formatPattern.test(format)) {
      throw ingestError('INVALID_INPUT', `${where}: format must be letters, digits or _ (e.g. BAM, FASTQ, VCF)`);
    }
    const md5 = file.md5?.toLowerCase() ?? null;
    const sha256 = file.sha256?.toLowerCase() ?? null;
    if (md5 !== null && !md5Pattern.test(md5)) throw ingestError('INVALID_INPUT', `${where}: md5 must be 32 hex digits`);
    if (sha256 !== null && !sha256Pattern.test(sha256)) {
      throw ingestError('INVALID_INPUT', `${where}: sha256 must be 64 hex digits`);
    }
    if (requireChecksum && md5 === null && sha256 === null) {
      throw ingestError('INVALID_INPUT', `${where}: an output needs an md5 or a sha256`);
    }
    let sizeBytes: string | null = null;
    if (file.sizeBytes !== undefined && file.sizeBytes !== null) {
      const text = String(file.sizeBytes);
      if (!/^\d+$/.test(text) || BigInt(text) > 9223372036854775807n) {
        throw ingestError('INVALID_INPUT', `${where}: sizeBytes must be a whole number ≥ 0`);
      }
      sizeBytes = text;
    }
    const readNumber = file.readNumber ?? null;
    if (readNumber !== null && readNumber !== 1 && readNumber !== 2) {
      throw ingestError('INVALID_INPUT', `${where}: readNumber must be 1 or 2 (the mates of paired-end reads)`);
    }
    return { uri: file.uri, format, sizeBytes, md5, sha256, readNumber };
  });
}

// Line breaks and tabs are fine in a message; other controls (NUL, BEL, ESC sequences) would
// corrupt terminals and logs that show the text. A lone surrogate would reach the database
// as U+FFFD: the text stored would not be the text sent.
const unreadableCharacter = /[\p{Cs}\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;

/** Free text a person may have to read: bounded, and without control characters. */
export function checkText(value: string | null | undefined, field: string, maximumLength: number): string | null {
  if (value === undefined || value === null) return null;
  if (value.length === 0 || value.length > maximumLength) {
    throw ingestError('INVALID_INPUT', `${field} must be 1 to ${maximumLength} characters`);
  }
  if (unreadableCharacter.test(value)) {
    throw ingestError('INVALID_INPUT', `${field} contains a control character or broken Unicode; send plain text (line breaks and tabs are fine)`);
  }
  return value;
}

/** A calendar date as YYYY-MM-DD. The message never repeats the value: dates of a person are PHI. */
export function checkDate(value: string | null | undefined, field: string): string | null {
  if (value === undefined || value === null) return null;
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : null;
  if (!parsed || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value) {
    throw ingestError('INVALID_INPUT', `${field} must be a calendar date written YYYY-MM-DD`);
  }
  return value;
}
