// No cluster runs where the tests run, so deploy/k8s is checked as data: every document of
// every manifest, for the promises its comments and README make — probes on the right port,
// the owner's login in the migrate job alone, Secrets that are templates and that the API
// refuses unfilled, network policies that let only seqmeta's pods reach Postgres.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { formatKey, generateKey } from '../../src/phi.ts';
import { loadPhiKeys } from '../../src/phiKeys.ts';

const projectDirectory = new URL('../../', import.meta.url);
const manifestDirectory = new URL('deploy/k8s/', projectDirectory);
const readProjectFile = (name: string) => readFileSync(new URL(name, projectDirectory), 'utf8');

const labelsSchema = z.record(z.string(), z.string());
const selectorSchema = z.strictObject({ matchLabels: labelsSchema.default({}) });

const manifestSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    labels: labelsSchema.default({}),
  }),
});
type Manifest = z.infer<typeof manifestSchema> & { file: string };

const portSchema = z.union([z.number(), z.string()]);
const probeSchema = z.looseObject({ httpGet: z.looseObject({ path: z.string(), port: portSchema }).optional() });
const environmentVariableSchema = z.strictObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({
      secretKeyRef: z.strictObject({ name: z.string(), key: z.string(), optional: z.boolean().optional() }).optional(),
    })
    .optional(),
});
type EnvironmentVariable = z.infer<typeof environmentVariableSchema>;

const containerSchema = z.looseObject({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).default([]),
  ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number(), protocol: z.string().optional() })).default([]),
  env: z.array(environmentVariableSchema).default([]),
  envFrom: z
    .array(z.looseObject({ secretRef: z.looseObject({ name: z.string() }).optional(), configMapRef: z.looseObject({ name: z.string() }).optional() }))
    .default([]),
  readinessProbe: probeSchema.optional(),
  livenessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  lifecycle: z
    .looseObject({
      preStop: z
        .looseObject({
          exec: z.looseObject({ command: z.array(z.string()) }).optional(),
          sleep: z.looseObject({ seconds: z.number() }).optional(),
        })
        .optional(),
    })
    .optional(),
  resources: z
    .looseObject({
      requests: z.record(z.string(), portSchema).default({}),
      limits: z.record(z.string(), portSchema).default({}),
    })
    .default({ requests: {}, limits: {} }),
  securityContext: z
    .looseObject({
      allowPrivilegeEscalation: z.boolean().optional(),
      readOnlyRootFilesystem: z.boolean().optional(),
      privileged: z.boolean().optional(),
      runAsNonRoot: z.boolean().optional(),
      runAsUser: z.number().optional(),
      capabilities: z.looseObject({ drop: z.array(z.string()).default([]), add: z.array(z.string()).default([]) }).optional(),
    })
    .default({}),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string() })).default([]),
});
type Container = z.infer<typeof containerSchema>;

const volumeSchema = z.looseObject({
  name: z.string(),
  secret: z.looseObject({ secretName: z.string() }).optional(),
  projected: z.looseObject({ sources: z.array(z.looseObject({ secret: z.looseObject({ name: z.string() }).optional() })) }).optional(),
  emptyDir: z.looseObject({}).optional(),
});

const podSpecSchema = z.looseObject({
  containers: z.array(containerSchema).min(1),
  initContainers: z.array(containerSchema).default([]),
  volumes: z.array(volumeSchema).default([]),
  securityContext: z
    .looseObject({
      runAsNonRoot: z.boolean().optional(),
      runAsUser: z.number().optional(),
      seccompProfile: z.looseObject({ type: z.string() }).optional(),
    })
    .default({}),
  automountServiceAccountToken: z.boolean().optional(),
  terminationGracePeriodSeconds: z.number().optional(),
});
type PodSpec = z.infer<typeof podSpecSchema>;
type PodTemplate = { labels: Record<string, string>; spec: PodSpec };

const podTemplateSchema = z.looseObject({ metadata: z.looseObject({ labels: labelsSchema.default({}) }), spec: podSpecSchema });

