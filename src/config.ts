// The one place that reads process.env: everything else receives the typed Config.
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseConnectionString } from 'pg-connection-string';
import { z } from 'zod';

/**
 * Each process gets only the logins it needs: the API server never receives the owner's
 * or the admin's, the migrate job never the runtime roles'. A missing one is reported by
 * requireDatabaseUrl when a command needs it.
 */
export type DatabaseUrls = {
  /** a superuser login: bootstrap only, never the server */
  admin: string | null;
  /** owns the schema and runs migrations */
  owner: string | null;
  /** the pipeline's writes (etl_worker) */
  etl: string | null;
  /** the API's reads (frontend_api) */
  api: string | null;
  /**
   * frontend_api on a streaming read replica of the database `api` names; when set, the API's
   * reads go there and `api` is their fallback (src/database/readRouting.ts). Absent or null:
   * reads on the primary.
   */
  apiReplica?: string | null;
};

export type Config = {
  /** embedded: no database URL configured, a local Postgres is started in dataDirectory */
  mode: 'embedded' | 'production';
  /** null in embedded mode: the URLs are known once the embedded Postgres runs */
  databaseUrls: DatabaseUrls | null;
  dataDirectory: string;
  embeddedPort: number;
  /** the raw key settings; parsed by src/phiKeys.ts, generated in embedded mode */
  phiKeySettings: {
    pseudonymKey: string | null;
    encryptionKeys: string | null;
    encryptionKeyVersion: number | null;
  };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  server: {
    host: string;
    port: number;
    /** largest request body grafserv accepts */
    maximumBodyBytes: number;
    apiPoolSize: number;
    etlPoolSize: number;
    /** API processes in production mode (node:cluster), each with its own pools; 1 = no cluster */
    workers: number;
    /** statement_timeout of every read on the frontend_api pool */
    apiStatementTimeoutMilliseconds: number;
    /** max_parallel_workers_per_gather of every read on the frontend_api pool */
    apiParallelWorkersPerQuery: number;
    /**
     * whether the database URLs lead to a pooler in transaction mode (PgBouncer's
     * pool_mode = transaction): no setting may then live on a connection, only in a transaction
     */
    transactionPooling: boolean;
    /** whether PostGraphile may use named prepared statements (a transaction pooler needs support for them) */
    preparedStatements: boolean;
    /** with a read replica: where reads go while it does not answer (or lags past the wait); `fail`: nowhere, 503 */
    replicaFallback: 'primary' | 'fail';
    /** with a read replica: how long an ingest mutation waits for it to replay the commit before its payload is read */
    replicaWaitMilliseconds: number;
    /** how long an accepted token is trusted without asking the database again; a revocation takes effect within it */
    tokenCacheMilliseconds: number;
    /** whether a request without a token may run queries (never mutations) */
    allowAnonymousReads: boolean;
    /** whether GET /metrics (Prometheus text, no token) is served */
    metrics: boolean;
  };
  limits: QueryLimits;
  edge: EdgeProtection;
  ingest: IngestRules;
  /** the pipeline side: where the API is and the token to send; no database credentials */
  client: {
    apiUrl: string;
    token: string | null;
  };
};

/**
 * What stands between the network and GraphQL: browsers' cross-origin access, response
 * headers, rate limits, GraphiQL and introspection, trusted documents.
 */
export type EdgeProtection = {
  /** exact origins (scheme://host[:port]) whose browser pages may call /graphql; empty: none */
  corsOrigins: readonly string[];
  /**
   * Express's `trust proxy`: which peers' X-Forwarded-For is believed for the client's address
   * (false: none, the socket's address is the client's; a number: that many proxies in front;
   * a list: addresses, subnets or loopback/linklocal/uniquelocal)
   */
  trustProxy: boolean | number | readonly string[];
  /** refused tokens from one client address in a minute before its token requests get 429; 0 = no limit */
  authenticationFailuresPerMinute: number;
  /** requests a minute per token (anonymous callers: per client address); 0 = no limit */
  requestsPerMinutePerToken: number;
  /** whether /graphiql is served */
  graphiql: boolean;
  /** whether __schema/__type queries are answered (GraphiQL needs them) */
  introspection: boolean;
  /** a folder of <hash>.graphql trusted documents; null: any document is accepted */
  persistedOperationsDirectory: string | null;
  /** with trusted documents on, who may still send documents of their own */
  unpersistedOperationsFrom: 'ingest' | 'tokens';
};

