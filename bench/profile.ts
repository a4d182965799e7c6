// Where the API's CPU goes: a summary of the .cpuprofile files `node --cpu-prof` wrote for
// the seqmeta server (`npm run bench -- --cpu-profile`), self time by package and by function.
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
};
type Profile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] };

/** the file's name as a reader knows it: its package, a node: module, or a path in the project */
function placeOf(url: string): string {
  if (url === '') return '(native, gc)';
  if (url.startsWith('node:')) return url;
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  const project = /\/(src|plugins|bench)\/.*$/.exec(url);
  return project ? project[0].slice(1) : url;
}

/** who the time is charged to: a package, Node's built-in modules, or seqmeta's own code */
export function ownerOf(url: string): string {
  if (url.startsWith('node:')) return 'node (built-in modules)';
  if (/\/(src|plugins|bench)\//.test(url) && !url.includes('node_modules')) return 'seqmeta (src/, plugins/)';
  return placeOf(url);
}

function table(title: string, totals: Map<string, number>, allMicroseconds: number, rows: number): string {
  const lines = [`| ${title} | self CPU | share |`, '|---|--:|--:|'];
  for (const [name, microseconds] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    lines.push(`| ${name} | ${(microseconds / 1000).toFixed(0)} ms | ${((microseconds / allMicroseconds) * 100).toFixed(1)}% |`);
  }
  return lines.join('\n');
}

export async function clearProfiles(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}

export async function summariseProfiles(directory: string): Promise<string> {
  const files = (await readdir(directory).catch(() => [] as string[])).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length === 0) return `no CPU profile in ${directory}\n`;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let all = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(path.join(directory, file), 'utf8')) as Profile;
    const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
    for (const node of profile.nodes) {
      const microseconds = (node.hitCount ?? 0) * interval;
      if (microseconds === 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)' || functionName === '(program)') continue;
      all += microseconds;
      const owner = ownerOf(url);
      byPackage.set(owner, (byPackage.get(owner) ?? 0) + microseconds);
      const name = `${functionName || '(anonymous)'} ${placeOf(url)}${url ? `:${lineNumber + 1}` : ''}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + microseconds);
    }
  }
  return [
    `CPU profile of the seqmeta server (${files.length} process${files.length === 1 ? '' : 'es'}, ${(all / 1000).toFixed(0)} ms busy, idle excluded; start-up included)`,
    '',
    table('package', byPackage, all, 15),
    '',
    table('function', byFunction, all, 25),
    '',
  ].join('\n');
}