// --- the manifests ------------------------------------------------------------------------

const manifestFiles = readdirSync(manifestDirectory)
  .filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml')
  .sort();

const manifests: Manifest[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(new URL(file, manifestDirectory), 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`deploy/k8s/${file}: ${document.errors.map((error) => error.message).join('; ')}`);
    return { ...manifestSchema.parse(document.toJS()), file };
  }),
);

const kustomization = z
  .looseObject({
    namespace: z.string(),
    resources: z.array(z.string()),
    images: z.array(z.looseObject({ name: z.string(), newName: z.string().optional(), newTag: z.string().optional() })).default([]),
  })
  .parse(parseAllDocuments(readFileSync(new URL('kustomization.yaml', manifestDirectory), 'utf8'))[0]?.toJS());

function only(kind: string, name?: string): Manifest {
  const found = manifests.filter((manifest) => manifest.kind === kind && (name === undefined || manifest.metadata.name === name));
  if (found.length !== 1) throw new Error(`deploy/k8s has ${found.length} ${kind}${name ? ` named ${name}` : ''} manifests, expected 1`);
  return found[0]!;
}

const field = (manifest: Manifest, ...path: string[]): unknown =>
  path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], manifest);

/** The pod template of anything that runs pods; null for everything else. */
function podTemplateOf(manifest: Manifest): PodTemplate | null {
  const template = (() => {
    switch (manifest.kind) {
      case 'Deployment':
      case 'StatefulSet':
      case 'DaemonSet':
      case 'ReplicaSet':
      case 'Job':
        return field(manifest, 'spec', 'template');
      case 'CronJob':
        return field(manifest, 'spec', 'jobTemplate', 'spec', 'template');
      case 'Pod':
        return { metadata: manifest.metadata, spec: field(manifest, 'spec') };
      default:
        return null;
    }
  })();
  if (template === null) return null;
  const parsed = podTemplateSchema.parse(template);
  return { labels: parsed.metadata.labels, spec: parsed.spec };
}

const workloads = manifests.flatMap((manifest) => {
  const template = podTemplateOf(manifest);
  return template ? [{ manifest, template }] : [];
});

function template(kind: string, name: string): PodTemplate {
  const found = podTemplateOf(only(kind, name));
  if (!found) throw new Error(`${kind} ${name} runs no pods`);
  return found;
}

const allContainers = (spec: PodSpec): Container[] => [...spec.initContainers, ...spec.containers];

const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);

const deployment = only('Deployment', 'seqmeta-api');
const api = template('Deployment', 'seqmeta-api');
const apiContainer = api.spec.containers[0]!;
const migrateJob = only('Job', 'seqmeta-migrate');
const migrate = template('Job', 'seqmeta-migrate');
const autoscaler = z
  .looseObject({
    spec: z.looseObject({
      scaleTargetRef: z.looseObject({ apiVersion: z.string(), kind: z.string(), name: z.string() }),
      minReplicas: z.number(),
      maxReplicas: z.number(),
      metrics: z.array(z.looseObject({ type: z.string(), resource: z.looseObject({ name: z.string() }).optional() })),
    }),
  })
  .parse(only('HorizontalPodAutoscaler'));

// --- Secrets ----------------------------------------------------------------------------

const secrets = new Map(
  manifests
    .filter((manifest) => manifest.kind === 'Secret')
    .map((manifest) => [manifest.metadata.name, z.record(z.string(), z.string()).parse(field(manifest, 'stringData') ?? {})]),
);

const ownerUrl = 'SEQMETA_OWNER_DATABASE_URL';
const privilegedUrls = ['SEQMETA_ADMIN_DATABASE_URL', ownerUrl];
const privilegedLogin = /postgres(ql)?:\/\/(postgres|seqmeta_owner)[:@]/;

