-- migrate:up
-- The hierarchy Patient 1-n Sample 1-n Run 1-n RunFile, with the rules the pipeline's
-- writes must obey checked here rather than only in TypeScript. History is never deleted:
-- every foreign key restricts, and no runtime role is granted DELETE or TRUNCATE.

-- A person. Only a keyed pseudonym (HMAC-SHA256, computed by the ingest process) and the
-- identifier's AES-256-GCM ciphertext are stored; the keys never reach the database.
create table core.patients (
  patient_hash text primary key
    check (patient_hash ~ '^[0-9a-f]{64}$'),
  -- nonce (12 bytes) || ciphertext || tag (16 bytes)
  patient_id_ciphertext bytea not null
    check (octet_length(patient_id_ciphertext) > 28),
  encryption_key_version smallint not null
    check (encryption_key_version > 0),
  created_at timestamptz not null default now()
);
comment on table core.patients is E'A person, known by a keyed pseudonym; the identifier only as ciphertext.';

-- etl_worker upserts patients but may never read the ciphertext back.
grant select (patient_hash, encryption_key_version, created_at) on core.patients to etl_worker;
grant insert (patient_hash, patient_id_ciphertext, encryption_key_version) on core.patients to etl_worker;

create table core.samples (
  sample_id text primary key
    check (sample_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  patient_hash text not null references core.patients (patient_hash) on delete restrict,
  specimen_type api.specimen_type not null,
  -- visit number for longitudinal sampling; 0 is the first
  timepoint smallint not null default 0
    check (timepoint between 0 and 1000),
  -- a date of the person: PHI, projected to the frontend as a year only
  collection_date date
    check (collection_date >= date '1900-01-01'),
  created_at timestamptz not null default now()
);
create index samples_patient_hash_idx on core.samples (patient_hash);

grant select on core.samples to etl_worker;
grant insert (sample_id, patient_hash, specimen_type, timepoint, collection_date) on core.samples to etl_worker;

-- A run is an event: a failed run stays as a row with status FAILED.
-- started_at and finished_at are set by the state-machine trigger, never by callers.
create table core.runs (
  run_id uuid primary key default gen_random_uuid(),
  sample_id text not null references core.samples (sample_id) on delete restrict,
  assay_type api.assay_type not null,
  status api.run_status not null default 'PENDING',
  pipeline_name text not null
    check (length(pipeline_name) between 1 and 200),
  pipeline_version text
    check (length(pipeline_version) between 1 and 100),
  pipeline_revision text
    check (length(pipeline_revision) between 1 and 100),
  executor text
    check (length(executor) between 1 and 100),
  nextflow_session_id uuid,
  exit_code integer,
  -- free text from the pipeline (error output may quote anything): never in a view
  message text
    check (length(message) <= 10000),
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  check ((status = 'PENDING') = (started_at is null)),
  check ((status in ('SUCCEEDED', 'FAILED', 'CANCELLED')) = (finished_at is not null)),
  check (started_at >= created_at and finished_at >= started_at),
  check (exit_code is null or finished_at is not null)
);
create index runs_sample_id_idx on core.runs (sample_id);

grant select on core.runs to etl_worker;
grant insert (run_id, sample_id, assay_type, pipeline_name, pipeline_version, pipeline_revision)
  on core.runs to etl_worker;
grant update (status, executor, nextflow_session_id, exit_code, message) on core.runs to etl_worker;

-- Files a run read (INPUT) or wrote (OUTPUT). Rows are never updated: a uri logged twice
-- with a different checksum is a conflict for the caller to resolve, not an overwrite.
create table core.run_files (
  file_id uuid primary key default gen_random_uuid(),
  run_id uuid not null references core.runs (run_id) on delete restrict,
  role api.file_role not null,
  uri text not null
    check (uri ~ '^[a-z][a-z0-9+.-]*://' and length(uri) <= 2048),
  format text not null
    check (format ~ '^[A-Z0-9_]{1,32}$'),
  size_bytes bigint
    check (size_bytes >= 0),
  md5 text
    check (md5 ~ '^[0-9a-f]{32}$'),
  sha256 text
    check (sha256 ~ '^[0-9a-f]{64}$'),
  -- 1 or 2 for the mates of paired-end FASTQ
  read_number smallint
    check (read_number in (1, 2)),
  created_at timestamptz not null default now(),
  unique (run_id, role, uri),
  -- an output without a checksum could never be verified downstream
  check (role = 'INPUT' or md5 is not null or sha256 is not null)
);

grant select on core.run_files to etl_worker;
grant insert (run_id, role, uri, format, size_bytes, md5, sha256, read_number)
  on core.run_files to etl_worker;

-- migrate:down
drop table core.run_files;
drop table core.runs;
drop table core.samples;
drop table core.patients;
