import { describe, expect, it } from 'vitest';

import {
  decryptPatientId,
  encryptPatientId,
  formatKey,
  generateKey,
  normalisePatientId,
  parseKey,
  parseKeyring,
  PhiError,
  pseudonymisePatientId,
  type EncryptionKeyring,
  type PhiErrorCode,
} from '../../src/phi.ts';

// Synthetic keys: bytes 0x00..0x1f and 0x20..0x3f.
const PSEUDONYM_KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const PSEUDONYM_KEY = Buffer.from(PSEUDONYM_KEY_HEX, 'hex');
const ENCRYPTION_KEY_HEX = '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f';
const ENCRYPTION_KEY_BASE64 = 'ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=';
const ENCRYPTION_KEY = Buffer.from(ENCRYPTION_KEY_HEX, 'hex');
const OTHER_KEY = Buffer.alloc(32, 0x5a);

// Computed independently of this module:
//   printf %s 'SYN-PAT-000001' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$PSEUDONYM_KEY_HEX
const HASH_OF_SYN_PAT_000001 = 'fa13dd81c376ec0dba3e2fb886f7828a2d20e821b3b21c9f7f991b041f99ffbd';
const HASH_OF_SYN_PAT_000002 = '3468ba9081230fd189aee6f08623c301582470e21fc34ae1988b6e450e0951b4';
//   printf %s 'SYN-PAT-000001' | openssl dgst -sha256 -hmac 'synthetic-test-key-0123456789abc'
const HASH_WITH_ASCII_KEY = '9a95bdb4b99cf30f80d7a5a5f21ec4860aab11d9f8472c1b53981d9c0ae564c0';

// Computed with Python's cryptography AESGCM(ENCRYPTION_KEY).encrypt(nonce a0..ab,
// b'SYN-PAT-000001', HASH_OF_SYN_PAT_000001 as ASCII), nonce prepended: pins the
// nonce || encrypted bytes || tag layout that stored rows depend on.
const FIXED_CIPHERTEXT = Buffer.from(
  'a0a1a2a3a4a5a6a7a8a9aaab2d65ea199496d48791189d8a166c9478d534336b6cfd221d580e17d2c799',
  'hex',
);

function keyring(currentVersion: number, keys: Array<[number, Buffer]>): EncryptionKeyring {
  return { currentVersion, keys: new Map(keys) };
}

function phiErrorFrom(action: () => unknown): PhiError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(PhiError);
    return error as PhiError;
  }
  throw new Error('expected a PhiError, but nothing was thrown');
}

function expectPhiError(action: () => unknown, code: PhiErrorCode): PhiError {
  const error = phiErrorFrom(action);
  expect(error.code).toBe(code);
  return error;
}

describe('normalisePatientId', () => {
  it.each([
    ['SYN-PAT-000001', 'SYN-PAT-000001'],
    ['syn-pat-000001', 'SYN-PAT-000001'],
    ['  SYN-PAT-000001\t\r\n', 'SYN-PAT-000001'],
    ['SYN - PAT - 000001', 'SYN-PAT-000001'],
    ['syn\tpat\n000001', 'SYNPAT000001'],
    ['\u00a0SYN-PAT-000001\u3000', 'SYN-PAT-000001'],
    ['\ufeffSYN-PAT-000001', 'SYN-PAT-000001'],
  ])('normalises %j to %j', (raw, expected) => {
    expect(normalisePatientId(raw)).toBe(expected);
  });

  it.each(['', '   ', '\t\n'])('rejects %j as empty', (raw) => {
    const error = expectPhiError(() => normalisePatientId(raw), 'INVALID_PATIENT_ID');
    expect(error.message).toMatch(/empty/);
  });

  it('accepts exactly 128 characters and rejects 129', () => {
    const longest = 'SYN-' + 'X'.repeat(124);
    expect(normalisePatientId(longest)).toHaveLength(128);
    const error = expectPhiError(() => normalisePatientId(longest + 'X'), 'INVALID_PATIENT_ID');
    expect(error.message).toMatch(/128/);
  });

  it('measures the length after removing whitespace', () => {
    expect(normalisePatientId(' '.repeat(50) + 'SYN-' + 'X'.repeat(124) + ' '.repeat(50))).toHaveLength(128);
  });

  it.each([
    ['NUL', 'SYN-PAT\u0000-000001'],
    ['escape', 'SYN-PAT\u001b-000001'],
    ['delete', 'SYN-PAT\u007f-000001'],
    ['C1 next line', 'SYN-PAT\u0085-000001'],
    ['zero-width space', 'SYN-PAT\u200b-000001'],
    ['right-to-left override', 'SYN-PAT\u202e-000001'],
  ])('rejects a %s character', (_description, raw) => {
    expectPhiError(() => normalisePatientId(raw), 'INVALID_PATIENT_ID');
  });

  it('rejects a lone surrogate, which UTF-8 would turn into another id', () => {
    const error = expectPhiError(() => normalisePatientId('SYN-PAT-\ud800-000001'), 'INVALID_PATIENT_ID');
    expect(error.message).toMatch(/not valid Unicode/);
    expect(normalisePatientId('SYN-PAT-\u{1F9EC}')).toBe('SYN-PAT-\u{1F9EC}');
  });

  it('never echoes the id in its error message', () => {
    const error = expectPhiError(() => normalisePatientId('SYN-PAT-\u0000SECRET'), 'INVALID_PATIENT_ID');
    expect(error.message).not.toContain('SYN-PAT');
    expect(error.message).not.toContain('SECRET');
  });
});