/** Secrets holding a privileged login, by key name or by value. */
function privilegedSecretsAmong(all: Map<string, Record<string, string>>): string[] {
  return [...all]
    .filter(([, data]) => Object.entries(data).some(([key, value]) => privilegedUrls.includes(key) || privilegedLogin.test(value)))
    .map(([name]) => name);
}

/** Every way a pod could receive the owner's or the superuser's login. */
function privilegedReferencesOf(spec: PodSpec, all: Map<string, Record<string, string>>): string[] {
  const privileged = privilegedSecretsAmong(all);
  const found: string[] = [];
  for (const container of allContainers(spec)) {
    for (const variable of container.env) {
      if (privilegedUrls.includes(variable.name)) found.push(`${container.name}: env ${variable.name}`);
      if (variable.value !== undefined && privilegedLogin.test(variable.value)) found.push(`${container.name}: env ${variable.name} logs in as a privileged role`);
      const reference = variable.valueFrom?.secretKeyRef;
      if (reference && privileged.includes(reference.name)) found.push(`${container.name}: env ${variable.name} from Secret ${reference.name}`);
    }
    for (const source of container.envFrom) {
      if (source.secretRef && privileged.includes(source.secretRef.name)) found.push(`${container.name}: envFrom Secret ${source.secretRef.name}`);
    }
  }
  for (const volume of spec.volumes) {
    const names = [volume.secret?.secretName, ...(volume.projected?.sources ?? []).map((source) => source.secret?.name)];
    for (const name of names) if (name !== undefined && privileged.includes(name)) found.push(`volume ${volume.name} from Secret ${name}`);
  }
  return found;
}

const secretVariables = (container: Container) => container.env.filter((variable) => variable.valueFrom?.secretKeyRef !== undefined);

/** Settings a pod may start without: their Secret key is optional, and absent from the template. */
const optionalSecretSettings = ['SEQMETA_API_REPLICA_DATABASE_URL'];

// --- helpers about the API's settings ------------------------------------------------------

/** The number a named or numbered port stands for in this container. */
function containerPortOf(container: Container, port: string | number): number | undefined {
  if (typeof port === 'number') return container.ports.some((candidate) => candidate.containerPort === port) ? port : undefined;
  return container.ports.find((candidate) => candidate.name === port)?.containerPort;
}

const syntheticSecrets: Record<string, string> = {
  SEQMETA_ETL_DATABASE_URL: 'postgres://etl_worker:synthetic@postgres.invalid:5432/seqmeta',
  SEQMETA_API_DATABASE_URL: 'postgres://frontend_api:synthetic@postgres.invalid:5432/seqmeta',
  SEQMETA_OWNER_DATABASE_URL: 'postgres://seqmeta_owner:synthetic@postgres.invalid:5432/seqmeta',
  SEQMETA_PSEUDONYM_KEY: formatKey(generateKey()),
  SEQMETA_ENCRYPTION_KEYS: `1:${formatKey(generateKey())}`,
};

/** The container's environment as the process sees it, with `secrets` standing in for the Secrets. */
function environmentOf(container: Container, secretValue: (variable: EnvironmentVariable) => string): Record<string, string> {
  return Object.fromEntries(container.env.map((variable) => [variable.name, variable.valueFrom?.secretKeyRef ? secretValue(variable) : (variable.value ?? '')]));
}

const filledEnvironment = (container: Container) => environmentOf(container, (variable) => syntheticSecrets[variable.valueFrom!.secretKeyRef!.key] ?? '');
const placeholderEnvironment = (container: Container) =>
  environmentOf(container, (variable) => secrets.get(variable.valueFrom!.secretKeyRef!.name)?.[variable.valueFrom!.secretKeyRef!.key] ?? '');

// ------------------------------------------------------------------------------------------

