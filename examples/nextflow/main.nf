#!/usr/bin/env nextflow
// A small pipeline that keeps its bookkeeping in seqmeta, by run id, through the `seqmeta`
// CLI: it starts the run, fetches its inputs as an nf-core samplesheet, counts the reads of
// each FASTQ (the toy work), logs the counts as outputs with their checksums, and finishes
// the run SUCCEEDED, or FAILED when anything went wrong. It never holds database
// credentials: SEQMETA_URL and SEQMETA_TOKEN come from the environment (see README.md).
nextflow.enable.dsl = 2

// Starts the run (PENDING -> RUNNING) and writes its inputs as samplesheet.csv:
// sample,fastq_1,fastq_2 (see `seqmeta fetch-inputs --help`).
process START_RUN {
    label 'seqmeta'
    tag "${run_id}"

    input:
    val run_id

    output:
    path 'samplesheet.csv', emit: samplesheet

    script:
    """
    seqmeta start-run --run-id ${run_id} --executor ${params.executor_name} --session-id ${workflow.sessionId}
    seqmeta fetch-inputs --run-id ${run_id} --format samplesheet --out samplesheet.csv
    """
}

// The toy work: reads in one FASTQ (plain or gzipped), as a one-line TSV.
process COUNT_READS {
    tag "${sample} ${fastq.name}"
    publishDir "${params.outdir}/counts", mode: 'copy'

    input:
    tuple val(sample), path(fastq)

    output:
    path '*.read_counts.tsv', emit: counts

    script:
    def name = fastq.name.replaceAll(/\.(fastq|fq)(\.gz)?$/, '')
    """
    reads=\$(gzip -cdf ${fastq} | awk 'END { print int(NR / 4) }')
    printf 'sample\\tfile\\treads\\n%s\\t%s\\t%s\\n' '${sample}' '${fastq.name}' "\$reads" > ${name}.read_counts.tsv
    """
}

// Logs the counts as the run's outputs. The checksums are computed here, from the staged
// copies; the URIs are those of the published copies (same bytes) under params.outdir.
process LOG_OUTPUTS {
    label 'seqmeta'
    tag "${run_id}"

    input:
    val run_id
    path counts, stageAs: 'counts/*'
    val counts_uri

    output:
    path 'outputs.json'

    script:
    """
    seqmeta log-outputs --run-id ${run_id} --uri-prefix '${counts_uri}/' --json counts > outputs.json
    """
}

/** The URI seqmeta should record for a folder: file:///… locally, s3://…, gs://… otherwise. */
def uriOf(path) {
    path.scheme == 'file' ? path.toUri().toString().replaceAll('/+$', '') : path.toUriString()
}

workflow {
    if (!params.run_id) {
        error 'give the run to process: --run_id <uuid> (printed by `seqmeta register-run`)'
    }

    START_RUN(params.run_id)

    // one task per FASTQ file; rows of other inputs (a `file` column) are not this toy's business
    reads = START_RUN.out.samplesheet
        .splitCsv(header: true)
        .flatMap { row -> [row.fastq_1, row.fastq_2].findAll { it }.collect { fastq -> tuple(row.sample, file(fastq)) } }

    COUNT_READS(reads)
    LOG_OUTPUTS(params.run_id, COUNT_READS.out.counts.collect(), uriOf(file("${params.outdir}/counts")))
}

// Runs on the head node whatever happened, after every task and publishing has finished.
// A run that never started (START_RUN failed) stays PENDING: finish-run then exits 4 and
// says so, and the run can be started again.
workflow.onComplete {
    if (!params.run_id) {
        return
    }
    def status = workflow.success ? 'SUCCEEDED' : 'FAILED'
    def exitCode = workflow.exitStatus ?: (workflow.success ? 0 : 1)
    def command = ['seqmeta', 'finish-run', '--run-id', params.run_id, '--status', status, '--exit-code', "${exitCode}"]
    if (!workflow.success) {
        command += ['--message', (workflow.errorMessage ?: 'the workflow failed').take(2000)]
    }
    def finish = command.execute()
    finish.waitForProcessOutput(System.out, System.err)
    if (finish.exitValue() != 0) {
        log.warn "seqmeta finish-run exited with ${finish.exitValue()}: run ${params.run_id} was not marked ${status}; " +
            "run the same command again (it is safe), or ask an operator to"
    }
}
