// Alternating whole-process runs of grt and a peer, shared by the restore benchmarks
// (bench/ext-restore.mjs, bench/xfs-restore.mjs): median wall and CPU time (user + system, from
// /usr/bin/time: on a busy machine wall time is mostly the run queue, CPU time is not), their
// ratios and peak RSS.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** One whole-process run of a shell command: wall seconds, CPU seconds (user + system), peak RSS in MiB. */
export function timed(command) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M %U %S', 'sh', '-c', command], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`failed: ${command}\n${result.stderr}`);
  const [rssKiB, user, system] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, cpu: user + system, rssMiB: rssKiB / 1024 };
}

export function sha256(path) {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (chunk) => hash.update(chunk)).on('end', () => resolvePromise(hash.digest('hex'))).on('error', reject);
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Each case's commands ({ grt, [peer]: command, … }) run `runs` times, alternating; prints
 * medians, peak RSS, and grt's ratio to each peer against `goal`. `before` runs, untimed, before
 * each command.
 */
export function compareCases(cases, runs, { goal, before = () => {} }) {
  for (const [label, tools] of Object.entries(cases)) {
    const results = Object.fromEntries(Object.keys(tools).map((name) => [name, []]));
    for (let run = 0; run < runs; run++) {
      for (const [name, command] of Object.entries(tools)) {
        before();
        results[name].push(timed(command));
      }
    }
    const summary = Object.fromEntries(Object.entries(results).map(([name, list]) => [name, {
      wall: median(list.map((r) => r.seconds)),
      cpu: median(list.map((r) => r.cpu)),
      rss: Math.max(...list.map((r) => r.rssMiB)),
    }]));
    console.log(`  ${label}`);
    for (const [name, r] of Object.entries(summary)) console.log(`    ${name.padEnd(6)} median ${r.wall.toFixed(2)} s, CPU ${r.cpu.toFixed(2)} s, peak RSS ${r.rss.toFixed(0)} MiB`);
    for (const peer of Object.keys(summary).filter((name) => name !== 'grt')) {
      console.log(`    ratio grt/${peer}: wall ${(summary.grt.wall / summary[peer].wall).toFixed(2)}, CPU ${(summary.grt.cpu / summary[peer].cpu).toFixed(2)}; goal ≤ ${goal}, RSS ≤ 150 MiB`);
    }
  }
}
