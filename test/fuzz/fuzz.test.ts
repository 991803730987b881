/**
 * Fuzzing every entry point with fixed seeds (the `npm test` share: a few hundred cases, ~15 s).
 * Each case runs in a worker with a time and memory limit; its only acceptable ends are a result
 * or a GrtError. `npm run fuzz -- --minutes N` runs the same targets with random seeds.
 * A failure prints `target=… seed=…` and the damage applied; rerun it with
 * `node scripts/fuzz.mjs --target T --seed S`.
 */
import { afterAll, beforeAll, describe as group, expect, it } from 'vitest';
import { FuzzHarness, describe, isFailure, type CaseSpec } from './harness.js';
import { TARGETS } from './targets.js';

/** Cases per target in `npm test`; the real-image targets cost more per case. */
const CASES: Record<string, number> = { 'volume-real': 5, 'ntfs-real': 5, image: 3, restore: 6, 'restore-hostile': 6, 'ntfs-synthetic': 12, 'output-is-input': 6 };
const DEFAULT_CASES = 10;
/**
 * Targets whose few npm-test cases may all pass: restores report errors as events, file-system
 * walks note a damaged entry and go on, and damage far from a table changes nothing.
 */
const MAY_NEVER_FAIL = new Set(['restore', 'restore-hostile', 'volume-real', 'volume-synthetic', 'vmdk-descriptor', 'ntfs-real', 'ext-real', 'ext-fastcommit', 'image', 'glob-catalog', 'glob-restore', 'output-is-input']);
/** Base of the fixed seeds: case i of a target uses BASE_SEED + i. */
const BASE_SEED = 20_261_127;

let harness: FuzzHarness;
beforeAll(async () => {
  harness = await FuzzHarness.start({ workers: 2, timeoutMs: 10_000 });
});
afterAll(async () => {
  await harness?.close();
});

group('harness', () => {
  it('turns a hang, a heap blow-up, an ArrayBuffer blow-up, a TypeError and a write outside the target into failures, and a GrtError into a pass', async () => {
    // A generous limit (a replaced worker reloads its bundle on a loaded machine); the hang gets a short one.
    const quick = await FuzzHarness.start({ workers: 1, timeoutMs: 20_000, heapMb: 64, arrayBufferMb: 128 });
    try {
      const verdicts = [];
      for (const target of ['self-grterror', 'self-hang', 'self-heap', 'self-buffers', 'self-typeerror', 'self-escape']) {
        verdicts.push((await quick.run({ target, seed: 1, ...(target === 'self-hang' ? { timeoutMs: 1000 } : {}) })).verdict);
      }
      expect(verdicts).toEqual(['grt', 'timeout', 'oom', 'memory', 'crash', 'crash']);
      // The replaced worker still runs cases.
      expect((await quick.run({ target: 'vmdk-sparse', seed: 1, mutate: false })).verdict).toBe('ok');
    } finally {
      await quick.close();
    }
  }, 60_000);

  it('reproduces a case from its seed', async () => {
    const a = await harness.materialize({ target: 'ntfs-synthetic', seed: 7 });
    const b = await harness.materialize({ target: 'ntfs-synthetic', seed: 7 });
    expect(a.log).toEqual(b.log);
    expect(Buffer.compare(a.files[0]![1], b.files[0]![1])).toBe(0);
  });
});

group.each(TARGETS.map((t) => [t.name]))('%s', (name) => {
  it('reads its undamaged input', async () => {
    const result = await harness.run({ target: name, seed: BASE_SEED, mutate: false });
    expect(result.verdict, describe(result)).toBe('ok');
  });

  it('ends every damaged case in a result or a GrtError', async () => {
    const specs: CaseSpec[] = Array.from({ length: CASES[name] ?? DEFAULT_CASES }, (_, i) => ({ target: name, seed: BASE_SEED + i }));
    const results = await harness.runAll(specs);
    const failures = results.filter(isFailure).map(describe);
    expect(failures, failures.join('\n\n')).toEqual([]);
    // A fuzzer that never reaches an error path is not damaging anything.
    if (!MAY_NEVER_FAIL.has(name)) expect(results.some((r) => r.verdict === 'grt')).toBe(true);
  });
});
