// A headless Chromium for the browser tests, driven by playwright-core. Playwright's own
// browser download cannot run on these machines, so the tests use an installed Chromium:
// the one named by SEQMETA_CHROMIUM, or the first of the usual names on PATH. With none,
// launching fails and says how to get one: a browser test that cannot run must not pass.
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const BROWSER_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome'];

// Root runs without a sandbox; the rest keep a test run from calling home or updating itself.
const LAUNCH_ARGUMENTS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const INSTALL_HINT =
  'The browser tests need Chromium. Install it (Debian/Ubuntu: `apt-get install chromium`), ' +
  'or set SEQMETA_CHROMIUM to the path of a Chromium or Chrome binary.';

/** Where the step screenshots go; git-ignored, kept for a person to look at. */
export const ARTIFACT_DIRECTORY = path.resolve(import.meta.dirname, '../../test-artifacts/e2e');

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium binary to use, or an Error whose message says how to install one. */
export async function findChromium(environment: NodeJS.ProcessEnv = process.env): Promise<string> {
  const configured = environment.SEQMETA_CHROMIUM?.trim();
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new Error(`SEQMETA_CHROMIUM is ${JSON.stringify(configured)}, which is not an executable file. ${INSTALL_HINT}`);
  }
  const directories = (environment.PATH ?? '').split(path.delimiter).filter((directory) => directory !== '');
  for (const name of BROWSER_NAMES) {
    for (const directory of directories) {
      const candidate = path.join(directory, name);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  throw new Error(`No Chromium found on PATH (looked for ${BROWSER_NAMES.join(', ')}). ${INSTALL_HINT}`);
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = await findChromium();
  try {
    return await chromium.launch({ executablePath, headless: true, args: LAUNCH_ARGUMENTS });
  } catch (error) {
    throw new Error(`Chromium at ${executablePath} did not start: ${(error as Error).message}\n${INSTALL_HINT}`, { cause: error });
  }
}

/** Saves a full-page screenshot as test-artifacts/e2e/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACT_DIRECTORY, { recursive: true });
  const file = path.join(ARTIFACT_DIRECTORY, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
