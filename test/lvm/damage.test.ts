/** Damage properties for LVM2: the fuzz target's cases run in-process with fixed seeds, expecting only results or GrtErrors. */
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { Rng } from '../fuzz/mutate.js';
import { lvmTarget } from '../fuzz/targets-lvm.js';

const CASES = Number(process.env.LVM_DAMAGE_CASES ?? 150);

describe('damaged LVM2 PVs and metadata', () => {
  it(`assemble and read only return or throw GrtErrors (${CASES} seeded cases)`, async () => {
    const outcomes = { ok: 0, grt: 0, warned: 0 };
    for (let seed = 1; seed <= CASES; seed++) {
      const rng = new Rng(seed);
      const ctx = { root: '', dir: '' };
      const input = await lvmTarget.generate(rng, ctx);
      const damaged = lvmTarget.mutate!(input, rng);
      try {
        const summary = await lvmTarget.run({ ...input, files: damaged.files }, ctx, rng);
        outcomes.ok++;
        if (!/ 0 warnings$/.test(summary)) outcomes.warned++;
      } catch (error) {
        if (!(error instanceof GrtError)) throw new Error(`seed ${seed} (${damaged.log.join('; ')}): ${String(error)}`, { cause: error });
        outcomes.grt++;
      }
    }
    if (process.env.LVM_DAMAGE_CASES) console.log(outcomes);
    expect(outcomes.ok + outcomes.grt).toBe(CASES);
    // The damage reaches past the checksums: many cases end in a GrtError, some still open with warnings.
    expect(outcomes.grt).toBeGreaterThan(CASES / 10);
    expect(outcomes.ok).toBeGreaterThan(CASES / 10);
  }, 120_000);
});
