// What a child process (the server, the CLI) inherits from the process that starts it: all of
// the environment but seqmeta's own settings, so a developer's SEQMETA_*, HOST, PORT or
// LOG_LEVEL never changes what a test or a benchmark starts.
export function inheritedEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith('SEQMETA_') && !['HOST', 'PORT', 'LOG_LEVEL'].includes(entry[0]),
    ),
  );
}
