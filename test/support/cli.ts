// Runs the `seqmeta` CLI as a subprocess, the way an operator or a pipeline would.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inheritedEnvironment } from './inheritedEnvironment.ts';

const projectDirectory = fileURLToPath(new URL('../../', import.meta.url));

export type CliResult = { exitCode: number; stdout: string; stderr: string };

export function runCli(args: string[], environment: Record<string, string> = {}, timeoutMilliseconds = 60_000): Promise<CliResult> {
  const inherited = inheritedEnvironment();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: projectDirectory, env: { ...inherited, ...environment }, timeout: timeoutMilliseconds },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ exitCode, stdout, stderr });
      },
    );
  });
}
