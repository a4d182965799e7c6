// Patient identifiers are PHI: the database only ever sees a keyed pseudonym (for joins
// and look-ups) and an authenticated ciphertext (for the few who may read the id back).
// Both are computed here, in the ingest process, so plaintext never reaches SQL text or
// server logs (DESIGN.md §3). Nothing in this file logs, reads the environment or keeps
// state: keys are passed in by the caller, which got them from the typed config.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

export type PhiErrorCode =
  | 'INVALID_PATIENT_ID'
  | 'INVALID_KEY'
  | 'INVALID_KEYRING'
  | 'INVALID_ASSOCIATED_DATA'
  | 'UNKNOWN_KEY_VERSION'
  | 'DECRYPTION_FAILED';

// Messages never contain a patient id or key material, so a PhiError can be logged or
// shown to an operator as it is.
export class PhiError extends Error {
  override readonly name = 'PhiError';
  readonly code: PhiErrorCode;

  constructor(code: PhiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export type EncryptionKeyring = {
  currentVersion: number;
  keys: ReadonlyMap<number, Buffer>;
};

export type EncryptedPatientId = {
  ciphertext: Buffer;
  keyVersion: number;
};

export const KEY_BYTES = 32;
export const MAXIMUM_PATIENT_ID_LENGTH = 128;

// 96-bit nonces are what GCM is specified for; other lengths go through an extra GHASH
// step and lose the nonce-collision bounds that make random nonces safe.
const NONCE_BYTES = 12;
// A full-length tag; Node would otherwise accept truncated tags on decryption.
const AUTH_TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';

// Tabs, newlines and other whitespace are removed as copy-paste noise before this
// check; what is left of Cc (C0/C1 controls) or Cf (zero-width and direction marks)
// would make two ids that look identical hash differently, so they are refused.
const INVISIBLE_CHARACTER = /[\p{Cc}\p{Cf}]/u;
// A lone surrogate (half of a UTF-16 pair, category Cs) is not text: encoded to UTF-8 it
// becomes U+FFFD, so the id stored would not be the id sent.
const BROKEN_UNICODE = /\p{Cs}/u;

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
// 32 bytes are 43 base64 characters plus one '=' of padding. The last character carries
// only 2 bits of key, so its low 4 bits must be zero for the text to be canonical;
// Buffer.from(text, 'base64') would otherwise silently skip or accept stray characters.
const BASE64_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=?$/;
const POSITIVE_INTEGER = /^[1-9][0-9]*$/;

export function normalisePatientId(raw: string): string {
  const normalised = raw.trim().toUpperCase().replace(/\s+/gu, '');
  if (normalised.length === 0) {
    throw new PhiError('INVALID_PATIENT_ID', 'patient id is empty');
  }
  // Counted in code points so the limit means the same for any script.
  if ([...normalised].length > MAXIMUM_PATIENT_ID_LENGTH) {
    throw new PhiError(
      'INVALID_PATIENT_ID',
      `patient id is longer than ${MAXIMUM_PATIENT_ID_LENGTH} characters`,
    );
  }
  if (INVISIBLE_CHARACTER.test(normalised)) {
    throw new PhiError('INVALID_PATIENT_ID', 'patient id contains control or invisible characters');
  }
  if (BROKEN_UNICODE.test(normalised)) {
    throw new PhiError('INVALID_PATIENT_ID', 'patient id is not valid Unicode text (a lone surrogate)');
  }
  return normalised;
}

// Keyed rather than a bare hash: a medical record number space is small enough to
// enumerate, so without the key every pseudonym could be reversed by brute force.
export function pseudonymisePatientId(pseudonymKey: Buffer, patientId: string): string {
  assertKey(pseudonymKey, 'pseudonym key');
  return createHmac('sha256', pseudonymKey).update(normalisePatientId(patientId), 'utf8').digest('hex');
}

// associatedData is authenticated but not encrypted; binding the row's patient_hash here
// means a ciphertext copied into another row no longer decrypts.
export function encryptPatientId(
  keyring: EncryptionKeyring,
  patientId: string,
  associatedData: string,
): EncryptedPatientId {
  assertAssociatedData(associatedData);
  const keyVersion = keyring.currentVersion;
  const key = keyForVersion(keyring, keyVersion);
  const plaintext = Buffer.from(normalisePatientId(patientId), 'utf8');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: AUTH_TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const encrypted = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    ciphertext: Buffer.concat([nonce, encrypted, cipher.getAuthTag()]),
    keyVersion,
  };
}

export function decryptPatientId(
  keyring: EncryptionKeyring,
  ciphertext: Buffer,
  keyVersion: number,
  associatedData: string,
): string {
  assertAssociatedData(associatedData);
  const key = keyForVersion(keyring, keyVersion);
  // A patient id is never empty, so a valid ciphertext has at least one encrypted byte.
  if (ciphertext.length <= NONCE_BYTES + AUTH_TAG_BYTES) {
    throw new PhiError(
      'DECRYPTION_FAILED',
      `patient id ciphertext is ${ciphertext.length} bytes; at least ${NONCE_BYTES + AUTH_TAG_BYTES + 1} are expected (nonce, data, authentication tag)`,
    );
  }
  const nonce = ciphertext.subarray(0, NONCE_BYTES);
  const encrypted = ciphertext.subarray(NONCE_BYTES, ciphertext.length - AUTH_TAG_BYTES);
  const authTag = ciphertext.subarray(ciphertext.length - AUTH_TAG_BYTES);
  try {
    const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: AUTH_TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(authTag);
    const plaintext = Buffer.concat([decipher.update(encrypted), decipher.final()]);
    // Authenticated bytes are only invalid UTF-8 if whoever held the key wrote them
    // that way; better to fail than to hand back replacement characters.
    return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch (error) {
    throw new PhiError(
      'DECRYPTION_FAILED',
      `patient id ciphertext did not authenticate with key version ${keyVersion}: ` +
        'the key is wrong, the associated data (patient hash) does not match, or the ciphertext was altered',
      { cause: error },
    );
  }
}

export function parseKey(text: string, name: string): Buffer {
  const trimmed = text.trim();
  if (HEX_KEY.test(trimmed)) {
    return Buffer.from(trimmed, 'hex');
  }
  if (BASE64_KEY.test(trimmed)) {
    return Buffer.from(trimmed, 'base64');
  }
  // The length is reported because it tells a 16-byte key or a passphrase apart from a
  // typo, and reveals nothing usable about the key.
  throw new PhiError(
    'INVALID_KEY',
    `${name} must be a ${KEY_BYTES}-byte key written as base64 (44 characters) or hex ` +
      `(64 characters); the value given has ${trimmed.length} characters`,
  );
}

// Versions let keys be rotated without re-encrypting history: old rows keep the version
// they were written with, new rows use currentVersion.
export function parseKeyring(text: string, name: string, currentVersion?: number): EncryptionKeyring {
  const entries = text.split(',').map((entry) => entry.trim());
  const keys = new Map<number, Buffer>();
  entries.forEach((entry, index) => {
    const position = index + 1;
    const separator = entry.indexOf(':');
    if (separator === -1) {
      throw new PhiError(
        'INVALID_KEYRING',
        `${name} entry ${position} must be written as <version>:<key>, entries separated by commas, e.g. 1:<key>,2:<key>`,
      );
    }
    const versionText = entry.slice(0, separator).trim();
    const version = Number(versionText);
    if (!POSITIVE_INTEGER.test(versionText) || !Number.isSafeInteger(version)) {
      throw new PhiError(
        'INVALID_KEYRING',
        `${name} entry ${position} must start with a positive integer key version before the colon`,
      );
    }
    if (keys.has(version)) {
      throw new PhiError('INVALID_KEYRING', `${name} lists key version ${version} more than once`);
    }
    keys.set(version, parseKey(entry.slice(separator + 1), `${name} key version ${version}`));
  });

  // Two versions sharing a key means a rotation that rotated nothing.
  const versionedKeys = [...keys.entries()];
  for (const [index, [version, key]] of versionedKeys.entries()) {
    for (const [otherVersion, otherKey] of versionedKeys.slice(index + 1)) {
      if (timingSafeEqual(key, otherKey)) {
        throw new PhiError(
          'INVALID_KEYRING',
          `${name} key versions ${version} and ${otherVersion} have the same key; each version needs its own`,
        );
      }
    }
  }

  const versions = [...keys.keys()];
  const chosenVersion = currentVersion ?? Math.max(...versions);
  if (!keys.has(chosenVersion)) {
    throw new PhiError(
      'INVALID_KEYRING',
      `${name} has no key version ${chosenVersion} to use as the current version; it has ${versions.join(', ')}`,
    );
  }
  return { currentVersion: chosenVersion, keys };
}

export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function formatKey(key: Buffer): string {
  assertKey(key, 'key');
  return key.toString('base64');
}

function keyForVersion(keyring: EncryptionKeyring, keyVersion: number): Buffer {
  const key = keyring.keys.get(keyVersion);
  if (key === undefined) {
    const known = [...keyring.keys.keys()].join(', ') || 'none';
    throw new PhiError(
      'UNKNOWN_KEY_VERSION',
      `encryption key version ${keyVersion} is not in the keyring (known versions: ${known})`,
    );
  }
  assertKey(key, `encryption key version ${keyVersion}`);
  return key;
}

function assertKey(key: Buffer, description: string): void {
  if (key.length !== KEY_BYTES) {
    throw new PhiError('INVALID_KEY', `${description} must be exactly ${KEY_BYTES} bytes, not ${key.length}`);
  }
}

// An empty binding would silently let ciphertexts move between rows.
function assertAssociatedData(associatedData: string): void {
  if (associatedData.length === 0) {
    throw new PhiError('INVALID_ASSOCIATED_DATA', 'associated data (the patient hash) must not be empty');
  }
}
