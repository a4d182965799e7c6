import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let etl: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  etl = await database.connect('etl');
  await etl.query(`insert into core.patients (patient_hash, patient_id_ciphertext, encryption_key_version)
                   values (repeat('a', 64), decode(repeat('00', 40), 'hex'), 1)`);
  await etl.query(`insert into core.samples (sample_id, patient_hash, specimen_type) values ('SYN-S-1', repeat('a', 64), 'TUMOUR')`);
});
afterAll(() => database?.destroy());

async function newRun(): Promise<string> {
  const result = await etl.query(
    `insert into core.runs (sample_id, assay_type, pipeline_name) values ('SYN-S-1', 'WGS', 'nf-core/sarek') returning run_id`,
  );
  return result.rows[0].run_id;
}

const setStatus = (runId: string, status: string) =>
  etl.query('update core.runs set status = $2 where run_id = $1 returning started_at, finished_at', [runId, status]);

describe('run state machine', () => {
  it('walks PENDING -> RUNNING -> SUCCEEDED and stamps the times', async () => {
    const runId = await newRun();
    const started = await setStatus(runId, 'RUNNING');
    expect(started.rows[0].started_at).toBeInstanceOf(Date);
    const finished = await setStatus(runId, 'SUCCEEDED');
    expect(finished.rows[0].finished_at).toBeInstanceOf(Date);
  });

  it.each(['FAILED', 'CANCELLED'])('lets a RUNNING run end %s', async (status) => {
    const runId = await newRun();
    await setStatus(runId, 'RUNNING');
    await expect(setStatus(runId, status)).resolves.toBeTruthy();
  });

  it('refuses PENDING -> SUCCEEDED with SQLSTATE SQ001 and a clear message', async () => {
    const runId = await newRun();
    await expect(setStatus(runId, 'SUCCEEDED')).rejects.toMatchObject({
      code: 'SQ001',
      message: expect.stringContaining('illegal run status transition PENDING -> SUCCEEDED'),
    });
  });

  it.each(['RUNNING', 'PENDING', 'FAILED'])('keeps a SUCCEEDED run final (-> %s refused)', async (status) => {
    const runId = await newRun();
    await setStatus(runId, 'RUNNING');
    await setStatus(runId, 'SUCCEEDED');
    await expect(setStatus(runId, status)).rejects.toMatchObject({ code: 'SQ001' });
  });

  it('refuses to register a run in any state but PENDING', async () => {
    await expect(
      etl.query(`insert into core.runs (sample_id, assay_type, pipeline_name, status) values ('SYN-S-1', 'WGS', 'x', 'SUCCEEDED')`),
    ).rejects.toThrow(/permission denied|must be PENDING/);
    const owner = await database.connect('owner');
    await expect(
      owner.query(`insert into core.runs (sample_id, assay_type, pipeline_name, status) values ('SYN-S-1', 'WGS', 'x', 'SUCCEEDED')`),
    ).rejects.toMatchObject({ code: 'SQ001' });
  });

  it('never moves a run to another sample, even for the owner', async () => {
    const runId = await newRun();
    const owner = await database.connect('owner');
    await owner.query(`insert into core.samples (sample_id, patient_hash, specimen_type) values ('SYN-S-2', repeat('a', 64), 'NORMAL')`);
    await expect(owner.query(`update core.runs set sample_id = 'SYN-S-2' where run_id = $1`, [runId])).rejects.toMatchObject({
      code: 'SQ001',
    });
  });

  it('keeps the state machine in charge of timestamps on a retried same-state update', async () => {
    const runId = await newRun();
    const first = await setStatus(runId, 'RUNNING');
    const retried = await setStatus(runId, 'RUNNING');
    expect(retried.rows[0].started_at).toEqual(first.rows[0].started_at);
  });
});