describe('pseudonymisePatientId', () => {
  it('matches HMAC-SHA256 vectors computed with openssl', () => {
    expect(pseudonymisePatientId(PSEUDONYM_KEY, 'SYN-PAT-000001')).toBe(HASH_OF_SYN_PAT_000001);
    expect(pseudonymisePatientId(PSEUDONYM_KEY, 'SYN-PAT-000002')).toBe(HASH_OF_SYN_PAT_000002);
    const asciiKey = Buffer.from('synthetic-test-key-0123456789abc', 'utf8');
    expect(pseudonymisePatientId(asciiKey, 'SYN-PAT-000001')).toBe(HASH_WITH_ASCII_KEY);
  });

  it('hashes the normalised id, so spelling variants get the same pseudonym', () => {
    expect(pseudonymisePatientId(PSEUDONYM_KEY, '  syn-pat-000001 ')).toBe(HASH_OF_SYN_PAT_000001);
    expect(pseudonymisePatientId(PSEUDONYM_KEY, 'SYN-PAT- 000001')).toBe(HASH_OF_SYN_PAT_000001);
  });

  it('returns 64 lowercase hex characters', () => {
    expect(pseudonymisePatientId(generateKey(), 'SYN-PAT-000003')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('depends on the key', () => {
    expect(pseudonymisePatientId(OTHER_KEY, 'SYN-PAT-000001')).not.toBe(HASH_OF_SYN_PAT_000001);
  });

  it.each([0, 16, 31, 33, 64])('rejects a %i-byte key', (length) => {
    expectPhiError(() => pseudonymisePatientId(Buffer.alloc(length, 1), 'SYN-PAT-000001'), 'INVALID_KEY');
  });

  it('rejects an invalid id', () => {
    expectPhiError(() => pseudonymisePatientId(PSEUDONYM_KEY, '  '), 'INVALID_PATIENT_ID');
  });
});

describe('encryptPatientId and decryptPatientId', () => {
  const version1 = keyring(1, [[1, ENCRYPTION_KEY]]);

  it('decrypts a ciphertext produced by an independent AES-256-GCM implementation', () => {
    expect(decryptPatientId(version1, FIXED_CIPHERTEXT, 1, HASH_OF_SYN_PAT_000001)).toBe('SYN-PAT-000001');
  });

  it('round-trips the normalised id under the current key version', () => {
    const encrypted = encryptPatientId(version1, ' syn-pat-000001 ', HASH_OF_SYN_PAT_000001);
    expect(encrypted.keyVersion).toBe(1);
    expect(decryptPatientId(version1, encrypted.ciphertext, 1, HASH_OF_SYN_PAT_000001)).toBe('SYN-PAT-000001');
  });

  it('lays out nonce, encrypted bytes and a 16-byte tag, longer than the 28 bytes the database requires', () => {
    const { ciphertext } = encryptPatientId(version1, 'SYN-PAT-000001', HASH_OF_SYN_PAT_000001);
    expect(ciphertext).toHaveLength(12 + 'SYN-PAT-000001'.length + 16);
    expect(ciphertext.length).toBeGreaterThan(28);
    expect(ciphertext.includes(Buffer.from('SYN-PAT-000001'))).toBe(false);
  });

  it('uses a fresh nonce for every encryption', () => {
    const first = encryptPatientId(version1, 'SYN-PAT-000001', HASH_OF_SYN_PAT_000001).ciphertext;
    const second = encryptPatientId(version1, 'SYN-PAT-000001', HASH_OF_SYN_PAT_000001).ciphertext;
    expect(first.subarray(0, 12).equals(second.subarray(0, 12))).toBe(false);
    expect(first.equals(second)).toBe(false);
  });

  it('keeps old ciphertexts readable after rotating to a new key version', () => {
    const old = encryptPatientId(version1, 'SYN-PAT-000001', HASH_OF_SYN_PAT_000001);
    const rotated = keyring(2, [
      [1, ENCRYPTION_KEY],
      [2, OTHER_KEY],
    ]);
    const fresh = encryptPatientId(rotated, 'SYN-PAT-000002', HASH_OF_SYN_PAT_000002);

    expect(old.keyVersion).toBe(1);
    expect(fresh.keyVersion).toBe(2);
    expect(decryptPatientId(rotated, old.ciphertext, 1, HASH_OF_SYN_PAT_000001)).toBe('SYN-PAT-000001');
    expect(decryptPatientId(rotated, fresh.ciphertext, 2, HASH_OF_SYN_PAT_000002)).toBe('SYN-PAT-000002');
    // The new ciphertext really is under the version 2 key, not the old one.
    expectPhiError(
      () => decryptPatientId(rotated, fresh.ciphertext, 1, HASH_OF_SYN_PAT_000002),
      'DECRYPTION_FAILED',
    );
  });

  it('fails with DECRYPTION_FAILED under the wrong key', () => {
    const wrongKey = keyring(1, [[1, OTHER_KEY]]);
    const error = expectPhiError(
      () => decryptPatientId(wrongKey, FIXED_CIPHERTEXT, 1, HASH_OF_SYN_PAT_000001),
      'DECRYPTION_FAILED',
    );
    expect(error.message).toMatch(/key version 1/);
  });

  it.each([
    ['nonce', 0],
    ['encrypted bytes', 12],
    ['authentication tag', FIXED_CIPHERTEXT.length - 1],
  ])('fails with DECRYPTION_FAILED when a byte of the %s is altered', (_region, offset) => {
    const tampered = Buffer.from(FIXED_CIPHERTEXT);
    tampered[offset] = tampered[offset]! ^ 0x01;
    expectPhiError(() => decryptPatientId(version1, tampered, 1, HASH_OF_SYN_PAT_000001), 'DECRYPTION_FAILED');
  });

  it('fails with DECRYPTION_FAILED when the ciphertext is moved to another row', () => {
    const error = expectPhiError(
      () => decryptPatientId(version1, FIXED_CIPHERTEXT, 1, HASH_OF_SYN_PAT_000002),
      'DECRYPTION_FAILED',
    );
    expect(error.message).toMatch(/associated data/);
  });

  it.each([0, 12, 28])('fails with DECRYPTION_FAILED on a ciphertext of only %i bytes', (length) => {
    expectPhiError(
      () => decryptPatientId(version1, FIXED_CIPHERTEXT.subarray(0, length), 1, HASH_OF_SYN_PAT_000001),
      'DECRYPTION_FAILED',
    );
  });

  it('names an unknown key version', () => {
    const error = expectPhiError(
      () => decryptPatientId(version1, FIXED_CIPHERTEXT, 7, HASH_OF_SYN_PAT_000001),
      'UNKNOWN_KEY_VERSION',
    );
    expect(error.message).toMatch(/\b7\b/);
  });

  it('refuses to encrypt when the current version has no key', () => {
    const broken = keyring(2, [[1, ENCRYPTION_KEY]]);
    expectPhiError(() => encryptPatientId(broken, 'SYN-PAT-000001', HASH_OF_SYN_PAT_000001), 'UNKNOWN_KEY_VERSION');
  });

  it('refuses a keyring key that is not 32 bytes', () => {
    const short = keyring(1, [[1, Buffer.alloc(16, 1)]]);
    expectPhiError(() => encryptPatientId(short, 'SYN-PAT-000001', HASH_OF_SYN_PAT_000001), 'INVALID_KEY');
  });

  it('refuses empty associated data, which would bind the ciphertext to nothing', () => {
    expectPhiError(() => encryptPatientId(version1, 'SYN-PAT-000001', ''), 'INVALID_ASSOCIATED_DATA');
    expectPhiError(() => decryptPatientId(version1, FIXED_CIPHERTEXT, 1, ''), 'INVALID_ASSOCIATED_DATA');
  });

  it('refuses to encrypt an invalid id', () => {
    expectPhiError(() => encryptPatientId(version1, '\u0000', HASH_OF_SYN_PAT_000001), 'INVALID_PATIENT_ID');
  });

  it('keeps plaintext and key material out of error messages', () => {
    const messages = [
      phiErrorFrom(() => decryptPatientId(keyring(1, [[1, OTHER_KEY]]), FIXED_CIPHERTEXT, 1, HASH_OF_SYN_PAT_000001)),
      phiErrorFrom(() => decryptPatientId(version1, FIXED_CIPHERTEXT, 1, HASH_OF_SYN_PAT_000002)),
      phiErrorFrom(() => decryptPatientId(version1, FIXED_CIPHERTEXT, 9, HASH_OF_SYN_PAT_000001)),
    ].map((error) => error.message);
    for (const message of messages) {
      expect(message).not.toContain('SYN-PAT');
      expect(message).not.toContain(ENCRYPTION_KEY_HEX);
      expect(message).not.toContain(ENCRYPTION_KEY_BASE64);
      expect(message).not.toContain(OTHER_KEY.toString('hex'));
    }
  });
});

describe('parseKey', () => {
  it('reads the same key from hex, upper-case hex and base64', () => {
    expect(parseKey(ENCRYPTION_KEY_HEX, 'SEQMETA_TEST_KEY').equals(ENCRYPTION_KEY)).toBe(true);
    expect(parseKey(ENCRYPTION_KEY_HEX.toUpperCase(), 'SEQMETA_TEST_KEY').equals(ENCRYPTION_KEY)).toBe(true);
    expect(parseKey(ENCRYPTION_KEY_BASE64, 'SEQMETA_TEST_KEY').equals(ENCRYPTION_KEY)).toBe(true);
  });

  it('tolerates surrounding whitespace and missing base64 padding', () => {
    expect(parseKey(`  ${ENCRYPTION_KEY_HEX}\n`, 'SEQMETA_TEST_KEY').equals(ENCRYPTION_KEY)).toBe(true);
    expect(parseKey(ENCRYPTION_KEY_BASE64.slice(0, -1), 'SEQMETA_TEST_KEY').equals(ENCRYPTION_KEY)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['16-byte hex', ENCRYPTION_KEY_HEX.slice(0, 32)],
    ['33-byte hex', ENCRYPTION_KEY_HEX + 'ab'],
    ['hex with a non-hex character', ENCRYPTION_KEY_HEX.slice(0, 63) + 'g'],
    ['16-byte base64', Buffer.alloc(16, 7).toString('base64')],
    ['48-byte base64', Buffer.alloc(48, 7).toString('base64')],
    ['base64 with a stray character', ENCRYPTION_KEY_BASE64.slice(0, 20) + '*' + ENCRYPTION_KEY_BASE64.slice(21)],
    ['non-canonical base64 final character', ENCRYPTION_KEY_BASE64.slice(0, 42) + '9='],
    ['base64url alphabet', Buffer.alloc(32, 0xfb).toString('base64url')],
    ['a passphrase', 'synthetic passphrase, not a key'],
  ])('rejects %s', (_description, text) => {
    expectPhiError(() => parseKey(text, 'SEQMETA_TEST_KEY'), 'INVALID_KEY');
  });

  it('names the setting and the expected format without echoing the value', () => {
    const value = ENCRYPTION_KEY_HEX.slice(0, 40);
    const error = expectPhiError(() => parseKey(value, 'SEQMETA_TEST_KEY'), 'INVALID_KEY');
    expect(error.message).toContain('SEQMETA_TEST_KEY');
    expect(error.message).toMatch(/32-byte/);
    expect(error.message).toMatch(/base64/);
    expect(error.message).toMatch(/hex/);
    expect(error.message).not.toContain(value);
    expect(error.message).not.toContain(value.slice(0, 8));
  });
});

describe('parseKeyring', () => {
  const otherBase64 = OTHER_KEY.toString('base64');

  it('reads versions and defaults the current version to the highest', () => {
    const parsed = parseKeyring(`2:${otherBase64}, 1:${ENCRYPTION_KEY_HEX}`, 'SEQMETA_TEST_KEYRING');
    expect(parsed.currentVersion).toBe(2);
    expect([...parsed.keys.keys()].sort()).toEqual([1, 2]);
    expect(parsed.keys.get(1)?.equals(ENCRYPTION_KEY)).toBe(true);
    expect(parsed.keys.get(2)?.equals(OTHER_KEY)).toBe(true);
  });

  it('picks the highest version as current wherever it is listed', () => {
    const thirdKey = Buffer.alloc(32, 0x33).toString('base64');
    const parsed = parseKeyring(`1:${ENCRYPTION_KEY_BASE64},3:${thirdKey},2:${otherBase64}`, 'SEQMETA_TEST_KEYRING');
    expect(parsed.currentVersion).toBe(3);
  });

  it('accepts an explicit current version', () => {
    const parsed = parseKeyring(`1:${ENCRYPTION_KEY_BASE64},2:${otherBase64}`, 'SEQMETA_TEST_KEYRING', 1);
    expect(parsed.currentVersion).toBe(1);
  });

  it('reads a single-key keyring', () => {
    const parsed = parseKeyring(`5:${ENCRYPTION_KEY_BASE64}`, 'SEQMETA_TEST_KEYRING');
    expect(parsed.currentVersion).toBe(5);
    expect(parsed.keys.size).toBe(1);
  });

  it('produces a keyring that decrypts the fixed vector', () => {
    const parsed = parseKeyring(`1:${ENCRYPTION_KEY_BASE64}`, 'SEQMETA_TEST_KEYRING');
    expect(decryptPatientId(parsed, FIXED_CIPHERTEXT, 1, HASH_OF_SYN_PAT_000001)).toBe('SYN-PAT-000001');
  });

  it.each([
    ['empty text', ''],
    ['a key without a version', ENCRYPTION_KEY_BASE64],
    ['a trailing comma', `1:${ENCRYPTION_KEY_BASE64},`],
    ['version zero', `0:${ENCRYPTION_KEY_BASE64}`],
    ['a negative version', `-1:${ENCRYPTION_KEY_BASE64}`],
    ['a fractional version', `1.5:${ENCRYPTION_KEY_BASE64}`],
    ['a leading-zero version', `01:${ENCRYPTION_KEY_BASE64}`],
    ['a version beyond safe integers', `9007199254740993:${ENCRYPTION_KEY_BASE64}`],
    ['an empty version', `:${ENCRYPTION_KEY_BASE64}`],
    ['a repeated version', `1:${ENCRYPTION_KEY_BASE64},1:${otherBase64}`],
    ['the same key under two versions', `1:${ENCRYPTION_KEY_BASE64},2:${ENCRYPTION_KEY_HEX}`],
  ])('rejects %s', (_description, text) => {
    const error = expectPhiError(() => parseKeyring(text, 'SEQMETA_TEST_KEYRING'), 'INVALID_KEYRING');
    expect(error.message).toContain('SEQMETA_TEST_KEYRING');
    expect(error.message).not.toContain(ENCRYPTION_KEY_BASE64);
  });

  it('rejects a malformed key and names the setting and version', () => {
    const error = expectPhiError(
      () => parseKeyring(`1:${ENCRYPTION_KEY_BASE64},2:not-a-key`, 'SEQMETA_TEST_KEYRING'),
      'INVALID_KEY',
    );
    expect(error.message).toContain('SEQMETA_TEST_KEYRING');
    expect(error.message).toMatch(/version 2/);
    expect(error.message).not.toContain('not-a-key');
  });

  it('rejects a current version that has no key', () => {
    const error = expectPhiError(
      () => parseKeyring(`1:${ENCRYPTION_KEY_BASE64}`, 'SEQMETA_TEST_KEYRING', 3),
      'INVALID_KEYRING',
    );
    expect(error.message).toContain('SEQMETA_TEST_KEYRING');
    expect(error.message).toMatch(/\b3\b/);
  });
});

describe('generateKey and formatKey', () => {
  it('generates distinct 32-byte keys', () => {
    const first = generateKey();
    const second = generateKey();
    expect(first).toHaveLength(32);
    expect(first.equals(second)).toBe(false);
  });

  it('formats a key as base64 that parseKey reads back', () => {
    expect(formatKey(ENCRYPTION_KEY)).toBe(ENCRYPTION_KEY_BASE64);
    const generated = generateKey();
    expect(parseKey(formatKey(generated), 'SEQMETA_TEST_KEY').equals(generated)).toBe(true);
  });

  it('refuses to format a key of the wrong length', () => {
    expectPhiError(() => formatKey(Buffer.alloc(31)), 'INVALID_KEY');
  });
});
