// Where the PHI keys come from. Production: configuration only, and a missing key stops
// the process. Embedded development: keys generated once into the data folder, which is
// git-ignored and holds only synthetic data; the caller is told so.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Config } from './config.ts';
import { formatKey, generateKey, parseKey, parseKeyring, PhiError, type EncryptionKeyring } from './phi.ts';

export type PhiKeys = {
  /** HMAC key of the patient pseudonym */
  pseudonymKey: Buffer;
  /** AES-256-GCM keys of the patient id ciphertext, by version */
  keyring: EncryptionKeyring;
};

export type LoadedPhiKeys = PhiKeys & {
  /** set when the keys were generated for development, to tell the user where */
  generatedFile: string | null;
};

function parseKeys(pseudonymKey: string, encryptionKeys: string, version: number | null): PhiKeys {
  try {
    return {
      pseudonymKey: parseKey(pseudonymKey, 'SEQMETA_PSEUDONYM_KEY'),
      keyring: parseKeyring(encryptionKeys, 'SEQMETA_ENCRYPTION_KEYS', version ?? undefined),
    };
  } catch (error) {
    if (error instanceof PhiError) throw new ConfigError(`Invalid configuration:\n- ${error.message}`);
    throw error;
  }
}

export async function loadPhiKeys(config: Config): Promise<LoadedPhiKeys> {
  const { pseudonymKey, encryptionKeys, encryptionKeyVersion } = config.phiKeySettings;
  if (pseudonymKey !== null && encryptionKeys !== null) {
    return { ...parseKeys(pseudonymKey, encryptionKeys, encryptionKeyVersion), generatedFile: null };
  }
  if (config.mode === 'production') {
    const missing = [
      pseudonymKey === null ? '- SEQMETA_PSEUDONYM_KEY: missing' : null,
      encryptionKeys === null ? '- SEQMETA_ENCRYPTION_KEYS: missing' : null,
    ].filter(Boolean);
    throw new ConfigError(
      `Invalid configuration:\n${missing.join('\n')}\n` +
        'Production mode never generates PHI keys: create them with `seqmeta keys generate` and keep them outside the database.',
    );
  }

  const file = path.join(config.dataDirectory, 'development-keys.json');
  if (!existsSync(file)) {
    await mkdir(config.dataDirectory, { recursive: true });
    const generated = { pseudonymKey: formatKey(generateKey()), encryptionKeys: `1:${formatKey(generateKey())}` };
    await writeFile(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600 });
  }
  const stored = JSON.parse(await readFile(file, 'utf8')) as { pseudonymKey: string; encryptionKeys: string };
  return { ...parseKeys(stored.pseudonymKey, stored.encryptionKeys, null), generatedFile: file };
}