describe('deploy/k8s', () => {
  it('holds one Namespace, the one kustomization.yaml puts everything in', () => {
    expect(only('Namespace').metadata.name).toBe(kustomization.namespace);
    for (const manifest of manifests) {
      expect([undefined, kustomization.namespace], `${manifest.file}: ${manifest.kind} ${manifest.metadata.name}`).toContain(manifest.metadata.namespace);
    }
  });

  it('lists every manifest of the folder in kustomization.yaml, and nothing else', () => {
    expect(manifestFiles.length).toBeGreaterThan(5);
    expect([...kustomization.resources].sort()).toEqual(manifestFiles);
  });

  it('runs one image with a fixed tag, never latest, for the API and the migrate job alike', () => {
    const images = new Set(workloads.flatMap(({ template: { spec } }) => allContainers(spec).map((container) => container.image)));
    expect([...images]).toHaveLength(1);
    const [image = ''] = [...images];
    const [name, tag] = image.split(':');
    expect(tag).toMatch(/^[\w][\w.-]*$/);
    expect(tag).not.toBe('latest');
    // the release is named in one place, and it is a fixed tag as well
    const release = kustomization.images.find((entry) => entry.name === name);
    expect(release?.newTag).toMatch(/^[\w][\w.-]*$/);
    expect(release?.newTag).not.toBe('latest');
  });

  it('sets CPU and memory requests and limits on every container', () => {
    expect(workloads.map(({ manifest }) => manifest.kind).sort()).toEqual(['Deployment', 'Job']);
    for (const { manifest, template: { spec } } of workloads) {
      for (const container of allContainers(spec)) {
        const where = `${manifest.kind} ${manifest.metadata.name}: ${container.name}`;
        expect(Object.keys(container.resources.requests).sort(), where).toEqual(['cpu', 'memory']);
        expect(Object.keys(container.resources.limits).sort(), where).toEqual(['cpu', 'memory']);
      }
    }
  });

  it('runs every pod as a non-root user, read-only, with no privilege escalation and no capabilities', () => {
    for (const { manifest, template: { spec } } of workloads) {
      const where = `${manifest.kind} ${manifest.metadata.name}`;
      expect(spec.securityContext.runAsNonRoot, where).toBe(true);
      // numeric: the kubelet cannot check that a user *name* (the image's `node`) is not root
      expect(spec.securityContext.runAsUser, where).toBeGreaterThan(0);
      expect(spec.securityContext.seccompProfile?.type, where).toBe('RuntimeDefault');
      expect(spec.automountServiceAccountToken, where).toBe(false);
      for (const container of allContainers(spec)) {
        expect(container.securityContext, `${where}: ${container.name}`).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
        expect(container.securityContext.privileged ?? false).toBe(false);
        expect(container.securityContext.capabilities?.drop).toContain('ALL');
        expect(container.securityContext.capabilities?.add ?? []).toEqual([]);
        // tsx writes its cache to the temporary directory: the only writable place
        const temporary = container.volumeMounts.find((mount) => mount.mountPath === '/tmp');
        expect(spec.volumes.find((volume) => volume.name === temporary?.name)?.emptyDir, `${where}: ${container.name} /tmp`).toBeDefined();
      }
    }
  });
});

