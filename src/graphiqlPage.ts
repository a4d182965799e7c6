// The GraphiQL page researchers use: Ruru (the GraphiQL that grafserv serves) with the
// project's title and an Examples bar above the editor. A button opens its example in a new
// GraphiQL tab, keeping the current tab's headers (a token stays where the researcher put it)
// and whatever the other tabs hold. A link to /graphiql?example=<name> opens one too.
//
// Ruru has no API for this, so the page speaks to the editor through Monaco: Monaco's
// documented `globalAPI` switch exposes `globalThis.monaco`, and GraphiQL names its editors'
// models `…operation.graphql` and `…request-headers.json`. Should a later Ruru change either,
// a button falls back to the link, which only uses GraphiQL's documented `initialQuery`.
// test/e2e/graphiql.test.ts drives both paths in a real browser.
import type { GraphiqlExample } from './graphiqlExamples.ts';

type RuruOptions = NonNullable<GraphileConfig.Preset['ruru']>;
type ClientConfig = NonNullable<RuruOptions['clientConfig']>;

export type GraphiqlPageOptions = {
  /** names the page ("<name> · GraphiQL") and heads the Examples bar */
  projectName: string;
  /** opened on a first visit; later visits reopen the researcher's own tabs */
  defaultQuery: string;
  examples: readonly GraphiqlExample[];
};

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&"'<>]/g, (character) => HTML_ENTITIES[character]!);

// JSON inside <script>: escaping "<" keeps "</script>" or "<!--" in a query from ending it.
const scriptJson = (value: unknown) => JSON.stringify(value).replaceAll('<', '\\u003c');

const BAR_HEIGHT = '2.5rem';

const styles = `<style>
  :root { --seqmeta-bar-height: ${BAR_HEIGHT}; }
  /* Ruru fills the window; the bar takes its height from it */
  #ruru-root { height: calc(100vh - var(--seqmeta-bar-height)); }
  .seqmeta-examples {
    box-sizing: border-box; height: var(--seqmeta-bar-height); display: flex; align-items: center;
    gap: 0.5rem; padding: 0 1rem; overflow-x: auto; white-space: nowrap;
    font: 14px/1 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
    background: #f2f4f8; color: #3b4256; border-bottom: 1px solid #d9dde6;
  }
  .seqmeta-examples strong { font-size: 15px; color: #1f2433; margin-right: 0.5rem; }
  .seqmeta-examples button {
    font: inherit; cursor: pointer; padding: 0.35rem 0.7rem; border-radius: 6px;
    border: 1px solid #c9cfdb; background: #ffffff; color: #1f2433;
  }
  .seqmeta-examples button:hover, .seqmeta-examples button:focus-visible { border-color: #d60590; color: #d60590; }
  .seqmeta-examples small { margin-left: auto; color: #6b7285; }
  .seqmeta-examples code { font-size: 12px; }
  body.graphiql-dark .seqmeta-examples { background: #1b2230; color: #c3c9d6; border-bottom-color: #2e3648; }
  body.graphiql-dark .seqmeta-examples strong, body.graphiql-dark .seqmeta-examples button { color: #e6e9ef; }
  body.graphiql-dark .seqmeta-examples button { background: #232b3b; border-color: #3a4459; }
  body.graphiql-dark .seqmeta-examples small { color: #8d95a8; }
</style>`;

function examplesBar(projectName: string, examples: readonly GraphiqlExample[]): string {
  const buttons = examples
    .map(
      (example) =>
        `<button type="button" data-example="${escapeHtml(example.name)}" title="${escapeHtml(example.description)}">${escapeHtml(example.label)}</button>`,
    )
    .join('\n');
  return `<nav id="seqmeta-examples" class="seqmeta-examples" aria-label="Example operations">
<strong>${escapeHtml(projectName)}</strong>
<span>Examples:</span>
${buttons}
<small>Token: Headers tab, <code>{"Authorization": "Bearer …"}</code></small>
</nav>`;
}

// Runs in <head> right after Ruru's own config script and before Ruru starts: an
// ?example=<name> link becomes GraphiQL's initialQuery, which GraphiQL opens in a tab of its
// own (or selects, when a tab already holds it). The parameter is then dropped from the
// address, so that reloading the page does not open the example again.
const linkScript = `<script>
(() => {
  const parameters = new URLSearchParams(location.search);
  const name = parameters.get('example');
  if (name === null) return;
  const examples = JSON.parse(document.getElementById('seqmeta-examples-data').textContent);
  const example = examples.find((candidate) => candidate.name === name);
  if (example) RURU_CONFIG.initialQuery = example.query;
  parameters.delete('example');
  const search = parameters.toString();
  history.replaceState(history.state, '', location.pathname + (search ? '?' + search : '') + location.hash);
})();
</script>`;

// Set before Monaco loads (Ruru's bundle is imported by a later module script).
const monacoGlobalScript = `<script type="module">
globalThis.MonacoEnvironment = { ...globalThis.MonacoEnvironment, globalAPI: true };
</script>`;

const buttonScript = `<script type="module">
const examples = new Map(
  JSON.parse(document.getElementById('seqmeta-examples-data').textContent).map((example) => [example.name, example]),
);
const editorEndingWith = (suffix) =>
  globalThis.monaco?.editor.getEditors().find((editor) => editor.getModel()?.uri.path.endsWith(suffix));

document.getElementById('seqmeta-examples').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-example]');
  const example = button && examples.get(button.dataset.example);
  if (!example) return;
  const operationEditor = editorEndingWith('operation.graphql');
  const headerEditor = editorEndingWith('request-headers.json');
  const newTabButton = document.querySelector('.graphiql-tab-add');
  if (!operationEditor || !newTabButton) {
    // GraphiQL has not started yet, or its internals moved: the link path needs neither
    location.search = '?example=' + encodeURIComponent(example.name);
    return;
  }
  const headers = headerEditor?.getValue() ?? '';
  // GraphiQL opens the tab synchronously and loads it into the same editors
  newTabButton.click();
  operationEditor.setValue(example.query);
  if (headerEditor && headers.trim() !== '') headerEditor.setValue(headers);
  operationEditor.focus();
});
</script>`;

export function createGraphiqlPage({ projectName, defaultQuery, examples }: GraphiqlPageOptions): RuruOptions {
  const data = `<script type="application/json" id="seqmeta-examples-data">${scriptJson(examples)}</script>`;
  // ruru's typings require every client option; all of them are optional at run time
  const clientConfig = { defaultQuery, isHeadersEditorEnabled: true } as ClientConfig;
  return {
    clientConfig,
    htmlParts: {
      titleTag: `<title>${escapeHtml(projectName)} · GraphiQL</title>`,
      styleTags: (original) => `${original}\n${styles}`,
      configScript: (original) => `${original}\n${data}\n${linkScript}`,
      headerScripts: (original) => `${original}\n${monacoGlobalScript}`,
      bodyContent: (original) => `${examplesBar(projectName, examples)}\n${original}`,
      bodyScripts: (original) => `${original}\n${buttonScript}`,
    },
  };
}
