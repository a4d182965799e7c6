// A request refused before GraphQL runs (401, 413, 429, 503…) is answered in GraphQL's own
// shape, so a client reads every refusal the same way: errors[0].message and extensions.code.
import type { Response } from 'express';

export type Refusal = {
  status: number;
  code: string;
  message: string;
  /** e.g. Retry-After, WWW-Authenticate */
  headers?: Record<string, string>;
  /** more for the client to act on, beside the code */
  extensions?: Record<string, unknown>;
};

export function refuse(response: Response, { status, code, message, headers = {}, extensions = {} }: Refusal): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.status(status).json({ errors: [{ message, extensions: { code, ...extensions } }] });
}
