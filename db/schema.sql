\restrict seqmeta


SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: api; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA api;


--
-- Name: core; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA core;


--
-- Name: public; Type: SCHEMA; Schema: -; Owner: -
--

-- *not* creating schema, since initdb creates it


--
-- Name: assay_type; Type: TYPE; Schema: api; Owner: -
--

CREATE TYPE api.assay_type AS ENUM (
    'WGS',
    'WES',
    'RNA_SEQ',
    'TARGETED_PANEL',
    'METHYLATION'
);


--
-- Name: TYPE assay_type; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON TYPE api.assay_type IS 'Sequencing assay of a run.';


--
-- Name: file_role; Type: TYPE; Schema: api; Owner: -
--

CREATE TYPE api.file_role AS ENUM (
    'INPUT',
    'OUTPUT'
);


--
-- Name: TYPE file_role; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON TYPE api.file_role IS 'Whether a run read the file or wrote it.';


--
-- Name: run_status; Type: TYPE; Schema: api; Owner: -
--

CREATE TYPE api.run_status AS ENUM (
    'PENDING',
    'RUNNING',
    'SUCCEEDED',
    'FAILED',
    'CANCELLED'
);


--
-- Name: TYPE run_status; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON TYPE api.run_status IS 'Lifecycle of a run: PENDING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED.';


--
-- Name: specimen_type; Type: TYPE; Schema: api; Owner: -
--

CREATE TYPE api.specimen_type AS ENUM (
    'TUMOUR',
    'NORMAL',
    'BLOOD',
    'SALIVA',
    'CELL_FREE_DNA'
);


--
-- Name: TYPE specimen_type; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON TYPE api.specimen_type IS 'Kind of biological material a sample is.';


