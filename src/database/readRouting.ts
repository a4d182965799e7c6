// Where the API's reads go when a streaming read replica is configured
// (SEQMETA_API_REPLICA_DATABASE_URL), and how an ingest mutation's payload still reads its own
// write there. Without a replica, reads stay on the primary's frontend_api pool and nothing
// here does anything.
//
// Routing. PostGraphile gets `pool`, an object with the one method @dataplan/pg calls on a pool
// it is given, connect() (@dataplan/pg 1.1, dist/adaptors/pg.js: makePgAdaptorWithPgClient;
// its PgSubscriber would only LISTEN for subscriptions, which seqmeta does not serve). Each
// connect() takes a connection from the replica's pool while the replica is usable, otherwise
// from the primary's frontend_api pool (SEQMETA_REPLICA_FALLBACK=primary, the default) or
// refuses at once with SERVICE_UNAVAILABLE (=fail). A read is one connection, so a request's
// reads never mix servers within one statement.
//
// Health, like the database gate (src/http/databaseGate.ts): a connection to the replica that
// fails, or an idle one of its pool dying, makes it *probe* the replica on a fresh connection.
// A failed probe marks it unavailable; while it is, a probe runs every interval and the first
// that answers (and finds the replica caught up, below) sends reads back to it.
//
// Reading your own write. The replica applies the primary's WAL a little later (milliseconds on
// a healthy one), so a payload read there right after the write may miss it, and so may the
// pipeline's next query (`seqmeta fetch-inputs` after `register-run`). After an ingest
// transaction commits, its connection reads the primary's WAL flush position
// (PRIMARY_POSITION_SQL, pg_current_wal_flush_lsn(): after a synchronous commit, at or past this
// commit's record and every earlier commit, such as the rows a retried call found; and what the
// WAL sender streams. Not pg_current_wal_insert_lsn(): when the last record ends exactly on a
// WAL page boundary it reports the position after the next page's header, which the replica's
// replay position, the boundary itself, never reaches while the primary is idle), and the
// mutation waits, polling the replica's pg_last_wal_replay_lsn() (a built-in function PUBLIC may
// execute), until the replica has replayed that far, for at most SEQMETA_REPLICA_WAIT_MS. Then
// the payload is read, on the replica, and the pipeline's next query finds the run there too.
// When the wait runs out:
// - fallback=primary: the replica counts as lagging; reads go to the primary until it has
//   replayed that position, or rather the primary's flush position when the lag was found (the
//   probe checks), so this payload and every later read of this process see it;
// - fallback=fail: the mutation answers 503 SERVICE_UNAVAILABLE saying its write is committed;
//   the pipeline's CLI retries 503s, and a retried ingest call is safe and returns the same result.
// While the replica is unavailable a mutation under fallback=fail is refused before it writes.
//
// Other processes (pods, cluster workers) route on their own. With fallback=primary, a process
// that finds the replica answering again after an outage asks the primary (through the etl_worker
// pool) for its flush position and keeps reads on the primary until the replica has replayed
// that far: writes that other processes made meanwhile, on the primary through their own
// fallback, are then on the replica before this process reads there. What no process can know is
// another's lagging write it has not seen: a process whose own waits succeed keeps reading on
// the replica while a lagging write of another process is not replayed yet (README, Read replicas).
//
// One replica per URL: the wait polls one connection of the replica pool and the payload reads
// on another, so both must reach the same server. Behind a reader endpoint that spreads
// connections over several replicas, a payload could be read on a replica other than the one
// that was waited for.
import pg from 'pg';
import { SafeError } from 'postgraphile/grafast';
import { loggableError, type Logger } from '../logger.ts';
import { isDatabaseUnavailableError } from './unavailable.ts';
import { queryOnFreshConnection } from './freshConnection.ts';

export type ReplicaFallback = 'primary' | 'fail';

/** What /readyz tells of the replica: whether it answers, and where reads go now. */
export type ReadState = {
  replica: 'available' | 'unavailable' | 'lagging';
  reads: 'replica' | 'primary' | 'none';
};

/** What an ingest mutation needs to read its own write (plugins/ingestMutations/operations.ts). */
export type ReadYourWrites = {
  /** throws SERVICE_UNAVAILABLE when no read could follow the write: refused before writing */
  beforeWrite: () => void;
  /** resolves once reads see everything up to `lsn`, the primary's WAL position after the commit */
  afterCommit: (lsn: string) => Promise<void>;
};

export type ReadRouting = {
  /** what PostGraphile reads through (connect() only, see above); the primary's pool without a replica */
  pool: pg.Pool;
  /** null without a replica */
  state: () => ReadState | null;
  /** null without a replica: the primary's own reads see every commit */
  readYourWrites: ReadYourWrites | null;
  /** stops probing (the server is released) */
  stop: () => void;
};

