// The researchers' path, in a real Chromium against a live server with fixture data: GraphiQL
// opens and runs its example query; the documentation explorer lists the four types, and no
// output field holds a patient identifier or ciphertext; a hand-typed groupedAggregates query
// counts runs per assay type; a mutation without a token is refused FORBIDDEN (and a token
// typed in the Headers tab is sent); the Examples bar opens its operations. Each step leaves
// a screenshot in test-artifacts/e2e/ for a person to look at.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { graphiqlExamples } from '../../src/graphiqlExamples.ts';
import { createToken } from '../../src/tokens.ts';
import { startTestApi, type TestApi } from '../support/apiServer.ts';
import { findChromium, launchBrowser, saveScreenshot } from '../support/browser.ts';
import { ASSAY_TYPES, loadFixture, type Fixture } from '../support/fixtures.ts';

const STEP_TIMEOUT = 15_000;

/** Retries `read` until the assertion that follows holds, for up to one step's time. */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: STEP_TIMEOUT });

let api: TestApi;
let fixture: Fixture;
// Launched once; a test awaits it, so that without a Chromium every test fails with the
// install hint instead of the whole file being reported as skipped.
let browserLaunch: Promise<Browser>;
let context: BrowserContext | null = null;
// uncaught exceptions in the page (Ruru's or the Examples bar's scripts), checked after each test
let pageErrors: string[] = [];

beforeAll(async () => {
  browserLaunch = launchBrowser();
  browserLaunch.catch(() => undefined);
  api = await startTestApi({ SEQMETA_ALLOW_ANONYMOUS_READS: 'true' });
  fixture = await loadFixture(api.database, { patients: 12 });
});
afterEach(async () => {
  await context?.close();
  context = null;
  const errors = pageErrors;
  pageErrors = [];
  expect(errors, 'uncaught errors in the page').toEqual([]);
});
afterAll(async () => {
  await (await browserLaunch.catch(() => null))?.close();
  await api?.stop();
});

/** A fresh browser profile (no saved GraphiQL tabs) on /graphiql, with Ruru started. */
async function openGraphiql(path = '/graphiql'): Promise<Page> {
  const browser = await browserLaunch;
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // the page's Content-Security-Policy (src/http/securityHeaders.ts) must refuse nothing it needs
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
  });
  await page.goto(`${api.url}${path}`);
  await page.locator('.graphiql-execute-button').waitFor();
  await page.locator('.graphiql-query-editor .view-lines').waitFor();
  return page;
}

/** What the pane shows: Monaco draws only the lines in view, with non-breaking spaces. */
async function visibleText(page: Page, selector: string): Promise<string> {
  return (await page.locator(`${selector} .view-lines`).innerText()).replaceAll('\u00a0', ' ');
}

/**
 * The whole text of an editor, for exact comparisons: the page exposes Monaco
 * (src/graphiqlPage.ts), and GraphiQL's models are named `…operation.graphql`,
 * `…request-headers.json`, `…response.json`.
 */
async function editorText(page: Page, modelSuffix: string): Promise<string> {
  return page.evaluate((suffix) => {
    const monaco = (globalThis as { monaco?: any }).monaco;
    const editor = monaco?.editor.getEditors().find((candidate: any) => candidate.getModel()?.uri.path.endsWith(suffix));
    if (!editor) throw new Error(`no editor whose model ends with ${suffix}`);
    return editor.getValue() as string;
  }, modelSuffix);
}

const activeTabTitle = (page: Page) => page.locator('.graphiql-tab-active').innerText();
const tabTitles = async (page: Page) => (await page.locator('.graphiql-tab').allInnerTexts()).map((title) => title.trim());

/**
 * Replaces an editor's text the way a person would: click, select all, then type it key by
 * key, or paste it (as one does a token).
 */
async function typeInto(page: Page, editorSelector: string, text: string, { paste = false } = {}): Promise<void> {
  await page.locator(`${editorSelector} .monaco-editor`).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  if (paste) await page.keyboard.insertText(text);
  else await page.keyboard.type(text);
  // closes a suggestion list, which would otherwise cover the editor in the screenshot, and
  // scrolls the line back to its start
  await page.keyboard.press('Escape');
  await page.keyboard.press('Home');
}

/**
 * Types an operation and presses the run button. GraphiQL picks up the operation's name a
 * moment after the last key (it titles the tab with it), and runs by that name: wait for it.
 */
async function typeAndRun(page: Page, operationName: string, document: string): Promise<void> {
  await typeInto(page, '.graphiql-query-editor', document);
  await poll(() => activeTabTitle(page)).toBe(operationName);
  await page.locator('.graphiql-execute-button').click();
}

/** Waits until the result pane shows `expected`, then returns the whole response, parsed. */
async function responseShowing(page: Page, expected: string): Promise<any> {
  await poll(() => visibleText(page, '.graphiql-response')).toContain(expected);
  return JSON.parse(await editorText(page, 'response.json'));
}

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

