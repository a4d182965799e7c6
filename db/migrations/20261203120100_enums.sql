-- migrate:up
-- Closed vocabularies as enums: the database refuses a misspelt status or assay, and
-- PostGraphile turns each into a GraphQL enum. They live in the api schema because they
-- are part of the API's contract: PostGraphile casts filter values to them by name, which
-- needs USAGE on their schema, and frontend_api must have none on core.
create type api.run_status as enum ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');
comment on type api.run_status is E'Lifecycle of a run: PENDING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED.';

create type api.assay_type as enum ('WGS', 'WES', 'RNA_SEQ', 'TARGETED_PANEL', 'METHYLATION');
comment on type api.assay_type is E'Sequencing assay of a run.';

create type api.specimen_type as enum ('TUMOUR', 'NORMAL', 'BLOOD', 'SALIVA', 'CELL_FREE_DNA');
comment on type api.specimen_type is E'Kind of biological material a sample is.';

create type api.file_role as enum ('INPUT', 'OUTPUT');
comment on type api.file_role is E'Whether a run read the file or wrote it.';

grant usage on type api.run_status, api.assay_type, api.specimen_type, api.file_role
  to etl_worker, frontend_api;

-- migrate:down
drop type api.file_role;
drop type api.specimen_type;
drop type api.assay_type;
drop type api.run_status;