describe('the API Deployment', () => {
  const port = Number(apiContainer.env.find((variable) => variable.name === 'PORT')?.value);

  it('listens on the container port PORT names, with readiness on /readyz, liveness and startup on /healthz', () => {
    expect(api.spec.containers).toHaveLength(1);
    expect(apiContainer.ports.map((candidate) => candidate.containerPort)).toEqual([port]);
    const probes = { readinessProbe: '/readyz', livenessProbe: '/healthz', startupProbe: '/healthz' } as const;
    for (const [probe, path] of Object.entries(probes) as [keyof typeof probes, string][]) {
      const request = apiContainer[probe]?.httpGet;
      expect(request?.path, probe).toBe(path);
      expect(containerPortOf(apiContainer, request?.port ?? -1), probe).toBe(port);
    }
  });

  it('sets only settings src/config.ts reads, which load as production with one worker per pod', () => {
    const configSource = readProjectFile('src/config.ts');
    for (const variable of apiContainer.env) expect(configSource, variable.name).toMatch(new RegExp(`^\\s+${variable.name}: `, 'm'));
    const config = loadConfig(filledEnvironment(apiContainer));
    expect(config.mode).toBe('production');
    expect(config.server.port).toBe(port);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.server.workers).toBe(1);
    expect(config.server.allowAnonymousReads).toBe(false);
    // behind the ingress controller: left at false, every client would share its address
    expect(config.edge.trustProxy).toBe(1);
  });

  it('runs node as the container\'s first process, so SIGTERM reaches the server\'s graceful shutdown', () => {
    expect(apiContainer.command).toEqual(['node', '--import', 'tsx', 'src/main.ts']);
  });

  it('gives the pod time for its preStop pause and the server\'s own grace period before SIGKILL', () => {
    const graceMilliseconds = Number(/gracePeriodMilliseconds = ([\d_]+)/.exec(readProjectFile('src/http/shutdown.ts'))?.[1]?.replaceAll('_', ''));
    expect(graceMilliseconds).toBeGreaterThan(0);
    const preStop = apiContainer.lifecycle?.preStop;
    const pauseSeconds = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command.join(' ').match(/^sleep (\d+)$/)?.[1]);
    expect(pauseSeconds).toBeGreaterThan(0);
    // Kubernetes counts the grace period from the start of preStop; 5 s to close the pools
    expect(api.spec.terminationGracePeriodSeconds ?? 30).toBeGreaterThanOrEqual(pauseSeconds + graceMilliseconds / 1000 + 5);
  });

  it('is scaled by the autoscaler on CPU, between at least 2 pods and its maximum', () => {
    expect(autoscaler.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(autoscaler.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(autoscaler.spec.maxReplicas).toBeGreaterThanOrEqual(autoscaler.spec.minReplicas);
    expect(autoscaler.spec.metrics.some((metric) => metric.type === 'Resource' && metric.resource?.name === 'cpu')).toBe(true);
    // a replica count here would reset the autoscaler's choice at every apply
    expect(field(deployment, 'spec', 'replicas')).toBeUndefined();
  });

  it('opens at most 80 database connections at its largest scale (a default Postgres allows 100)', () => {
    const { server } = loadConfig(filledEnvironment(apiContainer));
    expect(autoscaler.spec.maxReplicas * (server.apiPoolSize + server.etlPoolSize)).toBeLessThanOrEqual(80);
  });

  it('has a disruption budget over its pods that still lets a node drain', () => {
    const budget = only('PodDisruptionBudget');
    expect(selects(selectorSchema.parse(field(budget, 'spec', 'selector')).matchLabels, api.labels)).toBe(true);
    const minimumAvailable = field(budget, 'spec', 'minAvailable');
    expect(typeof minimumAvailable).toBe('number');
    expect(minimumAvailable).toBeGreaterThanOrEqual(1);
    expect(minimumAvailable).toBeLessThan(autoscaler.spec.minReplicas);
  });

  it('is selected by its Deployment and Service, which target its port', () => {
    expect(selects(selectorSchema.parse(field(deployment, 'spec', 'selector')).matchLabels, api.labels)).toBe(true);
    const service = only('Service');
    expect(selects(labelsSchema.parse(field(service, 'spec', 'selector')), api.labels)).toBe(true);
    const servicePorts = z.array(z.looseObject({ targetPort: portSchema })).parse(field(service, 'spec', 'ports'));
    for (const servicePort of servicePorts) expect(containerPortOf(apiContainer, servicePort.targetPort)).toBe(port);
  });
});

