// No Docker engine runs where the tests run, so the deployment files are checked as text:
// the compose file's services, their order and health checks, which credentials reach which
// container; the Dockerfile; .env.example; and that CI runs the same sequence as compose.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { API_NODE_FLAGS } from '../../src/nodeFlags.ts';

const projectDirectory = new URL('../../', import.meta.url);
const readProjectFile = (name: string) => readFileSync(new URL(name, projectDirectory), 'utf8');

const dependencySchema = z.union([
  z.array(z.string()).transform((names) => Object.fromEntries(names.map((name) => [name, { condition: 'service_started' }]))),
  z.record(z.string(), z.object({ condition: z.string().default('service_started') })),
]);

// Compose accepts `KEY: value` maps and `KEY=value` lists; both become a map.
const environmentSchema = z
  .union([
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    z.array(z.string()),
  ])
  .transform((environment): Record<string, string> =>
    Array.isArray(environment)
      ? Object.fromEntries(environment.map((line) => [line.split('=')[0] ?? '', line.slice(line.indexOf('=') + 1)]))
      : Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)])),
  );

const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.unknown().optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  restart: z.string().optional(),
  environment: environmentSchema.default({}),
  env_file: z
    .union([z.string(), z.array(z.union([z.string(), z.object({ path: z.string() })]))])
    .transform((files) => (Array.isArray(files) ? files : [files]).map((file) => (typeof file === 'string' ? file : file.path)))
    .default([]),
  depends_on: dependencySchema.default({}),
  healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
  ports: z.array(z.union([z.string(), z.number(), z.object({ target: z.number() })])).default([]),
  volumes: z.array(z.union([z.string(), z.object({ source: z.string().optional() })])).default([]),
});

type Service = z.infer<typeof serviceSchema>;

const composeSchema = z.object({
  services: z.record(z.string(), serviceSchema),
  volumes: z.record(z.string(), z.unknown()).optional(),
});

type Compose = z.infer<typeof composeSchema>;

const composeText = readProjectFile('docker-compose.yml');
const compose = composeSchema.parse(parse(composeText));

function service(name: string): Service {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The command as one shell line, whatever form it is written in. */
function commandLine(command: string | string[] | undefined): string {
  return Array.isArray(command) ? command.join(' ') : (command ?? '');
}

/** Names substituted by ${NAME}, ${NAME:-default} or ${NAME:?message}; $${…} is a literal. */
function interpolatedVariables(text: string): string[] {
  return [...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] ?? '');
}

