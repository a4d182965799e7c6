// The refusals a pipeline can act on, each with a stable extensions.code. SafeError passes
// the error masking unchanged; anything else reaches the client as an opaque error id.
import { SafeError } from 'postgraphile/grafast';

export type IngestErrorCode = 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'INVALID_INPUT' | 'ILLEGAL_TRANSITION';

export function ingestError(code: IngestErrorCode, message: string, details: Record<string, unknown> = {}): SafeError {
  return new SafeError(message, { code, ...details });
}