/** What the pipeline's writes may carry. */
export type IngestRules = {
  /** most files one registerRun or logRunOutputs call may carry */
  maximumFilesPerCall: number;
  /** URI schemes a file may have, e.g. s3, gs */
  uriSchemes: readonly string[];
};

/** What one GraphQL request may ask for; PostGraphile 5 has none of these built in. */
export type QueryLimits = {
  /** largest first/last a connection accepts */
  maximumPageSize: number;
  /** page size of a connection queried without first/last */
  defaultPageSize: number;
  /** deepest nesting of selection sets */
  maximumDepth: number;
  /** most aliased fields in one operation */
  maximumAliases: number;
  /** most rows an operation could fetch, multiplying the page sizes of nested connections */
  maximumCost: number;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be a postgres:// URL, e.g. postgres://user:password@host:5432/seqmeta');

/** the user pg logs in as with `url`, parsed as pg parses it: a ?user= parameter overrides the URL's user name */
function loginUserOf(setting: string, url: string): string {
  try {
    return parseConnectionString(url).user ?? '';
  } catch (error) {
    // pg's parser also reads the files that sslcert, sslkey and sslrootcert name
    throw new ConfigError(`Invalid configuration:\n- ${setting}: ${(error as Error).message}`);
  }
}

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const positiveInteger = optionalText.pipe(z.coerce.number<string>().int().positive().optional());
// a limit where 0 turns it off
const limitOrZero = optionalText.pipe(z.coerce.number<string>().int().min(0).optional());
const trueOrFalse = optionalText.pipe(z.enum(['true', 'false'], { error: 'must be true or false' }).optional());

// scheme://host[:port] and nothing else: the form of a browser's Origin header
const isOrigin = (value: string) => {
  try {
    const url = new URL(value);
    return ['http:', 'https:'].includes(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
};

const corsOrigins = optionalText.pipe(
  z
    .string()
    .refine(
      (value) => value.split(',').every((origin) => isOrigin(origin.trim())),
      'must be a comma-separated list of exact origins, scheme://host[:port] without a path or a trailing slash, e.g. https://frontend.example.org',
    )
    .transform((value) => value.split(',').map((origin) => origin.trim()))
    .optional(),
);

// What Express's `trust proxy` accepts, checked here so that a typo stops the process with
// the setting's name rather than later inside Express.
const proxyNames = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyAddress = (value: string) => {
  if (proxyNames.has(value)) return true;
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
};
const trustProxy = optionalText.pipe(
  z
    .string()
    .refine(
      (value) =>
        ['true', 'false'].includes(value) || /^\d{1,2}$/.test(value) || value.split(',').every((part) => isProxyAddress(part.trim())),
      'must be false, true, a number of proxies (e.g. 1), or a comma-separated list of proxy addresses, subnets or loopback/linklocal/uniquelocal',
    )
    .transform((value): boolean | number | string[] =>
      value === 'true' || value === 'false'
        ? value === 'true'
        : /^\d+$/.test(value)
          ? Number(value)
          : value.split(',').map((part) => part.trim()),
    )
    .optional(),
);

const environmentSchema = z.object({
  SEQMETA_ADMIN_DATABASE_URL: optionalText.pipe(postgresUrl.optional()),
  SEQMETA_OWNER_DATABASE_URL: optionalText.pipe(postgresUrl.optional()),
  SEQMETA_ETL_DATABASE_URL: optionalText.pipe(postgresUrl.optional()),
  SEQMETA_API_DATABASE_URL: optionalText.pipe(postgresUrl.optional()),
  SEQMETA_API_REPLICA_DATABASE_URL: optionalText.pipe(postgresUrl.optional()),
  SEQMETA_REPLICA_FALLBACK: optionalText.pipe(
    z.enum(['primary', 'fail'], { error: 'must be primary (reads go to the primary while the replica is down) or fail (they are refused)' }).optional(),
  ),
  SEQMETA_REPLICA_WAIT_MS: positiveInteger,
  SEQMETA_DATA_DIR: optionalText,
  SEQMETA_EMBEDDED_PORT: optionalText.pipe(z.coerce.number<string>().int().min(1024).max(65535).optional()),
  SEQMETA_PSEUDONYM_KEY: optionalText,
  SEQMETA_ENCRYPTION_KEYS: optionalText,
  SEQMETA_ENCRYPTION_KEY_VERSION: optionalText.pipe(z.coerce.number<string>().int().positive().optional()),
  HOST: optionalText,
  PORT: optionalText.pipe(z.coerce.number<string>().int().min(0).max(65535).optional()),
  SEQMETA_MAX_BODY_BYTES: positiveInteger,
  SEQMETA_API_POOL_SIZE: positiveInteger,
  SEQMETA_ETL_POOL_SIZE: positiveInteger,
  SEQMETA_WORKERS: positiveInteger,
  SEQMETA_API_STATEMENT_TIMEOUT_MS: positiveInteger,
  SEQMETA_API_PARALLEL_WORKERS: optionalText.pipe(z.coerce.number<string>().int().min(0).max(64).optional()),
  SEQMETA_TRANSACTION_POOLING: trueOrFalse,
  SEQMETA_PREPARED_STATEMENTS: trueOrFalse,
  SEQMETA_TOKEN_CACHE_SECONDS: limitOrZero,
  SEQMETA_MAX_PAGE_SIZE: positiveInteger,
  SEQMETA_DEFAULT_PAGE_SIZE: positiveInteger,
  SEQMETA_MAX_DEPTH: positiveInteger,
  SEQMETA_MAX_ALIASES: positiveInteger,
  SEQMETA_MAX_COST: positiveInteger,
  SEQMETA_ALLOW_ANONYMOUS_READS: optionalText.pipe(z.enum(['true', 'false'], { error: 'must be true or false' }).optional()),
  SEQMETA_METRICS: optionalText.pipe(z.enum(['true', 'false'], { error: 'must be true or false' }).optional()),
  SEQMETA_CORS_ORIGINS: corsOrigins,
  SEQMETA_TRUST_PROXY: trustProxy,
  SEQMETA_AUTH_FAILURES_PER_MINUTE: limitOrZero,
  SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN: limitOrZero,
  SEQMETA_GRAPHIQL: trueOrFalse,
  SEQMETA_INTROSPECTION: trueOrFalse,
  SEQMETA_PERSISTED_OPERATIONS_DIR: optionalText,
  SEQMETA_ALLOW_UNPERSISTED_OPERATIONS: optionalText.pipe(
    z.enum(['ingest', 'tokens'], { error: 'must be ingest (tokens with the ingest scope) or tokens (any valid token)' }).optional(),
  ),
  SEQMETA_MAX_FILES_PER_CALL: positiveInteger,
  SEQMETA_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be the http(s) URL of the seqmeta API, e.g. https://seqmeta.example.org' }).optional()),
  SEQMETA_TOKEN: optionalText,
  SEQMETA_URI_SCHEMES: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z][a-z0-9+.-]*(,[a-z][a-z0-9+.-]*)*$/, 'must be a comma-separated list of lowercase URI schemes, e.g. s3,gs,https')
      .optional(),
  ),
  LOG_LEVEL: optionalText.pipe(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  ),
});

