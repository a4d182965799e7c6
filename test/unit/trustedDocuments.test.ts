// Who may send documents of their own with trusted documents on, and the folder of documents
// being read again for a new frontend's ids (plugins/trustedDocuments.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDocumentCatalog, mayRunOwnDocuments } from '../../plugins/trustedDocuments.ts';
import type { Principal } from '../../src/authentication.ts';

describe('who may send documents of their own when trusted documents are on', () => {
  const principal = (...scopes: Array<'ingest' | 'read'>): Principal => ({ name: 'rule-check', scopes: new Set(scopes) });

  it('is never an anonymous caller; with `ingest`, tokens with the ingest scope; with `tokens`, any token', () => {
    expect([null, principal('read'), principal('ingest'), principal('ingest', 'read')].map((caller) => mayRunOwnDocuments(caller, 'ingest'))).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect([null, principal(), principal('read'), principal('ingest')].map((caller) => mayRunOwnDocuments(caller, 'tokens'))).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });
});

describe('the folder of trusted documents', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-document-catalog-'));
    await writeFile(path.join(folder, 'first.graphql'), 'query First { __typename }');
  });
  afterEach(() => rm(folder, { recursive: true, force: true }));

  it('answers every request for a new id that arrives while the folder is read again, not only the one that started it', async () => {
    const catalog = createDocumentCatalog(folder, 200);
    expect(catalog.size).toBe(1);
    // the interval since the first reading is over; a new frontend's two operations are asked
    // for at once right after the deploy
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writeFile(path.join(folder, 'second.graphql'), 'query Second { __typename }');
    await writeFile(path.join(folder, 'third.graphql'), 'query Third { __typename }');
    const started = catalog.get('second');
    const during = catalog.get('third');
    expect(await Promise.all([started, during])).toEqual(['query Second { __typename }', 'query Third { __typename }']);
    expect(catalog.size).toBe(3);
  });

  it('reads the folder again at most once per interval: an unknown id right after a reading is refused without another', async () => {
    const catalog = createDocumentCatalog(folder, 60_000);
    expect(await catalog.get('missing')).toBeUndefined();
    await writeFile(path.join(folder, 'later.graphql'), 'query Later { __typename }');
    expect(await catalog.get('later')).toBeUndefined();
    expect(await catalog.get('first')).toBe('query First { __typename }');
  });
});
