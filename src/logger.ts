// Structured logs (pino). Request bodies and variables are never logged: variables can
// carry patient identifiers. Anything that looks like a secret is redacted as well.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

/** `destination`: stdout unless given (tests capture the lines to check what is logged). */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: {
      paths: ['*.authorization', '*.headers.authorization', '*.password', '*.token', '*.variables', '*.variableValues'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * A database error as it may be logged. Postgres quotes offending values in its message for
 * data exceptions (class 22) and in `detail` for constraint violations; request values can
 * be patient identifiers, so those parts stay out of the log.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  const { name, message, stack, code, routine, constraint, table, column, schema } = error as Record<string, unknown> & {
    code?: string;
  };
  const quotesValues = typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
  return { name, code, routine, constraint, schema, table, column, message: quotesValues ? undefined : message, stack: quotesValues ? undefined : stack };
}