export type ReadRoutingOptions = {
  /** frontend_api on the primary */
  primary: pg.Pool;
  /** etl_worker on the primary: asked for its WAL position (PRIMARY_POSITION_SQL) when the replica is found behind */
  etl: pg.Pool;
  /** frontend_api on the replica; null: no routing */
  replica: pg.Pool | null;
  fallback: ReplicaFallback;
  /** how long a mutation waits for the replica to replay its commit */
  waitMilliseconds: number;
  logger: Logger;
  /** pause between probes while the replica is unavailable or lagging */
  probeIntervalMilliseconds?: number;
  /** how long a probe (connect, then one statement) may take */
  probeTimeoutMilliseconds?: number;
};

const unavailable = (message: string) => new SafeError(message, { code: 'SERVICE_UNAVAILABLE' });
const REPLICA_DOWN = 'reads are unavailable: the read replica does not answer; try again shortly';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** a pg_lsn's text, 'X/Y' (two hexadecimal 32-bit halves), as one number to compare */
function walPosition(lsn: string): bigint {
  const [high = '0', low = '0'] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * The primary's WAL position a replica must replay to hold every commit made so far: the flush
 * position (see the comment at the top for why not the insert position). Run right after a
 * commit on the committing connection (plugins/ingestMutations/operations.ts), and on the
 * etl_worker pool when the replica is found behind.
 */
export const PRIMARY_POSITION_SQL = 'select pg_current_wal_flush_lsn()::text as lsn';

// how far the replica has replayed
const REPLAY_POSITION_SQL = 'select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn()::text as lsn';
type ReplayPosition = { standby: boolean; lsn: string | null };

/** whether the replica had applied the WAL up to `lsn`; a server no longer in recovery (promoted) holds every write it was sent */
function hasReplayed(position: ReplayPosition | undefined, lsn: string): boolean {
  if (position === undefined) return false;
  return !position.standby || (position.lsn !== null && walPosition(position.lsn) >= walPosition(lsn));
}

export function createReadRouting({
  primary,
  etl,
  replica,
  fallback,
  waitMilliseconds,
  logger,
  probeIntervalMilliseconds = 1_000,
  probeTimeoutMilliseconds = 1_500,
}: ReadRoutingOptions): ReadRouting {
  if (replica === null) return { pool: primary, state: () => null, readYourWrites: null, stop: () => undefined };
  const replicaPool = replica;

  /** false from a failed probe until one answers */
  let answers = true;
  /** fallback=primary only: a WAL position the replica must replay before reads go back to it */
  let mustReplay: string | null = null;
  let stopped = false;
  let probing: Promise<void> | null = null;
  let nextProbe: NodeJS.Timeout | null = null;

  const readsOnReplica = () => answers && mustReplay === null;

  /** the pool's connections may all be busy, which is no outage */
  const onFreshConnection = (sql: string) =>
    queryOnFreshConnection(replicaPool, sql, { applicationName: 'seqmeta-probe', timeoutMilliseconds: probeTimeoutMilliseconds });


  function probe(): Promise<void> {
    probing ??= (async () => {
      try {
        const replayed = (await onFreshConnection(REPLAY_POSITION_SQL)).rows[0] as ReplayPosition | undefined;
        if (!answers) {
          // Back after an outage. Other processes may have written meanwhile, their reads on the
          // primary: reads here stay there too until the replica has what the primary has now.
          if (fallback === 'primary') {
            const position = await primaryPosition();
            if (position !== null && !hasReplayed(replayed, position)) holdReadsUntilReplayed(position);
          }
          logger.info('the read replica answers again');
          answers = true;
        }
        // a replay position read before the target was set is compared with its value all the same:
        // the replica had replayed at least that far
        const target = mustReplay;
        if (target !== null && hasReplayed(replayed, target)) {
          mustReplay = null;
          logger.info({ lsn: target }, 'the read replica has caught up: reads go to it again');
        }
      } catch (error) {
        if (answers) {
          logger.error(
            { err: loggableError(error), fallback },
            fallback === 'primary'
              ? 'the read replica does not answer: reads go to the primary until it does'
              : 'the read replica does not answer: reads are refused (503) until it does',
          );
        }
        answers = false;
      } finally {
        probing = null;
        if (!stopped && !readsOnReplica()) scheduleProbe();
      }
    })();
    return probing;
  }

  function scheduleProbe(): void {
    if (stopped || nextProbe !== null) return;
    nextProbe = setTimeout(() => {
      nextProbe = null;
      void probe();
    }, probeIntervalMilliseconds);
    // a pending probe must not keep a stopping process alive
    nextProbe.unref();
  }

  /** fallback=primary: reads stay on the primary until the replica has replayed `lsn` */
  function holdReadsUntilReplayed(lsn: string): void {
    if (mustReplay === null) {
      logger.warn({ lsn, waitMilliseconds }, 'the read replica is behind: reads go to the primary until it has replayed the primary\'s WAL this far');
      mustReplay = lsn;
    } else if (walPosition(lsn) > walPosition(mustReplay)) {
      mustReplay = lsn;
    }
    scheduleProbe();
  }

  /** the primary's flush position now, through the etl_worker pool; null when the primary does not answer */
  async function primaryPosition(): Promise<string | null> {
    try {
      return (await etl.query<{ lsn: string }>(PRIMARY_POSITION_SQL)).rows[0]?.lsn ?? null;
    } catch (error) {
      logger.warn({ err: loggableError(error) }, 'the primary does not tell its WAL position: the read replica is not held back for writes of other processes');
      return null;
    }
  }

  /**
   * fallback=primary, a wait ran out: reads stay on the primary until the replica has replayed
   * `lsn` (this process's write) and everything the primary has flushed by now, which covers
   * other processes' writes up to this moment.
   */
  async function holdReadsUntilCaughtUp(lsn: string): Promise<void> {
    holdReadsUntilReplayed(lsn);
    const position = await primaryPosition();
    if (position !== null) holdReadsUntilReplayed(position);
  }

  async function connect(): Promise<pg.PoolClient> {
    if (readsOnReplica()) {
      try {
        return await replicaPool.connect();
      } catch (error) {
        if (!isDatabaseUnavailableError(error)) throw error;
        // gone, or only busy? the verdict decides where the next reads go
        await probe();
        if (fallback === 'fail') throw readsOnReplica() ? error : unavailable(REPLICA_DOWN);
      }
    } else if (fallback === 'fail') {
      throw unavailable(REPLICA_DOWN);
    }
    return primary.connect();
  }

  const pool = {
    connect,
    // for /readyz: `select 1` where the reads go now
    async query(text: string) {
      const client = await connect();
      let failure: Error | undefined;
      try {
        return await client.query(text);
      } catch (error) {
        failure = error as Error;
        throw error;
      } finally {
        // a connection whose statement failed is discarded, not reused
        client.release(failure);
      }
    },
  } as unknown as pg.Pool;

  const onIdleError = (error: Error) => {
    if (!stopped && answers && isDatabaseUnavailableError(error)) void probe();
  };
  replicaPool.on('error', onIdleError);

  const readYourWrites: ReadYourWrites = {
    beforeWrite() {
      if (fallback === 'fail' && !answers) throw unavailable(`${REPLICA_DOWN}; nothing was written`);
    },
    async afterCommit(lsn) {
      if (!readsOnReplica()) {
        if (fallback === 'fail') throw unavailable(`the read replica does not answer; the write is committed, and repeating the call is safe`);
        // reads are on the primary, which has the write; they return to the replica once it has too
        holdReadsUntilReplayed(lsn);
        return;
      }
      const deadline = Date.now() + waitMilliseconds;
      // replay on a healthy replica takes a millisecond or two: ask again soon, then every 20 ms
      for (let pause = 2; ; pause = Math.min(pause * 2, 20)) {
        let replayed: boolean;
        try {
          replayed = hasReplayed((await replicaPool.query<ReplayPosition>(REPLAY_POSITION_SQL)).rows[0], lsn);
        } catch (error) {
          if (!isDatabaseUnavailableError(error)) throw error;
          await probe();
          replayed = false;
          if (!answers) return readYourWrites.afterCommit(lsn);
        }
        if (replayed) return;
        if (Date.now() >= deadline) break;
        await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
      }
      if (fallback === 'fail') {
        throw unavailable(
          `the read replica has not replayed this write within ${waitMilliseconds} ms; the write is committed, and repeating the call is safe`,
        );
      }
      // found lagging: other processes' writes up to now are held for too, not only this one
      if (mustReplay === null) await holdReadsUntilCaughtUp(lsn);
      else holdReadsUntilReplayed(lsn);
    },
  };

  return {
    pool,
    state: () => ({
      replica: !answers ? 'unavailable' : mustReplay !== null ? 'lagging' : 'available',
      reads: readsOnReplica() ? 'replica' : fallback === 'primary' ? 'primary' : 'none',
    }),
    readYourWrites,
    stop() {
      stopped = true;
      if (nextProbe !== null) clearTimeout(nextProbe);
      nextProbe = null;
      replicaPool.off('error', onIdleError);
    },
  };
}
