// Cluster mode (SEQMETA_WORKERS > 1, production only): one Node process runs JavaScript on
// one core, and the API is CPU-bound in Node (planning, JSON), so a server with N cores runs
// N copies of itself. This process, the primary, only forks the workers and supervises them;
// node:cluster lets the workers share the port (the primary accepts and hands connections out
// round-robin). Each worker is the whole server of src/main.ts, with its own pools: the
// database sees workers × pool size connections.
import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** Whether this process is the primary that should fork workers instead of serving. */
export function isClusterPrimary(config: Pick<Config, 'mode' | 'server'>): boolean {
  return config.mode === 'production' && config.server.workers > 1 && cluster.isPrimary;
}

export function superviseWorkers(count: number, logger: Logger): void {
  let stopping = false;
  let exitCode = 0;
  const serving = new Set<Worker>();

  const fork = () => {
    const worker = cluster.fork();
    worker.once('listening', () => serving.add(worker));
  };

  const stop = (code: number, forward: NodeJS.Signals | null) => {
    exitCode = Math.max(exitCode, code);
    if (!stopping) logger.info({ workers: Object.keys(cluster.workers ?? {}).length }, 'stopping the workers');
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    if (alive.length === 0) process.exit(exitCode);
    if (forward) for (const worker of alive) worker.process.kill(forward);
  };

  cluster.on('exit', (worker, code, signal) => {
    const served = serving.delete(worker);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
      return;
    }
    if (!served) {
      // it could not start (bad settings, no database): another would fail the same way
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker exited before serving: stopping');
      stop(1, 'SIGTERM');
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'a worker exited: starting another');
    fork();
  });

  // An orchestrator sends SIGTERM to this process only: pass it on. Ctrl-C in a terminal
  // signals the whole process group, so the workers already have their SIGINT.
  process.on('SIGTERM', () => stop(0, 'SIGTERM'));
  process.on('SIGINT', () => stop(0, null));

  logger.info({ workers: count }, 'starting API workers');
  for (let index = 0; index < count; index += 1) fork();
}