describe('credentials', () => {
  it('keeps the owner\'s login in one Secret, and the superuser\'s out of the cluster', () => {
    expect(privilegedSecretsAmong(secrets)).toEqual(['seqmeta-owner']);
    expect(Object.keys(secrets.get('seqmeta-owner') ?? {})).toEqual([ownerUrl]);
    for (const [name, data] of secrets) {
      expect(Object.keys(data), name).not.toContain('SEQMETA_ADMIN_DATABASE_URL');
      expect(Object.values(data).some((value) => /postgres(ql)?:\/\/postgres[:@]/.test(value)), name).toBe(false);
    }
  });

  it('gives the owner\'s login to the migrate job alone, and the job nothing else', () => {
    for (const { manifest, template: { spec } } of workloads) {
      const references = privilegedReferencesOf(spec, secrets);
      if (manifest === migrateJob) expect(references).not.toEqual([]);
      else expect(references, `${manifest.kind} ${manifest.metadata.name}`).toEqual([]);
    }
    const [container, ...others] = allContainers(migrate.spec);
    expect(others).toEqual([]);
    expect(container?.env.map((variable) => variable.name)).toEqual([ownerUrl]);
    expect(container?.envFrom).toEqual([]);
    // migrate as the owner; bootstrap needs a superuser and is a DBA's one-time step
    expect(container?.command.slice(-2)).toEqual(['db', 'migrate']);
    expect(container?.command).not.toContain('bootstrap');
  });

  it('gives the API the two runtime logins and the PHI keys, from its own Secret', () => {
    expect(apiContainer.envFrom).toEqual([]);
    expect(api.spec.volumes.filter((volume) => volume.secret !== undefined || volume.projected !== undefined)).toEqual([]);
    const fromSecrets = secretVariables(apiContainer);
    expect(fromSecrets.map((variable) => variable.name).sort()).toEqual([
      'SEQMETA_API_DATABASE_URL',
      'SEQMETA_API_REPLICA_DATABASE_URL',
      'SEQMETA_ENCRYPTION_KEYS',
      'SEQMETA_ETL_DATABASE_URL',
      'SEQMETA_PSEUDONYM_KEY',
    ]);
    expect(new Set(fromSecrets.map((variable) => variable.valueFrom?.secretKeyRef?.name))).toEqual(new Set(['seqmeta-api']));
  });

  it('refers only to Secrets of this folder, and to keys they hold', () => {
    const references = workloads.flatMap(({ template: { spec } }) => allContainers(spec).flatMap(secretVariables));
    expect(references.length).toBeGreaterThan(0);
    for (const variable of references) {
      const reference = variable.valueFrom!.secretKeyRef!;
      expect(secrets.has(reference.name), `${variable.name} → ${reference.name}`).toBe(true);
      if (optionalSecretSettings.includes(variable.name)) {
        // a feature to switch on: the pod starts without the key, and the template leaves it
        // out (a placeholder there would stop every pod that does not use it)
        expect(reference.optional, variable.name).toBe(true);
        expect(Object.keys(secrets.get(reference.name) ?? {}), `${variable.name} → ${reference.name}`).not.toContain(reference.key);
        continue;
      }
      expect(Object.keys(secrets.get(reference.name) ?? {}), `${variable.name} → ${reference.name}`).toContain(reference.key);
      // a missing key must stop the pod, not start it without the setting
      expect(reference.optional ?? false, variable.name).toBe(false);
    }
  });

  it('reads on the primary without the optional replica key, and on the replica with it, the primary its fallback', () => {
    expect(loadConfig(filledEnvironment(apiContainer)).databaseUrls?.apiReplica).toBeNull();
    const replica = 'postgres://frontend_api:synthetic@replica.postgres.invalid:5432/seqmeta';
    const withReplica = loadConfig(
      environmentOf(apiContainer, (variable) =>
        variable.name === 'SEQMETA_API_REPLICA_DATABASE_URL' ? replica : (syntheticSecrets[variable.valueFrom!.secretKeyRef!.key] ?? ''),
      ),
    );
    expect(withReplica.databaseUrls).toMatchObject({ api: syntheticSecrets.SEQMETA_API_DATABASE_URL, apiReplica: replica });
  });

  it('ships Secrets as templates: every value a REPLACE_ME placeholder, none base64-encoded', () => {
    expect(secrets.size).toBeGreaterThanOrEqual(2);
    for (const manifest of manifests.filter((candidate) => candidate.kind === 'Secret')) {
      expect(field(manifest, 'data'), manifest.metadata.name).toBeUndefined();
    }
    for (const [name, data] of secrets) {
      expect(Object.keys(data).length, name).toBeGreaterThan(0);
      for (const [key, value] of Object.entries(data)) expect(value, `${name}.${key}`).toMatch(/^REPLACE_ME\b/);
    }
  });

  it('cannot start with unfilled Secrets: the placeholders are refused as settings', async () => {
    expect(() => loadConfig(placeholderEnvironment(apiContainer))).toThrow(ConfigError);
    expect(() => loadConfig(placeholderEnvironment(apiContainer))).toThrow(/SEQMETA_ETL_DATABASE_URL[\s\S]*SEQMETA_API_DATABASE_URL|SEQMETA_API_DATABASE_URL[\s\S]*SEQMETA_ETL_DATABASE_URL/);
    expect(() => loadConfig(placeholderEnvironment(migrate.spec.containers[0]!))).toThrow(/SEQMETA_OWNER_DATABASE_URL/);
    // with real URLs but the keys left as placeholders, the keys stop it
    const keysUnfilled = { ...placeholderEnvironment(apiContainer), SEQMETA_ETL_DATABASE_URL: syntheticSecrets.SEQMETA_ETL_DATABASE_URL, SEQMETA_API_DATABASE_URL: syntheticSecrets.SEQMETA_API_DATABASE_URL };
    await expect(loadPhiKeys(loadConfig(keysUnfilled))).rejects.toThrow(/SEQMETA_PSEUDONYM_KEY/);
    // and filled in, the same settings load
    await expect(loadPhiKeys(loadConfig(filledEnvironment(apiContainer)))).resolves.toMatchObject({ generatedFile: null });
  });

  it('recognises each way the owner\'s login could reach a pod', () => {
    const ownerReference = { name: 'X', valueFrom: { secretKeyRef: { name: 'seqmeta-owner', key: ownerUrl } } };
    const withContainer = (change: Partial<Container>): PodSpec => ({ ...api.spec, containers: [{ ...apiContainer, ...change }] });
    const variants: PodSpec[] = [
      withContainer({ env: [...apiContainer.env, { name: ownerUrl, value: 'postgres://someone@postgres.invalid/seqmeta' }] }),
      withContainer({ env: [...apiContainer.env, { name: 'SEQMETA_ADMIN_DATABASE_URL', value: 'postgres://x@postgres.invalid/postgres' }] }),
      withContainer({ env: [...apiContainer.env, ownerReference] }),
      withContainer({ env: [...apiContainer.env, { name: 'DATABASE_URL', value: 'postgres://seqmeta_owner:x@postgres.invalid/seqmeta' }] }),
      withContainer({ envFrom: [{ secretRef: { name: 'seqmeta-owner' } }] }),
      { ...api.spec, volumes: [...api.spec.volumes, { name: 'owner', secret: { secretName: 'seqmeta-owner' } }] },
      { ...api.spec, volumes: [...api.spec.volumes, { name: 'owner', projected: { sources: [{ secret: { name: 'seqmeta-owner' } }] } }] },
      { ...api.spec, initContainers: [{ ...apiContainer, name: 'setup', env: [ownerReference] }] },
    ];
    for (const variant of variants) expect(privilegedReferencesOf(variant, secrets)).not.toEqual([]);
    // an API Secret that gained the owner's login counts as the owner's
    const leakySecrets = new Map([...secrets, ['seqmeta-api', { ...secrets.get('seqmeta-api'), EXTRA: 'postgres://seqmeta_owner:x@postgres.invalid/seqmeta' }]]);
    expect(privilegedReferencesOf(api.spec, leakySecrets)).not.toEqual([]);
  });
});