// a page load, a few keystrokes and a query each; generous for a busy CI machine
describe('GraphiQL in Chromium', { timeout: 60_000 }, () => {
  it('opens titled for the project and runs the example query on the fixture data', async () => {
    const page = await openGraphiql();
    expect(await page.title()).toBe('seqmeta · GraphiQL');
    expect(await visibleText(page, '.graphiql-query-editor')).toContain('query FirstSamples');
    await saveScreenshot(page, '01-opened');

    await page.locator('.graphiql-execute-button').click();
    const firstSamples = fixture.samples.map((sample) => sample.sampleId).sort().slice(0, 5);
    const response = await responseShowing(page, firstSamples[0]!);
    await saveScreenshot(page, '02-example-query-result');

    expect(response.errors).toBeUndefined();
    expect(response.data.samples.totalCount).toBe(fixture.samples.length);
    expect(response.data.samples.nodes.map((node: any) => node.sampleId)).toEqual(firstSamples);
    const first = fixture.samples.find((sample) => sample.sampleId === firstSamples[0])!;
    expect(response.data.samples.nodes[0].patient.patientHash).toBe(first.patientHash);
    expect(await visibleText(page, '.graphiql-response')).toContain(`"totalCount": ${fixture.samples.length}`);
  });

  it('documents Sample, Run, RunFile and Patient, and no patient identifier or ciphertext', async () => {
    const page = await openGraphiql();
    await page.locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]').click();
    const explorer = page.locator('.graphiql-doc-explorer');
    await explorer.getByText('All Schema Types').waitFor();
    const typeNames = await explorer.locator('.graphiql-doc-explorer-content a.graphiql-doc-explorer-type-name').allInnerTexts();
    expect(typeNames).toEqual(expect.arrayContaining(['Sample', 'Run', 'RunFile', 'Patient']));
    await saveScreenshot(page, '03-docs-types');

    // The search covers every type and field of the schema, inputs included.
    const search = page.locator('[data-cy="doc-explorer-input"]');
    const results = page.locator('[data-cy="doc-explorer-option"]');
    const searchFor = async (term: string) => {
      await search.fill(term);
      await page.locator('[data-cy="doc-explorer-list"]').waitFor();
    };

    // The search works: the pseudonym is found where it is published.
    await searchFor('patientHash');
    await poll(() => results.allInnerTexts()).toEqual(expect.arrayContaining(['Patient.patientHash', 'Sample.patientHash']));
    await saveScreenshot(page, '04-docs-search-patientHash');

    // The one patientId in the schema is the pipeline's write-only input to registerSample,
    // hashed and encrypted by the ingest plugin before any SQL; no output type (Patient,
    // Sample, Run, RunFile, their connections, aggregates or filters) has one. The exact list
    // is the tripwire: any other patientId anywhere in the schema fails here.
    await searchFor('patientId');
    await poll(() => results.allInnerTexts()).toEqual(['RegisterSampleInput.patientId']);
    await saveScreenshot(page, '05-docs-search-patientId');

    for (const term of ['mrn', 'cipher', 'encrypt']) {
      await searchFor(term);
      await page.locator('[data-cy="doc-explorer-list"]').getByText('No results found').waitFor();
      expect(await results.count(), `search for ${term}`).toBe(0);
      await saveScreenshot(page, `06-docs-search-${term}`);
    }
  });

  it('answers a groupedAggregates query typed by hand with the run count per assay type', async () => {
    const page = await openGraphiql();
    await typeAndRun(page, 'RunsPerAssay', 'query RunsPerAssay { runs { groupedAggregates(groupBy: [ASSAY_TYPE]) { keys distinctCount { runId } } } }');
    const response = await responseShowing(page, '"groupedAggregates"');
    await saveScreenshot(page, '07-grouped-aggregates-typed');

    expect(response.errors).toBeUndefined();
    const counts = Object.fromEntries(
      response.data.runs.groupedAggregates.map((group: any) => [group.keys[0], Number(group.distinctCount.runId)]),
    );
    expect(counts).toEqual(countBy(fixture.runs, (run) => run.assayType));
    expect(Object.keys(counts).sort()).toEqual([...ASSAY_TYPES].sort());
  });

  it('shows FORBIDDEN for a mutation sent without a token, and sends a token typed in the Headers tab', async () => {
    const missingRun = '00000000-0000-0000-0000-000000000000';
    const mutation = `mutation FinishRun { finishRun(input: {runId: "${missingRun}", status: FAILED}) { run { runId } } }`;
    const page = await openGraphiql();
    await typeAndRun(page, 'FinishRun', mutation);
    const refused = await responseShowing(page, 'FORBIDDEN');
    await saveScreenshot(page, '08-mutation-without-token');
    expect(refused.errors.map((error: any) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(await visibleText(page, '.graphiql-response')).toContain('ingest needs a token with the ingest scope');

    // With an ingest token in the Headers tab the same mutation gets past the scope check: the
    // run does not exist, so the answer is NOT_FOUND, which only an authorised caller sees.
    const owner = await api.database.connect('owner');
    const { token } = await createToken(owner, { name: 'graphiql-e2e', scopes: 'ingest' });
    await page.locator('.graphiql-editor-tools button[data-name="headers"]').click();
    await typeInto(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', `{"Authorization": "Bearer ${token}"}`, { paste: true });
    expect(JSON.parse(await editorText(page, 'request-headers.json'))).toEqual({ Authorization: `Bearer ${token}` });
    await page.locator('.graphiql-execute-button').click();
    const authorised = await responseShowing(page, 'NOT_FOUND');
    await saveScreenshot(page, '09-mutation-with-token');
    expect(authorised.errors.map((error: any) => error.extensions?.code)).toEqual(['NOT_FOUND']);
  });

  it('opens an example from the Examples bar in a new tab, keeping the headers, and runs it', async () => {
    const page = await openGraphiql();
    const buttons = await page.locator('#seqmeta-examples button').allInnerTexts();
    expect(buttons).toEqual(graphiqlExamples.map((example) => example.label));
    const headers = '{"x-seqmeta-note": "kept across tabs"}';
    await page.locator('.graphiql-editor-tools button[data-name="headers"]').click();
    await typeInto(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', headers);

    const aggregate = graphiqlExamples.find((example) => example.name === 'aggregate')!;
    await page.locator('#seqmeta-examples button[data-example="aggregate"]').click();
    await poll(() => activeTabTitle(page)).toBe('RunsPerAssayAndStatus');
    expect(await tabTitles(page)).toEqual(['FirstSamples', 'RunsPerAssayAndStatus']);
    expect(await editorText(page, 'operation.graphql')).toBe(aggregate.query);
    expect(await editorText(page, 'request-headers.json')).toBe(headers);

    await page.locator('.graphiql-execute-button').click();
    const response = await responseShowing(page, '"groupedAggregates"');
    await saveScreenshot(page, '10-example-aggregate');
    expect(response.errors).toBeUndefined();
    const counts = Object.fromEntries(
      response.data.runs.groupedAggregates.map((group: any) => [group.keys.join('/'), Number(group.distinctCount.runId)]),
    );
    expect(counts).toEqual(countBy(fixture.runs, (run) => `${run.assayType}/${run.status}`));
  });

  it('opens an example from a ?example= link, then drops the parameter from the address', async () => {
    const page = await openGraphiql('/graphiql?example=filter');
    const filter = graphiqlExamples.find((example) => example.name === 'filter')!;
    await poll(() => activeTabTitle(page)).toBe('FailedGenomeRuns');
    expect(await editorText(page, 'operation.graphql')).toBe(filter.query);
    expect(new URL(page.url()).search).toBe('');

    await page.locator('.graphiql-execute-button').click();
    const response = await responseShowing(page, '"totalCount"');
    await saveScreenshot(page, '11-example-link-filter');
    const collectionYear = new Map(fixture.samples.map((sample) => [sample.sampleId, sample.collectionYear]));
    const expected = fixture.runs.filter(
      (run) => run.status === 'FAILED' && ['WGS', 'WES'].includes(run.assayType) && collectionYear.get(run.sampleId)! >= 2020,
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(response.data.runs.totalCount).toBe(expected.length);
    expect(response.data.runs.nodes.map((node: any) => node.runId).sort()).toEqual(expected.map((run) => run.runId).sort());
  });
});

describe('the saved examples', () => {
  it('each run without errors on the fixture and return rows', async () => {
    for (const example of graphiqlExamples) {
      const response = await api.graphql(example.query);
      expect(response.body.errors, `${example.name}: ${JSON.stringify(response.body.errors)}`).toBeUndefined();
      const [rootField] = Object.values(response.body.data) as Array<{ totalCount?: number; nodes?: unknown[]; groupedAggregates?: unknown[] }>;
      const rows = rootField?.nodes ?? rootField?.groupedAggregates ?? [];
      expect(rows.length, example.name).toBeGreaterThan(0);
    }
  });
});

describe('without a Chromium', () => {
  it('fails and says how to install one', async () => {
    const failure = findChromium({ PATH: '/nonexistent' });
    await expect(failure).rejects.toThrow(/apt-get install chromium/);
    await expect(failure).rejects.toThrow(/SEQMETA_CHROMIUM/);
    await expect(findChromium({ SEQMETA_CHROMIUM: '/nonexistent/chromium' })).rejects.toThrow(/not an executable file/);
  });
});
