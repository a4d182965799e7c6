// Trusted documents (persisted operations), with @grafserv/persisted: when
// SEQMETA_PERSISTED_OPERATIONS_DIR names a folder of `<id>.graphql` files (the frontend's
// operations, built with it), a request names its operation by id (`documentId`, or Apollo's
// `extensions.persistedQuery.sha256Hash`) instead of sending a document, and an unknown id is
// refused. Only some callers may still send documents of their own: tokens with the ingest
// scope (the pipeline's CLI writes its own operations), or, when the operator says so, any
// valid token (researchers in GraphiQL). Anonymous callers never may.
//
// A guard runs before @grafserv/persisted and refuses, with a message and a code, what the
// package would refuse: the package reports such a request by printing it whole, variables
// included, to the console, and variables may carry patient identifiers.
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PersistedPlugin } from '@grafserv/persisted';
import { SafeError } from 'postgraphile/grafast';
import type { ParsedGraphQLBody, ProcessGraphQLRequestBodyEvent } from 'postgraphile/grafserv';
import type { Principal } from '../src/authentication.ts';
import type { EdgeProtection } from '../src/config.ts';
import type { Logger } from '../src/logger.ts';

export type UnpersistedOperationsFrom = EdgeProtection['unpersistedOperationsFrom'];

export type TrustedDocumentsOptions = {
  /** the folder of `<id>.graphql` files */
  directory: string;
  /** who may send documents of their own */
  unpersistedOperationsFrom: UnpersistedOperationsFrom;
  logger: Logger;
  /** an id not in the folder makes it be read again, at most this often */
  rescanMilliseconds?: number;
};

/** the guard's plugin name (plugins/operationObserver.ts goes before it) */
export const TRUSTED_DOCUMENTS_GUARD_PLUGIN = 'SeqmetaTrustedDocumentsGuardPlugin';

const DOCUMENT_FILE = /^([A-Za-z0-9_-]{1,200})\.graphql$/;
const DOCUMENT_ID = /^[A-Za-z0-9_-]{1,200}$/;

/** Whether `principal` may send a document that is not in the folder. */
export function mayRunOwnDocuments(principal: Principal | null, from: UnpersistedOperationsFrom): boolean {
  if (principal === null) return false;
  return from === 'tokens' || principal.scopes.has('ingest');
}

/**
 * The id a request names its operation by: `documentId` (GraphQL over HTTP, Relay), Apollo's
 * `extensions.persistedQuery.sha256Hash`, or `id`. GraphQL over HTTP writes a sha256 id as
 * `sha256:<hex>`; the file is `<hex>.graphql` either way.
 */
export function documentIdOf(body: ParsedGraphQLBody): string | undefined {
  const extensions = body.extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined;
  const candidates = [body.documentId, extensions?.persistedQuery?.sha256Hash, body.id];
  const found = candidates.find((candidate) => candidate !== undefined && candidate !== null);
  return typeof found === 'string' ? found.replace(/^sha256:/, '') : undefined;
}

/** The id a file in the folder holds, or null for any other file. */
const idOfFile = (entry: string): string | null => DOCUMENT_FILE.exec(entry)?.[1] ?? null;

export type DocumentCatalog = {
  /** documents known now */
  readonly size: number;
  /** the document with this id; undefined when the folder has none, even after reading it again */
  get: (id: string) => Promise<string | undefined>;
};

/** The folder's documents by id; an unknown id reads the folder again (new frontend builds), at most every few seconds. */
export function createDocumentCatalog(directory: string, rescanMilliseconds: number): DocumentCatalog {
  let documents = new Map<string, string>();
  try {
    for (const entry of readdirSync(directory)) {
      const id = idOfFile(entry);
      if (id !== null) documents.set(id, readFileSync(path.join(directory, entry), 'utf8'));
    }
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`SEQMETA_PERSISTED_OPERATIONS_DIR: cannot read the trusted documents in ${directory} (${reason})`, { cause: error });
  }
  let scannedAt = Date.now();
  let rescan: Promise<void> | null = null;

  async function readAgain(): Promise<void> {
    const found = new Map<string, string>();
    for (const entry of await readdir(directory)) {
      const id = idOfFile(entry);
      if (id !== null) found.set(id, await readFile(path.join(directory, entry), 'utf8'));
    }
    documents = found;
  }

  return {
    get size() {
      return documents.size;
    },
    async get(id) {
      const known = documents.get(id);
      if (known !== undefined) return known;
      // a rescan under way (started by another request) may be reading this very document:
      // refused now, a new frontend's first requests would fail just after a deploy
      if (rescan) await rescan;
      if (Date.now() - scannedAt < rescanMilliseconds) return documents.get(id);
      scannedAt = Date.now();
      // a folder that cannot be read now keeps the documents it had
      rescan ??= readAgain()
        .catch(() => undefined)
        .finally(() => {
          rescan = null;
        });
      await rescan;
      return documents.get(id);
    },
  };
}

function refuseDocument(code: string, message: string): never {
  throw new SafeError(message, { statusCode: 400, code });
}

function principalOf(event: ProcessGraphQLRequestBodyEvent): Principal | null {
  // set by src/http/authentication.ts before grafserv sees the request
  return event.request?.requestContext.expressv4?.req.seqmetaPrincipal ?? null;
}

export function createTrustedDocumentsPreset({
  directory,
  unpersistedOperationsFrom,
  logger,
  rescanMilliseconds = 5_000,
}: TrustedDocumentsOptions): GraphileConfig.Preset {
  const catalog = createDocumentCatalog(directory, rescanMilliseconds);
  logger.info(
    { directory, documents: catalog.size, ownDocumentsFrom: unpersistedOperationsFrom === 'tokens' ? 'any token' : 'ingest tokens' },
    'trusted documents on: other callers may run only these operations',
  );
  const allowOwn = (event: ProcessGraphQLRequestBodyEvent) => mayRunOwnDocuments(principalOf(event), unpersistedOperationsFrom);

  const guard: GraphileConfig.Plugin = {
    name: TRUSTED_DOCUMENTS_GUARD_PLUGIN,
    version: '1.0.0',
    description: 'Refuses unknown document ids and documents from callers who may not send their own, with a clear error',
    before: ['PersistedPlugin'],
    grafserv: {
      middleware: {
        async processGraphQLRequestBody(next, event) {
          const id = documentIdOf(event.body);
          if (id === undefined) {
            if (typeof event.body.query === 'string' && allowOwn(event)) return next();
            refuseDocument(
              'PERSISTED_OPERATION_REQUIRED',
              'this server runs trusted documents only: send `documentId` with the id of one of the published operations ' +
                '(a token allowed to send its own documents may send `query` instead)',
            );
          }
          if (!DOCUMENT_ID.test(id)) {
            refuseDocument('PERSISTED_OPERATION_NOT_FOUND', 'a document id is made of letters, digits, "-" and "_" only (e.g. a sha256 in hex)');
          }
          if ((await catalog.get(id)) === undefined) {
            refuseDocument('PERSISTED_OPERATION_NOT_FOUND', `no trusted document has the id "${id}": is the frontend newer than the server's documents?`);
          }
          return next();
        },
      },
    },
  };

  return {
    plugins: [guard, PersistedPlugin],
    grafserv: {
      hashFromPayload: documentIdOf,
      // the guard has checked that the id is known
      persistedOperationsGetter: (id) => catalog.get(id) as Promise<string>,
      allowUnpersistedOperation: allowOwn,
    },
  };
}
