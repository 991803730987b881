/**
 * Long fuzz runs: `npm run fuzz -- --minutes N` (scripts/fuzz.mjs bundles and starts this file).
 * Round-robin over the targets with random seeds until the time is up, printing progress; every
 * failing input is written to test-images/regressions/UNTRIAGED-<verdict>-<target>-<seed>/ with a
 * REPRO.txt (the damage log and stack). Rename it after the error code it should produce once fixed
 * and add it to test/fuzz/regressions.test.ts.
 *
 *   --minutes N      run time (default 1)
 *   --target NAME    only this target (repeatable); --list prints them
 *   --seed S         run exactly one case (with --target) and print its verdict
 *   --workers N      worker threads (default 2)
 *   --timeout MS     per case (default 5000)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FuzzHarness, describe, isFailure, type CaseResult } from './harness.js';
import { TARGETS } from './targets.js';

interface Args {
  minutes: number;
  targets: string[];
  seed?: number;
  workers: number;
  timeoutMs: number;
  root: string;
  list: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { minutes: 1, targets: [], workers: 2, timeoutMs: 5000, root: process.cwd(), list: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--minutes') args.minutes = Number(value());
    else if (flag === '--target') args.targets.push(value());
    else if (flag === '--seed') args.seed = Number(value());
    else if (flag === '--workers') args.workers = Number(value());
    else if (flag === '--timeout') args.timeoutMs = Number(value());
    else if (flag === '--root') args.root = value();
    else if (flag === '--list') args.list = true;
    else throw new Error(`unknown option ${flag}`);
  }
  return args;
}

async function saveFailure(harness: FuzzHarness, root: string, result: CaseResult): Promise<string> {
  const dir = join(root, 'test-images/regressions', `UNTRIAGED-${result.verdict}-${result.spec.target}-${result.spec.seed}`);
  await mkdir(dir, { recursive: true });
  const { files, main } = await harness.materialize(result.spec);
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  await writeFile(join(dir, 'REPRO.txt'), `${describe(result)}\nmain file: ${main}\nrerun: node scripts/fuzz.mjs --target ${result.spec.target} --seed ${result.spec.seed}\n`);
  return dir;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const t of TARGETS) console.log(t.name);
    return;
  }
  const targets = args.targets.length > 0 ? args.targets : TARGETS.map((t) => t.name);
  const harness = await FuzzHarness.start({ workers: args.workers, timeoutMs: args.timeoutMs, root: args.root });
  try {
    if (args.seed !== undefined) {
      for (const target of targets) console.log(describe(await harness.run({ target, seed: args.seed })));
      return;
    }
    const deadline = Date.now() + args.minutes * 60_000;
    const counts = new Map<string, Record<string, number>>();
    let cases = 0;
    let failures = 0;
    let lastReport = Date.now();
    let next = 0;
    const runOne = async (): Promise<void> => {
      while (Date.now() < deadline) {
        const target = targets[next++ % targets.length]!;
        const seed = Math.floor(Math.random() * 0x7fffffff);
        const result = await harness.run({ target, seed });
        cases++;
        const perTarget = counts.get(target) ?? {};
        const key = result.code ? `${result.verdict}:${result.code}` : result.verdict;
        perTarget[key] = (perTarget[key] ?? 0) + 1;
        counts.set(target, perTarget);
        if (isFailure(result)) {
          failures++;
          console.log(`\n${describe(result)}`);
          try {
            console.log(`  saved to ${await saveFailure(harness, args.root, result)}\n`);
          } catch (error) {
            console.log(`  not saved: ${(error as Error).message}\n`);
          }
        }
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
          console.log(`[fuzz] ${cases} cases, ${failures} failures, ${left} s left`);
        }
      }
    };
    await Promise.all(Array.from({ length: args.workers }, runOne));
    console.log(`[fuzz] done: ${cases} cases, ${failures} failures`);
    for (const [target, c] of counts) console.log(`  ${target.padEnd(24)} ${JSON.stringify(c)}`);
    if (failures > 0) process.exitCode = 1;
  } finally {
    await harness.close();
  }
}

await main();
