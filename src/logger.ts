// Structured logs (pino). Request bodies and variables are never logged: variables can
// carry patient identifiers. Anything that looks like a secret is redacted as well.
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['*.authorization', '*.headers.authorization', '*.password', '*.token', '*.variables', '*.variableValues'],
      censor: '[redacted]',
    },
  });
}
