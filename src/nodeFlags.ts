// The Node.js flags the API server runs with: `npm start`, the Dockerfile's CMD and the
// benchmark's seqmeta server all pass exactly these (test/unit/deployment.test.ts checks).
//
// --max-semi-space-size=32: V8's young generation, where each request's objects are born and
// most die, grows from 16 MB to 32 MB per semi-space. A page of 50 samples allocates a few MB
// (the rows, the nested lists, the 110 kB answer); with the default, collections of the young
// generation ran so often that much of it survived into the old generation, whose collections
// cost more. Measured side by side: 7.9 → 6.0 ms of CPU per page, about 40 MB more peak RSS
// (BENCHMARKS.md, second round). The flag costs memory, not correctness: a process given less
// memory than that only collects more often.
export const API_NODE_FLAGS = ['--max-semi-space-size=32'] as const;