/** `NAME=` lines of an env file. */
function declaredVariables(text: string): Map<string, string> {
  const lines = text.split('\n').filter((line) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(line));
  return new Map(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

const privilegedUrls = ['SEQMETA_ADMIN_DATABASE_URL', 'SEQMETA_OWNER_DATABASE_URL'];
// the secrets from which the superuser's and the owner's logins are made
const privilegedSecrets = ['POSTGRES_PASSWORD', 'SEQMETA_OWNER_PASSWORD'];

/**
 * Every way a service could receive the superuser's or the owner's login: the URL variables,
 * a value built from their passwords, a login name in a URL, or an env file holding any of them.
 * `.env` is the file of every secret, so loading it whole is a leak by itself.
 */
function privilegedCredentialsOf(candidate: Service, readEnvFile: (name: string) => string): string[] {
  const leaks: string[] = [];
  for (const [key, value] of Object.entries(candidate.environment)) {
    if (privilegedUrls.includes(key)) leaks.push(`environment ${key}`);
    for (const variable of interpolatedVariables(value)) {
      if (privilegedSecrets.includes(variable)) leaks.push(`environment ${key} uses \${${variable}}`);
    }
    if (/postgres(ql)?:\/\/(postgres|seqmeta_owner)[:@]/.test(value)) leaks.push(`environment ${key} logs in as a privileged role`);
  }
  for (const file of candidate.env_file) {
    if (/(^|\/)\.env$/.test(file)) {
      leaks.push(`env_file ${file} (every secret)`);
      continue;
    }
    const declared = declaredVariables(readEnvFile(file));
    for (const name of [...privilegedUrls, ...privilegedSecrets]) {
      if (declared.has(name)) leaks.push(`env_file ${file} sets ${name}`);
    }
  }
  return leaks;
}

/** The services that keep running: everything but the database and the one-shot migrate job. */
function runtimeServices(file: Compose): [string, Service][] {
  return Object.entries(file.services).filter(([name]) => name !== 'postgres' && name !== 'migrate');
}

describe('docker-compose.yml', () => {
  it('has the database, the one-shot migrate job and the API', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'migrate', 'postgres']);
  });

  it('runs an official Postgres ≥ 15 with a health check, a named volume and the password from .env', () => {
    const postgres = service('postgres');
    const major = Number(/^postgres:(\d+)/.exec(postgres.image ?? '')?.[1]);
    expect(major).toBeGreaterThanOrEqual(15);
    expect(commandLine(postgres.healthcheck?.test)).toContain('pg_isready');
    const volume = postgres.volumes.find((entry) => typeof entry === 'string' && entry.endsWith(':/var/lib/postgresql/data'));
    expect(typeof volume === 'string' && volume.split(':')[0]).toBeTruthy();
    expect(Object.keys(compose.volumes ?? {})).toContain((volume as string).split(':')[0]);
    expect(interpolatedVariables(postgres.environment.POSTGRES_PASSWORD ?? '')).toEqual(['POSTGRES_PASSWORD']);
    // reachable only on the compose network
    expect(postgres.ports).toEqual([]);
  });

  it('migrates once Postgres is healthy: bootstrap as the superuser, then migrate as the owner', () => {
    const migrate = service('migrate');
    expect(migrate.depends_on.postgres?.condition).toBe('service_healthy');
    const line = commandLine(migrate.command);
    const bootstrapAt = line.indexOf('src/cli.ts db bootstrap');
    const migrateAt = line.indexOf('src/cli.ts db migrate');
    expect(bootstrapAt).toBeGreaterThanOrEqual(0);
    expect(migrateAt).toBeGreaterThan(bootstrapAt);
    // migrate must not run after a failed bootstrap
    expect(line.slice(bootstrapAt, migrateAt)).toContain('&&');
    expect(migrate.restart).toBe('no');
    // bootstrap sets the runtime roles' passwords from their URLs, so it needs all four
    expect(Object.keys(migrate.environment).sort()).toEqual([
      'SEQMETA_ADMIN_DATABASE_URL',
      'SEQMETA_API_DATABASE_URL',
      'SEQMETA_ETL_DATABASE_URL',
      'SEQMETA_OWNER_DATABASE_URL',
    ]);
  });

  it('builds migrate and the API from the same image', () => {
    expect(service('migrate').build).toEqual(service('api').build);
    expect(service('migrate').image).toBe(service('api').image);
    expect(service('api').build).toBeDefined();
  });

  it('starts the API only after migrate completed, with its own health check and restart policy', () => {
    const api = service('api');
    expect(api.depends_on.migrate?.condition).toBe('service_completed_successfully');
    expect(api.depends_on.postgres?.condition).toBe('service_healthy');
    expect(commandLine(api.healthcheck?.test)).toContain('/healthz');
    expect(['always', 'unless-stopped', 'on-failure']).toContain(api.restart);
    expect(api.ports.map(String).some((port) => port.endsWith(':5678'))).toBe(true);
  });

  it('gives the API the two runtime logins and the PHI keys', () => {
    const environment = service('api').environment;
    expect(environment.SEQMETA_ETL_DATABASE_URL).toMatch(/^postgres:\/\/etl_worker:\$\{SEQMETA_ETL_PASSWORD[:?}]/);
    expect(environment.SEQMETA_API_DATABASE_URL).toMatch(/^postgres:\/\/frontend_api:\$\{SEQMETA_API_PASSWORD[:?}]/);
    expect(interpolatedVariables(environment.SEQMETA_PSEUDONYM_KEY ?? '')).toEqual(['SEQMETA_PSEUDONYM_KEY']);
    expect(interpolatedVariables(environment.SEQMETA_ENCRYPTION_KEYS ?? '')).toEqual(['SEQMETA_ENCRYPTION_KEYS']);
  });

  it('never gives a runtime service the superuser\'s or the owner\'s credentials', () => {
    const readEnvFile = (name: string) => readProjectFile(name);
    const runtime = runtimeServices(compose);
    expect(runtime.map(([name]) => name)).toContain('api');
    for (const [name, candidate] of runtime) {
      expect(privilegedCredentialsOf(candidate, readEnvFile), name).toEqual([]);
    }
  });

  it('recognises each way owner credentials could reach a service', () => {
    const api = service('api');
    const readEnvFile = (name: string) => (name === 'owner.env' ? 'SEQMETA_OWNER_DATABASE_URL=postgres://x\n' : '');
    const variants: Service[] = [
      { ...api, environment: { ...api.environment, SEQMETA_OWNER_DATABASE_URL: 'postgres://seqmeta_owner:x@postgres/seqmeta' } },
      { ...api, environment: { ...api.environment, SEQMETA_ADMIN_DATABASE_URL: 'postgres://postgres:x@postgres/postgres' } },
      { ...api, environment: { ...api.environment, DATABASE_URL: 'postgres://someone:${SEQMETA_OWNER_PASSWORD}@postgres/seqmeta' } },
      { ...api, environment: { ...api.environment, DATABASE_URL: 'postgres://seqmeta_owner:secret@postgres/seqmeta' } },
      { ...api, env_file: ['.env'] },
      { ...api, env_file: ['owner.env'] },
    ];
    for (const variant of variants) {
      expect(privilegedCredentialsOf(variant, readEnvFile)).not.toEqual([]);
    }
  });

  it('sets only settings that src/config.ts reads', () => {
    const configSource = readProjectFile('src/config.ts');
    for (const name of ['migrate', 'api']) {
      for (const key of Object.keys(service(name).environment)) {
        expect(configSource, `${name}: ${key}`).toMatch(new RegExp(`^\\s+${key}: `, 'm'));
      }
    }
  });
});

