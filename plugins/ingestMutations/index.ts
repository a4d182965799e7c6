// The pipeline's mutations. Each runs as one transaction on the etl_worker pool (a
// sideEffect step, so it happens once per call whatever the selection), and its payload
// re-reads the result through the frontend views, so callers select the same types they read:
// `logRunOutputs(...) { run { runId status files { nodes { uri } } } }`.
import { access, context, sideEffect, type Step } from 'postgraphile/grafast';
import { extendSchema, gql } from 'postgraphile/utils';
import {
  finishRun,
  logRunOutputs,
  registerRun,
  registerSample,
  startRun,
  type IngestDependencies,
  type IngestRequest,
} from './operations.ts';

type Operation = (dependencies: IngestDependencies, request: IngestRequest, input: never) => Promise<object>;

export function createIngestMutationsPlugin(dependencies: IngestDependencies): GraphileConfig.Plugin {
  /** The plan of a mutation field: run `operation` once with the input and the caller. */
  const mutation =
    (operation: Operation) =>
    (_parent: Step, fieldArguments: { getRaw: (name: string) => Step }) =>
      sideEffect([fieldArguments.getRaw('input'), context()], ([input, requestContext]) => {
        const { principal = null, requestId } = requestContext as Partial<IngestRequest>;
        return operation(dependencies, { principal, requestId: requestId ?? 'unknown' }, input as never);
      });

  return extendSchema((build) => {
    const { run, sample } = build.pgResources as Record<string, { get: (spec: Record<string, Step>) => Step }>;
    const runOf = ($result: Step) => run!.get({ run_id: access($result, 'runId') });
    return {
      typeDefs: gql`
        """
        A file a run read or wrote. Formats are upper-case words (FASTQ, BAM, CRAM, VCF…).
        """
        input IngestFileInput {
          "where the file lives; the scheme must be allowed (s3, gs, az, https, file, drs by default)"
          uri: String!
          format: String!
          sizeBytes: BigInt
          "32 lower-case hex digits"
          md5: String
          "64 lower-case hex digits"
          sha256: String
          "1 or 2 for the mates of paired-end reads"
          readNumber: Int
        }

        input RegisterSampleInput {
          sampleId: String!
          """
          The patient identifier, in plain text. The server keeps only its keyed pseudonym
          (patientHash) and its ciphertext; it is never returned and never logged.
          """
          patientId: String!
          specimenType: SpecimenType!
          timepoint: Int
          "YYYY-MM-DD; write-only: the API shows only the year"
          collectionDate: String
        }
        type RegisterSamplePayload {
          sample: Sample
        }

        input RegisterRunInput {
          "choose the id to make retries safe; without it every call registers a new run"
          runId: UUID
          sampleId: String!
          assayType: AssayType!
          pipelineName: String!
          pipelineVersion: String
          pipelineRevision: String
          inputs: [IngestFileInput!]
        }
        type RegisterRunPayload {
          run: Run
        }

        input StartRunInput {
          runId: UUID!
          "e.g. slurm, k8s, awsbatch, local"
          executor: String!
          nextflowSessionId: UUID
        }
        type StartRunPayload {
          run: Run
        }

        input LogRunOutputsInput {
          runId: UUID!
          "all or nothing; every output needs an md5 or a sha256"
          files: [IngestFileInput!]!
        }
        type LogRunOutputsPayload {
          run: Run
          "files in this call (the same on a retry)"
          fileCount: Int!
        }

        input FinishRunInput {
          runId: UUID!
          "SUCCEEDED, FAILED or CANCELLED"
          status: RunStatus!
          exitCode: Int
          "kept with the run for operators; never shown by the read API"
          message: String
        }
        type FinishRunPayload {
          run: Run
        }

        extend type Mutation {
          "Registers a sample and, if new, its patient. Needs the ingest scope."
          registerSample(input: RegisterSampleInput!): RegisterSamplePayload
          "Registers a run in PENDING with its input files. Needs the ingest scope."
          registerRun(input: RegisterRunInput!): RegisterRunPayload
          "PENDING -> RUNNING. Needs the ingest scope."
          startRun(input: StartRunInput!): StartRunPayload
          "Logs a run's output files, all or nothing. Needs the ingest scope."
          logRunOutputs(input: LogRunOutputsInput!): LogRunOutputsPayload
          "RUNNING -> SUCCEEDED | FAILED | CANCELLED. Needs the ingest scope."
          finishRun(input: FinishRunInput!): FinishRunPayload
        }
      `,
      objects: {
        Mutation: {
          plans: {
            registerSample: mutation(registerSample as Operation),
            registerRun: mutation(registerRun as Operation),
            startRun: mutation(startRun as Operation),
            logRunOutputs: mutation(logRunOutputs as Operation),
            finishRun: mutation(finishRun as Operation),
          },
        },
        RegisterSamplePayload: {
          plans: { sample: ($result: Step) => sample!.get({ sample_id: access($result, 'sampleId') }) },
        },
        RegisterRunPayload: { plans: { run: runOf } },
        StartRunPayload: { plans: { run: runOf } },
        LogRunOutputsPayload: { plans: { run: runOf, fileCount: ($result: Step) => access($result, 'fileCount') } },
        FinishRunPayload: { plans: { run: runOf } },
      },
    };
  }, 'SeqmetaIngestMutationsPlugin');
}
