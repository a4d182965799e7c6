// A server (seqmeta's src/main.ts, or the benchmark's plain PostGraphile) as a child process on
// loopback, started with this process's Node binary and waited for until /graphql answers: for
// tests that need several real API processes (test/api/twoProcesses.test.ts) and for the
// benchmark, which reads the child's CPU and memory from /proc (bench/processes.ts).
import { spawn, type ChildProcess } from 'node:child_process';

export type ServerProcess = {
  name: string;
  pid: number;
  url: string;
  /** what the process wrote, for the error message when it fails */
  output: () => string;
  stop: () => Promise<void>;
};

export type SpawnOptions = {
  name: string;
  /** arguments after the Node binary, e.g. ['--import', 'tsx', 'src/main.ts'] */
  arguments: string[];
  environment: Record<string, string>;
  port: number;
  workingDirectory: string;
  /** ms to wait for the first answer */
  startTimeoutMilliseconds?: number;
};

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(2_000),
    });
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts a server with the Node binary running this process (the project's Node 22, never
 * the machine's) and waits until /graphql answers.
 */
export async function startServerProcess(options: SpawnOptions): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, options.arguments, {
    cwd: options.workingDirectory,
    env: options.environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.startTimeoutMilliseconds ?? 120_000);
  while (!(await answers(url))) {
    if (hasExited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not start${hasExited ? ' (it exited)' : ''}:\n${output.trim().split('\n').slice(-30).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    name: options.name,
    pid: child.pid!,
    url,
    output: () => output,
    stop: async () => {
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
