-- migrate:up
-- The only relations the API can read. They are owned by the owner (so they read core
-- with the owner's rights) and granted to frontend_api alone. They project no PHI:
-- no patient identifier or ciphertext, no free text, no date of the person finer than a
-- year. Smart tags give PostGraphile the keys and relations a view cannot declare.

create view api.frontend_patients as
  select
    patient_hash,
    extract(year from created_at)::integer as registered_year
  from core.patients;
comment on view api.frontend_patients is E'@name patient\n@primaryKey patient_hash\nA person, known only by a keyed pseudonym.';
comment on column api.frontend_patients.patient_hash is E'@notNull\nKeyed pseudonym (HMAC-SHA256) of the patient identifier; stable, not reversible.';
comment on column api.frontend_patients.registered_year is E'@notNull\nYear the patient was first registered.';
grant select on api.frontend_patients to frontend_api;

create view api.frontend_samples as
  select
    sample_id,
    patient_hash,
    specimen_type,
    timepoint,
    extract(year from collection_date)::integer as collection_year
  from core.samples;
comment on view api.frontend_samples is E'@name sample\n@primaryKey sample_id\n@foreignKey (patient_hash) references api.frontend_patients (patient_hash)|@fieldName patient|@foreignFieldName samples\nA biological sample taken from a patient.';
comment on column api.frontend_samples.sample_id is E'@notNull\nLaboratory identifier of the sample.';
comment on column api.frontend_samples.patient_hash is E'@notNull';
comment on column api.frontend_samples.specimen_type is E'@notNull';
comment on column api.frontend_samples.timepoint is E'@notNull\nVisit number for longitudinal sampling; 0 is the first.';
comment on column api.frontend_samples.collection_year is E'Year the sample was collected (the date itself is PHI).';
grant select on api.frontend_samples to frontend_api;

create view api.frontend_runs as
  select
    run_id,
    sample_id,
    assay_type,
    status,
    pipeline_name,
    pipeline_version,
    pipeline_revision,
    executor,
    exit_code,
    extract(year from created_at)::integer as run_year,
    extract(epoch from finished_at - started_at)::integer as duration_seconds
  from core.runs;
comment on view api.frontend_runs is E'@name run\n@primaryKey run_id\n@foreignKey (sample_id) references api.frontend_samples (sample_id)|@fieldName sample|@foreignFieldName runs\nOne execution of a pipeline on a sample.';
comment on column api.frontend_runs.run_id is E'@notNull';
comment on column api.frontend_runs.sample_id is E'@notNull';
comment on column api.frontend_runs.assay_type is E'@notNull';
comment on column api.frontend_runs.status is E'@notNull';
comment on column api.frontend_runs.pipeline_name is E'@notNull';
comment on column api.frontend_runs.run_year is E'@notNull\nYear the run was registered.';
comment on column api.frontend_runs.duration_seconds is E'Wall time from start to finish, once finished.';
grant select on api.frontend_runs to frontend_api;

create view api.frontend_run_files as
  select
    file_id,
    run_id,
    role,
    uri,
    format,
    size_bytes,
    md5,
    sha256,
    read_number
  from core.run_files;
comment on view api.frontend_run_files is E'@name run_file\n@primaryKey file_id\n@foreignKey (run_id) references api.frontend_runs (run_id)|@fieldName run|@foreignFieldName files\nA file a run read (INPUT) or wrote (OUTPUT).';
comment on column api.frontend_run_files.file_id is E'@notNull';
comment on column api.frontend_run_files.run_id is E'@notNull';
comment on column api.frontend_run_files.role is E'@notNull';
comment on column api.frontend_run_files.uri is E'@notNull';
comment on column api.frontend_run_files.format is E'@notNull';
grant select on api.frontend_run_files to frontend_api;

-- migrate:down
drop view api.frontend_run_files;
drop view api.frontend_runs;
drop view api.frontend_samples;
drop view api.frontend_patients;