describe('.env.example', () => {
  const example = declaredVariables(readProjectFile('.env.example'));

  it('lists every variable docker-compose.yml substitutes, and nothing else', () => {
    const substituted = [...new Set(interpolatedVariables(composeText))].sort();
    expect(substituted.length).toBeGreaterThan(0);
    expect([...example.keys()].sort()).toEqual(substituted);
  });

  it('holds no secret: passwords and keys are left empty for the operator', () => {
    const secrets = [...example.keys()].filter((name) => /PASSWORD|_KEY$|_KEYS$/.test(name));
    expect(secrets).toEqual(expect.arrayContaining([...privilegedSecrets, 'SEQMETA_PSEUDONYM_KEY', 'SEQMETA_ENCRYPTION_KEYS']));
    for (const name of secrets) expect(example.get(name), name).toBe('');
  });

  it('makes compose refuse to start while a secret is missing', () => {
    for (const name of [...privilegedSecrets, 'SEQMETA_ETL_PASSWORD', 'SEQMETA_API_PASSWORD', 'SEQMETA_PSEUDONYM_KEY', 'SEQMETA_ENCRYPTION_KEYS']) {
      const uses = [...composeText.matchAll(new RegExp(`\\$\\{${name}(:?[?-])?`, 'g'))].map((match) => match[1]);
      expect(uses.length, name).toBeGreaterThan(0);
      expect(uses.every((operator) => operator === ':?'), name).toBe(true);
    }
  });

  it('is the only env file tracked: .env is git-ignored and kept out of the image', () => {
    expect(readProjectFile('.gitignore').split('\n')).toContain('.env');
    expect(readProjectFile('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['.env', 'node_modules', '.seqmeta', '.git']));
  });
});

describe('Dockerfile', () => {
  const instructions = readProjectFile('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.trim().split(/\s+/);
      return { keyword: keyword.toUpperCase(), argument: rest.join(' ') };
    });
  const arguments_ = (keyword: string) => instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.argument);

  it('builds on a Node 22 image', () => {
    expect(arguments_('FROM')).toEqual([expect.stringMatching(/^node:22([.-]|$)/)]);
  });

  it('installs the runtime dependencies only, from the lockfile', () => {
    expect(arguments_('RUN').some((command) => /\bnpm ci\b.*--omit=dev/.test(command))).toBe(true);
    expect(arguments_('RUN').some((command) => /\bnpm (install|i)\b/.test(command))).toBe(false);
  });

  it('copies what runs and nothing else', () => {
    const copied = arguments_('COPY').flatMap((argument) => argument.split(' ').slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'plugins', 'db', 'bin']));
    expect(copied).not.toContain('.');
    expect(copied).not.toContain('test');
  });

  it('runs as a non-root user, with a health check, on port 5678, as node itself', () => {
    const user = arguments_('USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user?.split(':')[0]);
    const lastUserAt = instructions.findLastIndex((instruction) => instruction.keyword === 'USER');
    const commandAt = instructions.findIndex((instruction) => instruction.keyword === 'CMD');
    expect(lastUserAt).toBeLessThan(commandAt);
    expect(arguments_('HEALTHCHECK').join(' ')).toContain('/healthz');
    expect(arguments_('EXPOSE')).toContain('5678');
    // exec form, node first: SIGTERM reaches the server's graceful shutdown, not npm or a shell
    // with the API's Node flags (src/nodeFlags.ts)
    expect(JSON.parse(arguments_('CMD')[0] ?? '[]')).toEqual(['node', ...API_NODE_FLAGS, '--import', 'tsx', 'src/main.ts']);
  });

  it('runs the API as `npm start` does: the same Node flags and entry point', () => {
    const start = JSON.parse(readProjectFile('package.json')).scripts.start as string;
    expect(start).toMatch(new RegExp(`(^|\\s)node ${API_NODE_FLAGS.join(' ')} --import tsx src/main\\.ts$`));
  });
});