describe('network policies', () => {
  const policySchema = z.looseObject({
    metadata: z.looseObject({ name: z.string() }),
    spec: z.looseObject({
      podSelector: selectorSchema,
      policyTypes: z.array(z.enum(['Ingress', 'Egress'])),
      ingress: z
        .array(
          z.strictObject({
            from: z.array(z.strictObject({ podSelector: selectorSchema.optional(), namespaceSelector: z.unknown().optional(), ipBlock: z.unknown().optional() })).optional(),
            ports: z.array(z.strictObject({ protocol: z.string().default('TCP'), port: portSchema })).optional(),
          }),
        )
        .default([]),
      egress: z
        .array(z.strictObject({ to: z.array(z.unknown()).optional(), ports: z.array(z.strictObject({ protocol: z.string().default('TCP'), port: portSchema })).optional() }))
        .default([]),
    }),
  });
  const policies = manifests.filter((manifest) => manifest.kind === 'NetworkPolicy').map((manifest) => policySchema.parse(manifest));
  const policiesOver = (labels: Record<string, string>) => policies.filter((policy) => selects(policy.spec.podSelector.matchLabels, labels));
  const postgresLabels = { 'app.kubernetes.io/name': 'postgres' };

  it('lets only the API and the migrate pods reach Postgres, and only on 5432', () => {
    const [policy, ...others] = policiesOver(postgresLabels);
    expect(others).toEqual([]);
    expect(policy?.spec.policyTypes).toContain('Ingress');
    const rules = policy?.spec.ingress ?? [];
    expect(rules.length).toBeGreaterThan(0);
    const reached = new Set<string>();
    for (const rule of rules) {
      // a rule without ports or sources would open every port or every pod
      expect(rule.ports).toEqual([{ protocol: 'TCP', port: 5432 }]);
      expect(rule.from?.length).toBeGreaterThan(0);
      for (const peer of rule.from ?? []) {
        // no other namespace, no address range: seqmeta's own pods only
        expect(Object.keys(peer)).toEqual(['podSelector']);
        const selector = peer.podSelector?.matchLabels ?? {};
        // each source is exactly one of the two: not a label every seqmeta pod carries
        const matches = [['api', api.labels], ['migrate', migrate.labels]].filter(([, labels]) => selects(selector, labels as Record<string, string>));
        expect(matches.map(([name]) => name), JSON.stringify(selector)).toHaveLength(1);
        reached.add(matches[0]![0] as string);
      }
    }
    expect([...reached].sort()).toEqual(['api', 'migrate']);
  });

  it('lets traffic into the API only on its port', () => {
    const port = Number(apiContainer.env.find((variable) => variable.name === 'PORT')?.value);
    const [policy, ...others] = policiesOver(api.labels);
    expect(others).toEqual([]);
    expect(policy?.spec.policyTypes).toContain('Ingress');
    expect(policy?.spec.ingress.length).toBeGreaterThan(0);
    for (const rule of policy?.spec.ingress ?? []) {
      expect(rule.ports?.length).toBeGreaterThan(0);
      for (const rulePort of rule.ports ?? []) {
        expect(rulePort.protocol).toBe('TCP');
        expect(containerPortOf(apiContainer, rulePort.port)).toBe(port);
      }
    }
  });

  it('lets the API and the migrate job reach only DNS and Postgres, and nothing into the job', () => {
    for (const labels of [api.labels, migrate.labels]) {
      const [policy, ...others] = policiesOver(labels);
      expect(others).toEqual([]);
      expect(policy?.spec.policyTypes).toContain('Egress');
      const allowed = (policy?.spec.egress ?? []).flatMap((rule) => {
        expect(rule.ports?.length, 'an egress rule without ports opens every port').toBeGreaterThan(0);
        return (rule.ports ?? []).map((rulePort) => `${rulePort.protocol}/${rulePort.port}`);
      });
      expect(new Set(allowed)).toEqual(new Set(['UDP/53', 'TCP/53', 'TCP/5432']));
    }
    const [migratePolicy] = policiesOver(migrate.labels);
    expect(migratePolicy?.spec.policyTypes).toContain('Ingress');
    expect(migratePolicy?.spec.ingress).toEqual([]);
  });
});
