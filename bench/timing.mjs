// Whole-process timing shared by the benchmarks that compare grt with another command.
import { spawnSync } from 'node:child_process';

/** Run a shell command under /usr/bin/time; return seconds and peak RSS in MiB. */
export function timed(command) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', 'sh', '-c', command], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`failed: ${command}\n${result.stderr}`);
  const [seconds, kib] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, rssMiB: kib / 1024 };
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
