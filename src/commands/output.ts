// What the CLI tells a person goes to stderr, so stdout stays clean for --json and pipes.
export const say = (message: string): void => {
  process.stderr.write(`seqmeta: ${message.trimEnd()}\n`);
};

/** Bad flags or arguments: printed as one line, exit code 2, nothing changed. */
export class CommandInputError extends Error {
  override name = 'CommandInputError';
}
