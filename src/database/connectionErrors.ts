// Turns the errors of a failed connection into one line that says what to fix, naming the
// setting and the server but never the password.

/** host:port/database of a postgres URL, for messages */
export function describeServer(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

export class DatabaseConnectionError extends Error {
  override name = 'DatabaseConnectionError';
}

export function explainConnectionError(error: unknown, url: string, settingName: string): DatabaseConnectionError {
  const parsed = new URL(url);
  const server = describeServer(url);
  const user = decodeURIComponent(parsed.username) || '(none)';
  const code = (error as { code?: string }).code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: `nothing is listening at ${server}: is Postgres running there?`,
    ENOTFOUND: `the host in ${settingName} (${parsed.hostname}) does not resolve`,
    ETIMEDOUT: `${server} did not answer in time`,
    '28P01': `Postgres refused the password of "${user}" at ${server}`,
    '28000': `Postgres refused the login "${user}" at ${server} (no such role, or pg_hba.conf rejects it)`,
    '3D000': `the database in ${settingName} does not exist at ${server}: run \`seqmeta db bootstrap\` first`,
    '42501': `"${user}" may not connect to ${server}`,
  };
  const reason = (code && reasons[code]) ?? `cannot connect to ${server} as "${user}": ${(error as Error).message}`;
  return new DatabaseConnectionError(`${reason}. Check ${settingName}.`, { cause: error });
}