const databaseUrlSettings = {
  admin: 'SEQMETA_ADMIN_DATABASE_URL',
  owner: 'SEQMETA_OWNER_DATABASE_URL',
  etl: 'SEQMETA_ETL_DATABASE_URL',
  api: 'SEQMETA_API_DATABASE_URL',
} as const;

export type DatabaseRole = keyof typeof databaseUrlSettings;

/**
 * Parses and validates the environment once. Throws ConfigError with one line per problem,
 * each naming the setting to fix and never echoing a value (URLs carry passwords).
 */
export function loadConfig(
  environment: Record<string, string | undefined>,
  projectDirectory: string = process.cwd(),
): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `- ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const settings = parsed.data;

  const limits: QueryLimits = {
    maximumPageSize: settings.SEQMETA_MAX_PAGE_SIZE ?? 1_000,
    defaultPageSize: settings.SEQMETA_DEFAULT_PAGE_SIZE ?? 100,
    maximumDepth: settings.SEQMETA_MAX_DEPTH ?? 12,
    maximumAliases: settings.SEQMETA_MAX_ALIASES ?? 30,
    maximumCost: settings.SEQMETA_MAX_COST ?? 2_000_000,
  };
  if (limits.defaultPageSize > limits.maximumPageSize) {
    throw new ConfigError(
      'Invalid configuration:\n- SEQMETA_DEFAULT_PAGE_SIZE: must not exceed SEQMETA_MAX_PAGE_SIZE',
    );
  }

  const configuredUrls = Object.values(databaseUrlSettings).filter((name) => settings[name] !== undefined);
  const mode = configuredUrls.length === 0 ? 'embedded' : 'production';
  const replicaUrl = settings.SEQMETA_API_REPLICA_DATABASE_URL;
  if (replicaUrl !== undefined) {
    // the replica's reads fall back to, and are checked against, the primary's frontend_api login
    if (settings.SEQMETA_API_DATABASE_URL === undefined) {
      throw new ConfigError(
        'Invalid configuration:\n- SEQMETA_API_REPLICA_DATABASE_URL: needs SEQMETA_API_DATABASE_URL too (frontend_api on the primary)',
      );
    }
    // what PostGraphile can select is what this login can: only the narrow read role will do.
    // The user pg logs in as, parsed as pg parses it: a ?user= parameter overrides the URL's user
    // name. (The server also asks each pool who it is at start: src/database/verifyLogins.ts.)
    if (loginUserOf('SEQMETA_API_REPLICA_DATABASE_URL', replicaUrl) !== 'frontend_api') {
      throw new ConfigError('Invalid configuration:\n- SEQMETA_API_REPLICA_DATABASE_URL: the user must be frontend_api (the user name, or a ?user= parameter, which overrides it)');
    }
  }

  // GraphiQL for the local demo; a deployment opens it (and with it the schema) on purpose.
  // GraphiQL cannot work without introspection, so introspection follows it unless set.
  const graphiql = settings.SEQMETA_GRAPHIQL === undefined ? mode === 'embedded' : settings.SEQMETA_GRAPHIQL === 'true';
  const introspection = settings.SEQMETA_INTROSPECTION === undefined ? graphiql : settings.SEQMETA_INTROSPECTION === 'true';
  if (graphiql && !introspection) {
    throw new ConfigError(
      'Invalid configuration:\n- SEQMETA_INTROSPECTION: GraphiQL needs introspection; set SEQMETA_GRAPHIQL=false too, or leave SEQMETA_INTROSPECTION unset',
    );
  }

  return {
    mode,
    databaseUrls:
      mode === 'production'
        ? {
            admin: settings.SEQMETA_ADMIN_DATABASE_URL ?? null,
            owner: settings.SEQMETA_OWNER_DATABASE_URL ?? null,
            etl: settings.SEQMETA_ETL_DATABASE_URL ?? null,
            api: settings.SEQMETA_API_DATABASE_URL ?? null,
            apiReplica: replicaUrl ?? null,
          }
        : null,
    dataDirectory: path.resolve(projectDirectory, settings.SEQMETA_DATA_DIR ?? '.seqmeta'),
    embeddedPort: settings.SEQMETA_EMBEDDED_PORT ?? 54329,
    phiKeySettings: {
      pseudonymKey: settings.SEQMETA_PSEUDONYM_KEY ?? null,
      encryptionKeys: settings.SEQMETA_ENCRYPTION_KEYS ?? null,
      encryptionKeyVersion: settings.SEQMETA_ENCRYPTION_KEY_VERSION ?? null,
    },
    logLevel: settings.LOG_LEVEL ?? 'info',
    server: {
      // embedded development stays on this machine; a container must listen on all interfaces
      host: settings.HOST ?? (mode === 'embedded' ? '127.0.0.1' : '0.0.0.0'),
      port: settings.PORT ?? 5678,
      // room for a logRunOutputs call of a few thousand files
      maximumBodyBytes: settings.SEQMETA_MAX_BODY_BYTES ?? 2_000_000,
      apiPoolSize: settings.SEQMETA_API_POOL_SIZE ?? 10,
      etlPoolSize: settings.SEQMETA_ETL_POOL_SIZE ?? 5,
      // one process unless asked: a container is usually given one core and replicated
      workers: settings.SEQMETA_WORKERS ?? 1,
      apiStatementTimeoutMilliseconds: settings.SEQMETA_API_STATEMENT_TIMEOUT_MS ?? 5_000,
      // Parallel query lends a read more cores, which helps one large query on an idle server.
      // Under concurrent reads there are no idle cores to lend, and each parallel plan pays for
      // starting its workers: at 300k samples, one core per read served 11 % more pages of the
      // frontend with 12 % less database CPU each (BENCHMARKS.md, scale M)
      apiParallelWorkersPerQuery: settings.SEQMETA_API_PARALLEL_WORKERS ?? 0,
      transactionPooling: settings.SEQMETA_TRANSACTION_POOLING === 'true',
      // PgBouncer before 1.21 (Debian 12 ships 1.18) loses named prepared statements in
      // transaction mode; a newer one with max_prepared_statements > 0 may set this to true
      preparedStatements:
        settings.SEQMETA_PREPARED_STATEMENTS === undefined
          ? settings.SEQMETA_TRANSACTION_POOLING !== 'true'
          : settings.SEQMETA_PREPARED_STATEMENTS === 'true',
      // the replica is extra read capacity: while it is down the primary, which served every read
      // before there was a replica, serves them again (docs/SCALING.md, Read replicas)
      replicaFallback: settings.SEQMETA_REPLICA_FALLBACK ?? 'primary',
      // streaming replay on a healthy replica takes milliseconds; a replica seconds behind is
      // treated as unfit for reading a write back
      replicaWaitMilliseconds: settings.SEQMETA_REPLICA_WAIT_MS ?? 2_000,
      tokenCacheMilliseconds: (settings.SEQMETA_TOKEN_CACHE_SECONDS ?? 30) * 1_000,
      // open for the local demo; a deployment opens reads to anonymous callers only on purpose
      allowAnonymousReads:
        settings.SEQMETA_ALLOW_ANONYMOUS_READS === undefined ? mode === 'embedded' : settings.SEQMETA_ALLOW_ANONYMOUS_READS === 'true',
      metrics: settings.SEQMETA_METRICS !== 'false',
    },
    limits,
    edge: {
      corsOrigins: settings.SEQMETA_CORS_ORIGINS ?? [],
      trustProxy: settings.SEQMETA_TRUST_PROXY ?? false,
      // tokens are long random secrets: 20 misses a minute is a broken client, not bad luck
      authenticationFailuresPerMinute: settings.SEQMETA_AUTH_FAILURES_PER_MINUTE ?? 20,
      // 20 a second, sustained: more than a pipeline or a researcher sends
      requestsPerMinutePerToken: settings.SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN ?? 1_200,
      graphiql,
      introspection,
      persistedOperationsDirectory:
        settings.SEQMETA_PERSISTED_OPERATIONS_DIR === undefined
          ? null
          : path.resolve(projectDirectory, settings.SEQMETA_PERSISTED_OPERATIONS_DIR),
      unpersistedOperationsFrom: settings.SEQMETA_ALLOW_UNPERSISTED_OPERATIONS ?? 'ingest',
    },
    client: {
      apiUrl: (settings.SEQMETA_URL ?? 'http://127.0.0.1:5678').replace(/\/+$/, ''),
      token: settings.SEQMETA_TOKEN ?? null,
    },
    ingest: {
      maximumFilesPerCall: settings.SEQMETA_MAX_FILES_PER_CALL ?? 5_000,
      uriSchemes: (settings.SEQMETA_URI_SCHEMES ?? 's3,gs,az,https,file,drs').split(','),
    },
  };
}

const purposes: Record<DatabaseRole, string> = {
  admin: 'a superuser login, to create the roles and the database',
  owner: 'the schema owner, to run migrations',
  etl: 'the etl_worker login, for the pipeline\'s writes',
  api: 'the frontend_api login, for the API\'s reads',
};

export function requireDatabaseUrl(urls: DatabaseUrls, role: DatabaseRole): string {
  const url = urls[role];
  if (url === null) {
    throw new ConfigError(`Invalid configuration:\n- ${databaseUrlSettings[role]}: missing (${purposes[role]})`);
  }
  return url;
}