--
-- Name: tg_audit_events__refuse_change(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION core.tg_audit_events__refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  raise exception using
    errcode = 'SQ002',
    message = format('audit events are append-only: %s refused', tg_op);
end;
$$;


--
-- Name: tg_runs__enforce_transition(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION core.tg_runs__enforce_transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if new.run_id <> old.run_id or new.sample_id <> old.sample_id or new.created_at <> old.created_at then
    raise exception using
      errcode = 'SQ001',
      message = format('run %s: its id, sample and creation time never change', old.run_id);
  end if;

  if new.status = old.status then
    if old.status in ('SUCCEEDED', 'FAILED', 'CANCELLED') and new is distinct from old then
      raise exception using
        errcode = 'SQ001',
        message = format('run %s is %s and can no longer change', old.run_id, old.status);
    end if;
    -- timestamps belong to the state machine
    new.started_at := old.started_at;
    new.finished_at := old.finished_at;
    return new;
  end if;

  if not ((old.status = 'PENDING' and new.status = 'RUNNING')
       or (old.status = 'RUNNING' and new.status in ('SUCCEEDED', 'FAILED', 'CANCELLED'))) then
    raise exception using
      errcode = 'SQ001',
      message = format('illegal run status transition %s -> %s for run %s', old.status, new.status, old.run_id),
      hint = 'allowed: PENDING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED; terminal states are final';
  end if;

  if new.status = 'RUNNING' then
    new.started_at := now();
    new.finished_at := null;
  else
    new.started_at := old.started_at;
    new.finished_at := now();
  end if;
  return new;
end;
$$;


--
-- Name: tg_runs__insert_pending(); Type: FUNCTION; Schema: core; Owner: -
--

CREATE FUNCTION core.tg_runs__insert_pending() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if new.status <> 'PENDING' then
    raise exception using
      errcode = 'SQ001',
      message = format('a new run must be PENDING, not %s', new.status),
      hint = 'register the run, then start and finish it';
  end if;
  new.started_at := null;
  new.finished_at := null;
  new.exit_code := null;
  return new;
end;
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: patients; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE core.patients (
    patient_hash text NOT NULL,
    patient_id_ciphertext bytea NOT NULL,
    encryption_key_version smallint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT patients_encryption_key_version_check CHECK ((encryption_key_version > 0)),
    CONSTRAINT patients_patient_hash_check CHECK ((patient_hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT patients_patient_id_ciphertext_check CHECK ((octet_length(patient_id_ciphertext) > 28))
);


--
-- Name: TABLE patients; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE core.patients IS 'A person, known by a keyed pseudonym; the identifier only as ciphertext.';


--
-- Name: frontend_patients; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.frontend_patients AS
 SELECT patients.patient_hash,
    (EXTRACT(year FROM patients.created_at))::integer AS registered_year
   FROM core.patients;


--
-- Name: VIEW frontend_patients; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.frontend_patients IS '@name patient
@primaryKey patient_hash
A person, known only by a keyed pseudonym.';


--
-- Name: COLUMN frontend_patients.patient_hash; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_patients.patient_hash IS '@notNull
Keyed pseudonym (HMAC-SHA256) of the patient identifier; stable, not reversible.';


--
-- Name: COLUMN frontend_patients.registered_year; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_patients.registered_year IS '@notNull
Year the patient was first registered.';


--
-- Name: run_files; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE core.run_files (
    file_id uuid DEFAULT gen_random_uuid() NOT NULL,
    run_id uuid NOT NULL,
    role api.file_role NOT NULL,
    uri text NOT NULL,
    format text NOT NULL,
    size_bytes bigint,
    md5 text,
    sha256 text,
    read_number smallint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT run_files_check CHECK (((role = 'INPUT'::api.file_role) OR (md5 IS NOT NULL) OR (sha256 IS NOT NULL))),
    CONSTRAINT run_files_format_check CHECK ((format ~ '^[A-Z0-9_]{1,32}$'::text)),
    CONSTRAINT run_files_md5_check CHECK ((md5 ~ '^[0-9a-f]{32}$'::text)),
    CONSTRAINT run_files_read_number_check CHECK ((read_number = ANY (ARRAY[1, 2]))),
    CONSTRAINT run_files_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT run_files_size_bytes_check CHECK ((size_bytes >= 0)),
    CONSTRAINT run_files_uri_check CHECK (((uri ~ '^[a-z][a-z0-9+.-]*://'::text) AND (length(uri) <= 2048)))
);


--
-- Name: frontend_run_files; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.frontend_run_files AS
 SELECT run_files.file_id,
    run_files.run_id,
    run_files.role,
    run_files.uri,
    run_files.format,
    run_files.size_bytes,
    run_files.md5,
    run_files.sha256,
    run_files.read_number
   FROM core.run_files;


--
-- Name: VIEW frontend_run_files; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.frontend_run_files IS '@name run_file
@primaryKey file_id
@foreignKey (run_id) references api.frontend_runs (run_id)|@fieldName run|@foreignFieldName files
A file a run read (INPUT) or wrote (OUTPUT).';


--
-- Name: COLUMN frontend_run_files.file_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_run_files.file_id IS '@notNull';


--
-- Name: COLUMN frontend_run_files.run_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_run_files.run_id IS '@notNull';


--
-- Name: COLUMN frontend_run_files.role; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_run_files.role IS '@notNull';


--
-- Name: COLUMN frontend_run_files.uri; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_run_files.uri IS '@notNull';


--
-- Name: COLUMN frontend_run_files.format; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_run_files.format IS '@notNull';


--
-- Name: runs; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE core.runs (
    run_id uuid DEFAULT gen_random_uuid() NOT NULL,
    sample_id text NOT NULL,
    assay_type api.assay_type NOT NULL,
    status api.run_status DEFAULT 'PENDING'::api.run_status NOT NULL,
    pipeline_name text NOT NULL,
    pipeline_version text,
    pipeline_revision text,
    executor text,
    nextflow_session_id uuid,
    exit_code integer,
    message text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    CONSTRAINT runs_check CHECK (((status = 'PENDING'::api.run_status) = (started_at IS NULL))),
    CONSTRAINT runs_check1 CHECK (((status = ANY (ARRAY['SUCCEEDED'::api.run_status, 'FAILED'::api.run_status, 'CANCELLED'::api.run_status])) = (finished_at IS NOT NULL))),
    CONSTRAINT runs_check2 CHECK (((started_at >= created_at) AND (finished_at >= started_at))),
    CONSTRAINT runs_check3 CHECK (((exit_code IS NULL) OR (finished_at IS NOT NULL))),
    CONSTRAINT runs_executor_check CHECK (((length(executor) >= 1) AND (length(executor) <= 100))),
    CONSTRAINT runs_message_check CHECK ((length(message) <= 10000)),
    CONSTRAINT runs_pipeline_name_check CHECK (((length(pipeline_name) >= 1) AND (length(pipeline_name) <= 200))),
    CONSTRAINT runs_pipeline_revision_check CHECK (((length(pipeline_revision) >= 1) AND (length(pipeline_revision) <= 100))),
    CONSTRAINT runs_pipeline_version_check CHECK (((length(pipeline_version) >= 1) AND (length(pipeline_version) <= 100)))
);


--
-- Name: frontend_runs; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.frontend_runs AS
 SELECT runs.run_id,
    runs.sample_id,
    runs.assay_type,
    runs.status,
    runs.pipeline_name,
    runs.pipeline_version,
    runs.pipeline_revision,
    runs.executor,
    runs.exit_code,
    (EXTRACT(year FROM runs.created_at))::integer AS run_year,
    (EXTRACT(epoch FROM (runs.finished_at - runs.started_at)))::integer AS duration_seconds
   FROM core.runs;


--
-- Name: VIEW frontend_runs; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.frontend_runs IS '@name run
@primaryKey run_id
@foreignKey (sample_id) references api.frontend_samples (sample_id)|@fieldName sample|@foreignFieldName runs
One execution of a pipeline on a sample.';


--
-- Name: COLUMN frontend_runs.run_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_runs.run_id IS '@notNull';


--
-- Name: COLUMN frontend_runs.sample_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_runs.sample_id IS '@notNull';


--
-- Name: COLUMN frontend_runs.assay_type; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_runs.assay_type IS '@notNull';


--
-- Name: COLUMN frontend_runs.status; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_runs.status IS '@notNull';


--
-- Name: COLUMN frontend_runs.pipeline_name; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_runs.pipeline_name IS '@notNull';


--
-- Name: COLUMN frontend_runs.run_year; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_runs.run_year IS '@notNull
Year the run was registered.';


--
-- Name: COLUMN frontend_runs.duration_seconds; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_runs.duration_seconds IS 'Wall time from start to finish, once finished.';


--
-- Name: samples; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE core.samples (
    sample_id text NOT NULL,
    patient_hash text NOT NULL,
    specimen_type api.specimen_type NOT NULL,
    timepoint smallint DEFAULT 0 NOT NULL,
    collection_date date,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT samples_collection_date_check CHECK ((collection_date >= '1900-01-01'::date)),
    CONSTRAINT samples_sample_id_check CHECK ((sample_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'::text)),
    CONSTRAINT samples_timepoint_check CHECK (((timepoint >= 0) AND (timepoint <= 1000)))
);


--
-- Name: frontend_samples; Type: VIEW; Schema: api; Owner: -
--

CREATE VIEW api.frontend_samples AS
 SELECT samples.sample_id,
    samples.patient_hash,
    samples.specimen_type,
    samples.timepoint,
    (EXTRACT(year FROM samples.collection_date))::integer AS collection_year
   FROM core.samples;


--
-- Name: VIEW frontend_samples; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON VIEW api.frontend_samples IS '@name sample
@primaryKey sample_id
@foreignKey (patient_hash) references api.frontend_patients (patient_hash)|@fieldName patient|@foreignFieldName samples
A biological sample taken from a patient.';


--
-- Name: COLUMN frontend_samples.sample_id; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_samples.sample_id IS '@notNull
Laboratory identifier of the sample.';


--
-- Name: COLUMN frontend_samples.patient_hash; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_samples.patient_hash IS '@notNull';


--
-- Name: COLUMN frontend_samples.specimen_type; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_samples.specimen_type IS '@notNull';


--
-- Name: COLUMN frontend_samples.timepoint; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_samples.timepoint IS '@notNull
Visit number for longitudinal sampling; 0 is the first.';


--
-- Name: COLUMN frontend_samples.collection_year; Type: COMMENT; Schema: api; Owner: -
--

COMMENT ON COLUMN api.frontend_samples.collection_year IS 'Year the sample was collected (the date itself is PHI).';


--
-- Name: api_tokens; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE core.api_tokens (
    token_id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    secret_hash text NOT NULL,
    scopes text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT api_tokens_check CHECK ((expires_at > created_at)),
    CONSTRAINT api_tokens_check1 CHECK ((revoked_at >= created_at)),
    CONSTRAINT api_tokens_name_check CHECK ((name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'::text)),
    CONSTRAINT api_tokens_scopes_check CHECK (((cardinality(scopes) > 0) AND (scopes <@ ARRAY['ingest'::text, 'read'::text]))),
    CONSTRAINT api_tokens_secret_hash_check CHECK ((secret_hash ~ '^[0-9a-f]{64}$'::text))
);


--
-- Name: TABLE api_tokens; Type: COMMENT; Schema: core; Owner: -
--

COMMENT ON TABLE core.api_tokens IS 'Bearer tokens of API clients, stored as hashes; revoked, never deleted.';


--
-- Name: audit_events; Type: TABLE; Schema: core; Owner: -
--

CREATE TABLE core.audit_events (
    event_id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    principal text NOT NULL,
    action text NOT NULL,
    run_id uuid,
    sample_id text,
    request_id text NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT audit_events_action_check CHECK ((action ~ '^[a-z][a-z_]{0,63}$'::text)),
    CONSTRAINT audit_events_details_check CHECK ((jsonb_typeof(details) = 'object'::text)),
    CONSTRAINT audit_events_principal_check CHECK (((length(principal) >= 1) AND (length(principal) <= 200))),
    CONSTRAINT audit_events_request_id_check CHECK (((length(request_id) >= 1) AND (length(request_id) <= 200)))
);


--
-- Name: audit_events_event_id_seq; Type: SEQUENCE; Schema: core; Owner: -
--

ALTER TABLE core.audit_events ALTER COLUMN event_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME core.audit_events_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying(128) NOT NULL
);


--
-- Name: api_tokens api_tokens_name_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.api_tokens
    ADD CONSTRAINT api_tokens_name_key UNIQUE (name);


--
-- Name: api_tokens api_tokens_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.api_tokens
    ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (token_id);


--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (event_id);


--
-- Name: patients patients_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.patients
    ADD CONSTRAINT patients_pkey PRIMARY KEY (patient_hash);


--
-- Name: run_files run_files_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.run_files
    ADD CONSTRAINT run_files_pkey PRIMARY KEY (file_id);


--
-- Name: run_files run_files_run_id_role_uri_key; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.run_files
    ADD CONSTRAINT run_files_run_id_role_uri_key UNIQUE (run_id, role, uri);


--
-- Name: runs runs_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (run_id);


--
-- Name: samples samples_pkey; Type: CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.samples
    ADD CONSTRAINT samples_pkey PRIMARY KEY (sample_id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: audit_events_run_id_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX audit_events_run_id_idx ON core.audit_events USING btree (run_id);


--
-- Name: audit_events_sample_id_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX audit_events_sample_id_idx ON core.audit_events USING btree (sample_id);


--
-- Name: run_files_run_id_file_id_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX run_files_run_id_file_id_idx ON core.run_files USING btree (run_id, file_id);


--
-- Name: runs_sample_id_run_id_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX runs_sample_id_run_id_idx ON core.runs USING btree (sample_id, run_id);


--
-- Name: samples_collection_year_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX samples_collection_year_idx ON core.samples USING btree (((EXTRACT(year FROM collection_date))::integer)) INCLUDE (collection_date);


--
-- Name: samples_patient_hash_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX samples_patient_hash_idx ON core.samples USING btree (patient_hash);


--
-- Name: samples_specimen_type_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX samples_specimen_type_idx ON core.samples USING btree (specimen_type);


--
-- Name: samples_timepoint_idx; Type: INDEX; Schema: core; Owner: -
--

CREATE INDEX samples_timepoint_idx ON core.samples USING btree (timepoint);


--
-- Name: runs _100_enforce_transition; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER _100_enforce_transition BEFORE UPDATE ON core.runs FOR EACH ROW EXECUTE FUNCTION core.tg_runs__enforce_transition();


--
-- Name: runs _100_insert_pending; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER _100_insert_pending BEFORE INSERT ON core.runs FOR EACH ROW EXECUTE FUNCTION core.tg_runs__insert_pending();


--
-- Name: audit_events _100_refuse_change; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER _100_refuse_change BEFORE DELETE OR UPDATE ON core.audit_events FOR EACH ROW EXECUTE FUNCTION core.tg_audit_events__refuse_change();


--
-- Name: audit_events _100_refuse_truncate; Type: TRIGGER; Schema: core; Owner: -
--

CREATE TRIGGER _100_refuse_truncate BEFORE TRUNCATE ON core.audit_events FOR EACH STATEMENT EXECUTE FUNCTION core.tg_audit_events__refuse_change();


--
-- Name: audit_events audit_events_run_id_fkey; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.audit_events
    ADD CONSTRAINT audit_events_run_id_fkey FOREIGN KEY (run_id) REFERENCES core.runs(run_id) ON DELETE RESTRICT;


--
-- Name: audit_events audit_events_sample_id_fkey; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.audit_events
    ADD CONSTRAINT audit_events_sample_id_fkey FOREIGN KEY (sample_id) REFERENCES core.samples(sample_id) ON DELETE RESTRICT;


--
-- Name: run_files run_files_run_id_fkey; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.run_files
    ADD CONSTRAINT run_files_run_id_fkey FOREIGN KEY (run_id) REFERENCES core.runs(run_id) ON DELETE RESTRICT;


--
-- Name: runs runs_sample_id_fkey; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.runs
    ADD CONSTRAINT runs_sample_id_fkey FOREIGN KEY (sample_id) REFERENCES core.samples(sample_id) ON DELETE RESTRICT;


--
-- Name: samples samples_patient_hash_fkey; Type: FK CONSTRAINT; Schema: core; Owner: -
--

ALTER TABLE ONLY core.samples
    ADD CONSTRAINT samples_patient_hash_fkey FOREIGN KEY (patient_hash) REFERENCES core.patients(patient_hash) ON DELETE RESTRICT;


--
-- PostgreSQL database dump complete
--

\unrestrict seqmeta


--
-- Dbmate schema migrations
--

INSERT INTO public.schema_migrations (version) VALUES
    ('20261203120000'),
    ('20261203120100'),
    ('20261203120200'),
    ('20261203120300'),
    ('20261203120400'),
    ('20261203120500'),
    ('20261203130000'),
    ('20261203140000'),
    ('20261203180000');
