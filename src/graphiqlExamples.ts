// What a researcher finds in GraphiQL: the example query the page opens with, and saved
// operations one click away in the page's Examples bar (src/graphiqlPage.ts). Each shows
// one thing the API does well; all read only de-identified fields.

// What a researcher sees first in GraphiQL: a nested read that shows the shape of the data.
export const exampleQuery = `# seqmeta: de-identified sequencing metadata.
# Run: the play button, or Ctrl-Enter.
# Types and fields: the Docs icon on the left.
# More operations: the Examples bar above.
# A token goes in the Headers tab below:
#   {"Authorization": "Bearer seqmeta_..."}
query FirstSamples {
  samples(first: 5, orderBy: SAMPLE_ID_ASC) {
    totalCount
    nodes {
      sampleId
      specimenType
      collectionYear
      patient { patientHash }
      runs(first: 3) {
        nodes {
          runId
          assayType
          status
          files(first: 4) {
            nodes { role format uri sizeBytes sha256 }
          }
        }
      }
    }
  }
}
`;

export type GraphiqlExample = {
  /** stable identifier: the button's data attribute, used by the page script and the tests */
  name: string;
  /** the button's text */
  label: string;
  /** the button's tooltip */
  description: string;
  /** a named operation: GraphiQL titles its tab with the operation's name */
  query: string;
};

const nestedRead = `# A nested read, from patients down to files. However deep,
# PostGraphile reads one root field's rows in one SQL statement.
# Nested connections take first: the API refuses a query that
# could read too many rows (without first, a page counts 100).
query PatientsWithTheirRuns {
  patients(first: 3, orderBy: PATIENT_HASH_ASC) {
    nodes {
      patientHash
      registeredYear
      samples(first: 10, orderBy: SAMPLE_ID_ASC) {
        nodes {
          sampleId
          specimenType
          timepoint
          collectionYear
          runs(first: 10, orderBy: RUN_ID_ASC) {
            nodes {
              runId
              assayType
              status
              pipelineName
              files(first: 10) { nodes { role format uri sizeBytes } }
            }
          }
        }
      }
    }
  }
}
`;

const filter = `# Filters combine fields with and/or/not and reach across
# relations: failed genome and exome runs on samples
# collected since 2020.
query FailedGenomeRuns {
  runs(
    filter: {
      status: { equalTo: FAILED }
      assayType: { in: [WGS, WES] }
      sample: { collectionYear: { greaterThanOrEqualTo: 2020 } }
    }
    orderBy: SAMPLE_ID_ASC
    first: 20
  ) {
    totalCount
    nodes {
      runId
      assayType
      status
      exitCode
      pipelineName
      sample { sampleId specimenType collectionYear }
    }
  }
}
`;

const aggregate = `# Aggregates on any connection, whole or grouped: how many
# runs of each assay type ended in each status. Give runs a
# filter: argument to count a subset.
query RunsPerAssayAndStatus {
  runs {
    totalCount
    groupedAggregates(groupBy: [ASSAY_TYPE, STATUS]) {
      keys
      distinctCount { runId }
    }
  }
}
`;

export const graphiqlExamples: readonly GraphiqlExample[] = [
  { name: 'first-samples', label: 'Start here', description: 'The first samples with their patient, runs and files', query: exampleQuery },
  { name: 'nested-read', label: 'Nested read', description: 'Patients → samples → runs → files, one SQL statement', query: nestedRead },
  { name: 'filter', label: 'Filter', description: 'Failed WGS/WES runs on samples collected since 2020', query: filter },
  { name: 'aggregate', label: 'Aggregate', description: 'Runs counted per assay type and status (groupedAggregates)', query: aggregate },
];
