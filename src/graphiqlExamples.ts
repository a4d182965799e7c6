// What a researcher sees first in GraphiQL: a nested read that shows the shape of the data.
export const exampleQuery = `# seqmeta: de-identified sequencing metadata.
# Press the play button (or Ctrl-Enter). The Docs panel lists every type and field.
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
