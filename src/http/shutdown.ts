// Graceful stop on SIGTERM (orchestrators) and SIGINT (Ctrl-C): stop accepting connections,
// let in-flight requests finish, then release the database. A second signal, or the grace
// period running out, ends the process at once.
import type { Server } from 'node:http';
import type { Logger } from '../logger.ts';

export function installShutdown(
  server: Server,
  release: () => Promise<void>,
  logger: Logger,
  gracePeriodMilliseconds = 10_000,
): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const deadline = setTimeout(() => {
      logger.warn('grace period over: closing remaining connections');
      server.closeAllConnections();
    }, gracePeriodMilliseconds);
    deadline.unref();
    // A keep-alive connection whose request has just been answered stays open until its client
    // closes it or Node's keepAliveTimeout (5 s) ends it, and server.close() waits for it: close
    // each one as soon as it is idle, so the process stops when the last answer is sent.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    sweep.unref();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearInterval(sweep);
    clearTimeout(deadline);
    await release();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}
