/**
 * The fuzzed entry points. Each target makes a valid input from a seed (synthetic images from the
 * test writers, or a committed real image), and exercises one entry point end to end on it. The
 * worker damages the input between the two; a target's run may only end in a summary or a GrtError.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GrtError } from '../../src/errors.js';
import { type FuzzInput, type FuzzTarget } from './target-kit.js';
import { binaryDisk, binaryExtent, descriptorTarget, chainTarget, realVmdkTarget } from './targets-vmdk.js';
import { volumeTarget, realVolumeTarget } from './targets-volume.js';
import { ntfsTarget, realNtfsTarget, catalogTarget, confined, restoreTarget, imageTarget, restoreHostileTarget } from './targets-fs.js';
import { globTarget } from './targets-glob.js';
import { namesTarget } from './targets-names.js';
import { fastCommitExtTarget, realExtTarget } from './targets-ext.js';
import { lvmTarget } from './targets-lvm.js';
import { realXfsTarget } from './targets-xfs.js';
import { outputsTarget } from './targets-outputs.js';
import { ovaTarget } from './targets-ova.js';
export type { FuzzContext, FuzzInput, FuzzTarget } from './target-kit.js';

export const TARGETS: FuzzTarget[] = [
  binaryDisk('sparse'),
  binaryDisk('streamOptimized'),
  binaryDisk('cowd'),
  binaryDisk('seSparse'),
  binaryExtent('sparse'),
  binaryExtent('streamOptimized'),
  binaryExtent('cowd'),
  binaryExtent('seSparse'),
  descriptorTarget,
  chainTarget,
  namesTarget,
  realVmdkTarget,
  volumeTarget,
  realVolumeTarget,
  lvmTarget,
  ntfsTarget,
  realNtfsTarget,
  realExtTarget,
  fastCommitExtTarget,
  catalogTarget,
  restoreTarget,
  restoreHostileTarget,
  imageTarget,
  realXfsTarget,
  globTarget('catalog'),
  globTarget('restore'),
  outputsTarget,
  ovaTarget,
];

const empty = async (): Promise<FuzzInput> => ({ files: new Map(), main: '' });

/** Targets that misbehave on purpose: the harness test proves each kind of failure is caught. */
export const SELF_TEST_TARGETS: FuzzTarget[] = [
  {
    name: 'self-hang',
    generate: empty,
    run: async () => {
      for (;;);
    },
  },
  {
    name: 'self-heap',
    generate: empty,
    run: async () => {
      const keep: number[][] = [];
      for (;;) keep.push(new Array(1e6).fill(1));
    },
  },
  {
    name: 'self-buffers',
    generate: empty,
    run: async () => {
      const keep = Array.from({ length: 20 }, () => new Uint8Array(16 << 20).fill(1));
      await new Promise((r) => setTimeout(r, 50));
      return `${keep.length}`;
    },
  },
  { name: 'self-typeerror', generate: empty, run: async () => (null as unknown as { x: string }).x },
  {
    // Writes beside its target: `confined` must catch it.
    name: 'self-escape',
    generate: empty,
    run: (_input, ctx) => confined(ctx, async (target) => {
      await mkdir(target, { recursive: true });
      await writeFile(join(target, '..', 'escaped.txt'), 'x');
      return 'wrote';
    }),
  },
  {
    name: 'self-grterror',
    generate: empty,
    run: async () => {
      throw new GrtError('BAD_TABLE', 'on purpose');
    },
  },
];

export function targetNamed(name: string): FuzzTarget {
  const target = [...TARGETS, ...SELF_TEST_TARGETS].find((t) => t.name === name);

  if (!target) throw new Error(`no fuzz target ${name}`);
  return target;
}
