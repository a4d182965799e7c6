// `npm start` as a newcomer runs it: no configuration at all. The embedded Postgres starts,
// is set up, gets demo data, and the API serves; SIGTERM stops everything cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../support/freePort.ts';
import { inheritedEnvironment } from '../support/inheritedEnvironment.ts';

const projectDirectory = fileURLToPath(new URL('../../', import.meta.url));
let child: ChildProcess | null = null;
let dataDirectory: string | null = null;


afterAll(async () => {
  child?.kill('SIGKILL');
  if (dataDirectory) await rm(dataDirectory, { recursive: true, force: true });
});

it('serves demo data with zero configuration, and stops gracefully on SIGTERM', async () => {
  dataDirectory = await mkdtemp(path.join(os.tmpdir(), 'seqmeta-start-'));
  await chmod(dataDirectory, 0o755);
  const port = await freePort();
  const inherited = inheritedEnvironment();
  const started = Date.now();
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectDirectory,
    env: { ...inherited, SEQMETA_DATA_DIR: dataDirectory, SEQMETA_EMBEDDED_PORT: String(await freePort()), PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

  while (!output.includes('seqmeta is serving')) {
    if (Date.now() - started > 90_000 || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(output).toContain(`GraphiQL at http://127.0.0.1:${port}/graphiql`);
  expect(output).toContain('loaded synthetic demo data');

  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ samples(first: 1) { totalCount nodes { patient { patientHash } runs { totalCount } } } }' }),
  });
  const body = (await response.json()) as { data: { samples: { totalCount: number; nodes: Array<{ patient: { patientHash: string } }> } } };
  expect(body.data.samples.totalCount).toBeGreaterThan(100);
  expect(body.data.samples.nodes[0]!.patient.patientHash).toMatch(/^[0-9a-f]{64}$/);
  const graphiql = await fetch(`http://127.0.0.1:${port}/graphiql`);
  expect(await graphiql.text()).toContain('<title>seqmeta · GraphiQL</title>');

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(output).toContain('"msg":"stopped"');
  child = null;
}, 150_000);

it.each([
  ['production mode without PHI keys', {}, /seqmeta could not start: Invalid configuration:\\n- SEQMETA_PSEUDONYM_KEY: missing/],
  [
    'a database that does not answer',
    { SEQMETA_PSEUDONYM_KEY: 'a'.repeat(64), SEQMETA_ENCRYPTION_KEYS: `1:${'b'.repeat(64)}` },
    /seqmeta could not start: the database does not answer \(ECONNREFUSED\); check that Postgres runs/,
  ],
])('with %s, says why in one line and exits 1, without a stack trace', async (_case, settings, message) => {
  const inherited = inheritedEnvironment();
  const closedPort = await freePort();
  const failing = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectDirectory,
    env: {
      ...inherited,
      ...settings,
      PORT: '0',
      SEQMETA_API_DATABASE_URL: `postgres://frontend_api:synthetic@127.0.0.1:${closedPort}/seqmeta`,
      SEQMETA_ETL_DATABASE_URL: `postgres://etl_worker:synthetic@127.0.0.1:${closedPort}/seqmeta`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  failing.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  failing.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => failing.on('exit', (exitCode) => resolve(exitCode)));
  expect(code, output).toBe(1);
  expect(output).toMatch(message);
  expect(output).not.toMatch(/\bat [\w.<>]+ \(|"stack"/);
  expect(output).not.toContain('synthetic@');
}, 60_000);
