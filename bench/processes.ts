// The servers under test run as child processes on loopback, so their CPU time and memory
// can be read from /proc (Linux) without instrumenting them: what a deployment would see.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** clock ticks per second of /proc/<pid>/stat times; 100 on every Linux this runs on */
const CLOCK_TICKS_PER_SECOND = 100;

export { freePort } from '../test/support/freePort.ts';
export { startServerProcess, type ServerProcess, type SpawnOptions } from '../test/support/serverProcess.ts';

type ProcessStat = { pid: number; parentPid: number; cpuTicks: number; reapedChildrenTicks: number };

function readStat(pid: number): ProcessStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // the command name (field 2) may contain spaces and parentheses: split after its last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields from 3 on: state ppid ... utime(14) stime(15) cutime(16) cstime(17)
  const field = (number: number) => Number(fields[number - 3]);
  return {
    pid,
    parentPid: field(4),
    cpuTicks: field(14) + field(15),
    reapedChildrenTicks: field(16) + field(17),
  };
}

/** `root` and every process below it (a cluster's workers, a postmaster's backends). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = children.get(stat.parentPid) ?? [];
    siblings.push(stat.pid);
    children.set(stat.parentPid, siblings);
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * CPU milliseconds (user + system) used so far by `root` and its descendants, including
 * descendants that already exited (their time is added to the root's reaped-children
 * counters): a backend that disconnects mid-run still counts.
 */
export function treeCpuMilliseconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const stat = readStat(pid);
    if (!stat) continue;
    ticks += stat.cpuTicks + (pid === root ? stat.reapedChildrenTicks : 0);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

function statusValueKilobytes(pid: number, name: string): number | null {
  try {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Forgets the peak RSS of every process in the tree, so the next reading is this phase's peak. */
export function resetPeakRss(root: number): void {
  for (const pid of processTree(root)) {
    try {
      // "5" resets VmHWM to the current RSS (proc(5), clear_refs)
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // not ours to reset (another user's process): its peak since start is read instead
    }
  }
}

/** Peak RSS since the last reset: the largest process's, and the sum over the tree. */
export function peakRssMegabytes(root: number): { largestProcess: number; total: number } {
  const peaks = processTree(root).map((pid) => statusValueKilobytes(pid, 'VmHWM') ?? 0);
  return {
    largestProcess: Math.round(Math.max(0, ...peaks) / 1024),
    total: Math.round(peaks.reduce((sum, peak) => sum + peak, 0) / 1024),
  };
}
