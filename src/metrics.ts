// Prometheus metrics of one API server, in a registry of its own (not prom-client's global
// one), so that several servers can run in one process (the tests do) and each worker of
// cluster mode reports its own. Served at /metrics by src/http/metrics.ts; created only when
// served (SEQMETA_METRICS, src/server.ts).
//
// The process's own metrics (CPU, memory, event-loop lag, garbage collection) describe the
// process, not a server: they are collected once per process, from the first server with
// metrics on, and served with each server's. prom-client cannot stop collecting them (its
// event-loop monitor and GC observer have no off switch), so one set per process, rather than
// one more per server, is what keeps them bounded.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestMetrics, IngestRowKind } from '../plugins/ingestMutations/operations.ts';
import type { OperationOutcome } from '../plugins/operationObserver.ts';
import type { Pools } from './pools.ts';

/** One completed request to /graphql, as the HTTP layer saw it. */
export type GraphQLRequestRecord = OperationOutcome & { status: number; durationSeconds: number };

export type Metrics = {
  /** this server's metrics */
  registry: Registry;
  /** what /metrics serves: the process's metrics, then this server's */
  scrape: () => Promise<string>;
  contentType: string;
  recordGraphQLRequest: (record: GraphQLRequestRecord) => void;
  /** handed to the ingest mutations (plugins/ingestMutations) */
  ingest: IngestMetrics;
  /** forgets this server's metrics (the server is released) */
  clear: () => void;
};

export type MetricsInputs = {
  /** sampled at each scrape */
  pools: Pick<Pools, 'api' | 'etl'> & Partial<Pick<Pools, 'apiReplica'>>;
  /**
   * Distinct operation names kept as label values; later names are counted as `other`.
   * Operation names come from callers, and every label value is a time series to store.
   */
  maximumOperationNames?: number;
};

const ingestRowKinds: readonly IngestRowKind[] = ['patient', 'sample', 'run', 'input_file', 'output_file'];

let processRegistry: Registry | null = null;

/** the process's metrics, collected from the first call on */
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createMetrics({ pools, maximumOperationNames = 100 }: MetricsInputs): Metrics {
  const ofProcess = processMetrics();
  const registry = new Registry();

  const requests = new Counter({
    name: 'seqmeta_graphql_requests_total',
    help: 'Requests to /graphql, by operation, HTTP status and outcome (ok, or error when the answer carries an error)',
    labelNames: ['operation_type', 'operation', 'status', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'seqmeta_graphql_request_duration_seconds',
    help: 'Time from a request to /graphql arriving to its response being sent',
    labelNames: ['operation_type', 'operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'seqmeta_graphql_errors_total',
    help: 'Requests to /graphql answered with an error, by error code (extensions.code; each code once per request)',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const ingestRows = new Counter({
    name: 'seqmeta_ingest_rows_total',
    help: 'Rows the ingest mutations wrote, by kind; retried calls that write nothing count nothing',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  for (const kind of ingestRowKinds) ingestRows.inc({ kind }, 0);

  const poolEntries = [['api', pools.api], ['etl', pools.etl], ...(pools.apiReplica ? [['api_replica', pools.apiReplica] as const] : [])] as const;
  const poolGauge = (name: string, help: string, read: (pool: (typeof poolEntries)[number][1]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'] as const,
      registers: [registry],
      collect() {
        for (const [label, pool] of poolEntries) {
          const value = read(pool);
          if (value !== undefined) this.set({ pool: label }, value);
        }
      },
    });
  poolGauge('seqmeta_database_pool_connections', 'Open connections of each database pool (api: frontend_api, etl: etl_worker, api_replica: frontend_api on the read replica)', (pool) => pool.totalCount);
  poolGauge('seqmeta_database_pool_idle_connections', 'Open connections not in use', (pool) => pool.idleCount);
  poolGauge('seqmeta_database_pool_waiting_requests', 'Requests waiting for a connection because all are in use', (pool) => pool.waitingCount);
  poolGauge('seqmeta_database_pool_max_connections', 'Most connections each pool opens', (pool) => pool.options.max);

  const operationNames = new Set<string>();
  const operationLabel = ({ operationName: name, operationType }: OperationOutcome): string => {
    // never executed (operationType null: refused, or a document that did not validate): the
    // name is only what the body said, and made-up names must not use up the label budget
    if (operationType === null) return 'unknown';
    if (name === null) return 'anonymous';
    if (operationNames.has(name)) return name;
    if (operationNames.size >= maximumOperationNames) return 'other';
    operationNames.add(name);
    return name;
  };

  return {
    registry,
    scrape: async () => `${await ofProcess.metrics()}\n${await registry.metrics()}`,
    contentType: registry.contentType,
    recordGraphQLRequest(record) {
      const operation = operationLabel(record);
      const operationType = record.operationType ?? 'unknown';
      requests.inc({ operation_type: operationType, operation, status: String(record.status), outcome: record.outcome });
      duration.observe({ operation_type: operationType, operation }, record.durationSeconds);
      for (const code of record.errorCodes) errors.inc({ code });
    },
    ingest: {
      rowsWritten(kind, count) {
        ingestRows.inc({ kind }, count);
      },
    },
    clear() {
      registry.clear();
      operationNames.clear();
    },
  };
}
