// Which commit a result was measured on, and whether the working tree differed from it.
import { execFileSync } from 'node:child_process';

export function gitCommit(projectDirectory: string): { commit: string; uncommittedChanges: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectDirectory, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: projectDirectory, encoding: 'utf8' });
    return { commit, uncommittedChanges: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', uncommittedChanges: true };
  }
}
