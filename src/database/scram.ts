// SCRAM-SHA-256 password verifiers (RFC 5802/7677, as Postgres stores them), so that
// bootstrap can set a role's password without the plaintext reaching SQL text or logs.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const iterations = 4096;

function computeVerifier(password: string, salt: Buffer, iterationCount: number): string {
  const saltedPassword = pbkdf2Sync(password.normalize('NFKC'), salt, iterationCount, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterationCount}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * The verifier for `password`. When `existing` already verifies this password it is
 * returned unchanged, so running bootstrap again leaves the catalog as it was.
 */
export function scramVerifier(password: string, existing: string | null = null): string {
  const match = existing?.match(/^SCRAM-SHA-256\$(\d+):([^$]+)\$/);
  if (match) {
    const recomputed = computeVerifier(password, Buffer.from(match[2]!, 'base64'), Number(match[1]));
    if (recomputed === existing) {
      return existing;
    }
  }
  return computeVerifier(password, randomBytes(16), iterations);
}