describe('.github/workflows/ci.yml', () => {
  const stepSchema = z.object({
    name: z.string().optional(),
    run: z.string().optional(),
    uses: z.string().optional(),
    with: z.record(z.string(), z.unknown()).optional(),
    env: z.record(z.string(), z.string()).default({}),
  });
  const workflow = z
    .object({ jobs: z.record(z.string(), z.object({ steps: z.array(stepSchema), services: z.record(z.string(), z.unknown()).optional() })) })
    .parse(parse(readProjectFile('.github/workflows/ci.yml')));
  const job = Object.values(workflow.jobs)[0];
  const steps = job?.steps ?? [];
  const stepRunning = (pattern: RegExp) => steps.findIndex((step) => pattern.test(step.run ?? ''));

  it('runs the deployment sequence: bootstrap, migrate, schema-dump check, then the tests', () => {
    const order = [
      stepRunning(/seqmeta -- db bootstrap/),
      stepRunning(/seqmeta -- db migrate/),
      stepRunning(/db:dump -- --check/),
      stepRunning(/(^|\s)npm test\b/),
    ];
    expect(order.every((index) => index >= 0), `step indices ${order.join(', ')}`).toBe(true);
    expect([...order].sort((left, right) => left - right)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });

  it('migrates as the owner alone, like the deployment', () => {
    const migrateStep = steps[stepRunning(/seqmeta -- db migrate/)];
    expect(Object.keys(migrateStep?.env ?? {})).toEqual(['SEQMETA_OWNER_DATABASE_URL']);
  });

  it('runs on Node 22 against a Postgres service', () => {
    const setupNode = steps.find((step) => step.uses?.startsWith('actions/setup-node'));
    expect(String(setupNode?.with?.['node-version'])).toMatch(/^22(\.|$)/);
    expect(Object.keys(job?.services ?? {})).toContain('postgres');
  });
});
