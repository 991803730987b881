/**
 * Reading a stream from its layout alone (fs/file-system.ts StreamLayout): the same reader serves
 * live reads of a file system and catalog restores, which have no file-system metadata at hand.
 * A layout from a catalog is checked against the source before any read.
 *
 * Encodings: 'resident' (the bytes are in the layout), 'raw' (runs map stream bytes to source
 * bytes; null runs are holes), 'lznt1' (NTFS compression, [MS-XCA] 2.5 and libyal libfsntfs
 * "Compression" notes: units of `compressionUnit` bytes; a unit whose runs cover it all is stored
 * as is, a unit with no clusters is zeros, any other holds LZNT1 data in its allocated clusters
 * followed by sparse padding), 'wof' (a WOF compressed stream, fs/ntfs/wof.ts).
 */
import { GrtError } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { checkRange, copyOut, readInto } from '../io/byte-source.js';
import type { StreamLayout } from './file-system.js';
import { decompressLznt1, MAX_LZNT1_OUTPUT } from '../codecs/lznt1.js';
import type { GrainInflation } from '../vmdk/inflation.js';
import { openWofLayout } from './ntfs/wof.js';

type LayoutRun = StreamLayout['runs'][number];

/** Compressed units kept decoded, so sequential small reads decode each unit once. */
const DECODED_UNITS_KEPT = 2;

/** Check a layout (possibly from a catalog) against the source before reading through it. */
function checkLayout(source: ByteSource, layout: StreamLayout): void {
  const bad = (detail: string, actual?: unknown): GrtError => new GrtError('BAD_RUNLIST', detail, { structure: `stream layout ${JSON.stringify(layout.name)}`, actual });
  if (!Number.isSafeInteger(layout.size) || layout.size < 0) throw bad('size out of range', layout.size);
  if (layout.encoding === 'resident') {
    if (!layout.resident || layout.resident.length < layout.size) throw bad('resident data missing or short');
    return;
  }
  if (layout.encoding === 'lznt1') {
    // One unit is one decompressLznt1 call: its output bound is the unit bound (Windows uses 16 clusters).
    const unit = layout.compressionUnit ?? 0;
    if (!Number.isSafeInteger(unit) || unit <= 0 || unit > MAX_LZNT1_OUTPUT || unit % 4096 !== 0) throw bad('compression unit out of range', unit);
  }
  let expected = 0;
  for (const run of layout.runs) {
    if (run.streamOffset !== expected || !Number.isSafeInteger(run.length) || run.length <= 0) throw bad('runs not contiguous', run.streamOffset);
    if (run.sourceOffset !== null && (!Number.isSafeInteger(run.sourceOffset) || run.sourceOffset < 0 || run.sourceOffset + run.length > source.size)) {
      throw new GrtError('MISSING_DATA', 'run lies past the end of the source', { structure: 'stream layout', offset: run.sourceOffset, space: 'volume', expected: source.size });
    }
    expected += run.length;
  }
  if (expected < layout.size) throw bad('runs cover less than the size', expected);
}

/** Index of the run holding stream byte `offset` (runs are contiguous from 0). */
export function findRun(runs: readonly LayoutRun[], offset: number): number {
  let low = 0;
  let high = runs.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (runs[mid]!.streamOffset <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Source byte offset of stream byte `at` (for messages); undefined in a hole or past the runs. */
export function sourceOffsetAt(runs: readonly LayoutRun[], at: number): number | undefined {
  const run = runs[findRun(runs, at)];
  return run && run.sourceOffset !== null && run.streamOffset <= at && at < run.streamOffset + run.length ? run.sourceOffset + at - run.streamOffset : undefined;
}

/**
 * Fill `out` with stream bytes [offset, offset+out.length) of a raw run map, straight from the
 * source into `out`; holes are zeros. Pieces contiguous on disk were coalesced when the layout was
 * built: one source read each, all in flight together.
 */
async function readRaw(source: ByteSource, runs: readonly LayoutRun[], offset: number, out: Uint8Array): Promise<void> {
  const reads: Promise<void>[] = [];
  const end = offset + out.length;
  for (let i = findRun(runs, offset); i < runs.length && runs[i]!.streamOffset < end; i++) {
    const run = runs[i]!;
    const from = Math.max(offset, run.streamOffset);
    const to = Math.min(end, run.streamOffset + run.length);
    if (to <= from) continue;
    const target = out.subarray(from - offset, to - offset);
    if (run.sourceOffset === null) target.fill(0);
    else reads.push(readInto(source, run.sourceOffset + from - run.streamOffset, target));
  }
  await Promise.all(reads);
}

/** `inflation`: where a 'wof' layout's chunks are decoded in batches (fs/ntfs/wof.ts); default this thread. */
export function openLayoutStream(source: ByteSource, layout: StreamLayout, inflation?: GrainInflation): ByteSource {
  if (layout.encoding === 'wof') return openWofLayout(source, layout, openLayoutStream, inflation);
  checkLayout(source, layout);
  const size = layout.size;
  const valid = Math.min(layout.initializedSize, size);
  const name = `stream ${JSON.stringify(layout.name)}`;
  /** A stream reader from `fill`, which writes all of its target (zeros past the valid length). */
  const stream = (fill: (offset: number, target: Uint8Array) => Promise<void>): ByteSource => ({
    size,
    async read(offset, length) {
      checkRange({ size }, offset, length, name);
      const out = new Uint8Array(length);
      await fill(offset, out);
      return out;
    },
    async readInto(offset, target) {
      checkRange({ size }, offset, target.length, name);
      await fill(offset, target);
    },
  });
  if (layout.encoding === 'resident') {
    const data = layout.resident!;
    return {
      ...stream(async (offset, target) => target.set(data.subarray(offset, offset + target.length))),
      read: async (offset, length) => (checkRange({ size }, offset, length, name), data.subarray(offset, offset + length)),
    };
  }
  const runs = layout.runs;
  if (layout.encoding === 'raw') {
    const fill = async (offset: number, target: Uint8Array): Promise<void> => {
      const validBytes = Math.max(0, Math.min(target.length, valid - offset));
      if (validBytes > 0) await readRaw(source, runs, offset, target.subarray(0, validBytes));
      target.fill(0, validBytes);
    };
    return {
      ...stream(fill),
      async read(offset, length) {
        checkRange({ size }, offset, length, name);
        const end = offset + length;
        const run = runs[findRun(runs, offset)];
        // Common case: the whole read lies in one allocated run → hand back the source's bytes.
        if (length > 0 && end <= valid && run && run.sourceOffset !== null && end <= run.streamOffset + run.length) {
          return source.read(run.sourceOffset + offset - run.streamOffset, length);
        }
        const out = new Uint8Array(length);
        await fill(offset, out);
        return out;
      },
      /** Within one allocated run and the valid length: holes and bytes past it are zeros, read instead. */
      async copyOut(offset, length, copy) {
        checkRange({ size }, offset, length, name);
        const run = length > 0 && offset < valid ? runs[findRun(runs, offset)] : undefined;
        if (!run || run.sourceOffset === null || offset >= run.streamOffset + run.length) return 0;
        const take = Math.min(length, valid - offset, run.streamOffset + run.length - offset);
        return copyOut(source, run.sourceOffset + offset - run.streamOffset, take, copy);
      },
    };
  }
  return compressedStream(source, layout, valid, stream);
}

/** An 'lznt1' layout's stream: each compression unit read, decoded and kept for the next reads. */
function compressedStream(source: ByteSource, layout: StreamLayout, valid: number, stream: (fill: (offset: number, target: Uint8Array) => Promise<void>) => ByteSource): ByteSource {
  const runs = layout.runs;
  const unitSize = layout.compressionUnit!;
  const decoded: { index: number; bytes: Uint8Array }[] = [];
  const unit = async (index: number): Promise<Uint8Array> => {
    const hit = decoded.find((u) => u.index === index);
    if (hit) return hit.bytes;
    const start = index * unitSize;
    let allocated = 0;
    for (let i = findRun(runs, start); i < runs.length && runs[i]!.streamOffset < start + unitSize; i++) {
      const run = runs[i]!;
      if (run.sourceOffset !== null) allocated += Math.min(start + unitSize, run.streamOffset + run.length) - Math.max(start, run.streamOffset);
    }
    const bytes = new Uint8Array(unitSize);
    if (allocated === unitSize) {
      await readRaw(source, runs, start, bytes);
    } else if (allocated > 0) {
      // The allocated clusters come first in the unit; sparse padding follows.
      const packed = new Uint8Array(unitSize);
      await readRaw(source, runs, start, packed);
      bytes.set(decompressLznt1(packed.subarray(0, allocated), unitSize));
    }
    decoded.push({ index, bytes });
    if (decoded.length > DECODED_UNITS_KEPT) decoded.shift();
    return bytes;
  };
  return stream(async (offset, target) => {
    const end = Math.min(offset + target.length, valid);
    let pos = offset;
    while (pos < end) {
      const index = Math.floor(pos / unitSize);
      const within = pos - index * unitSize;
      const take = Math.min(unitSize - within, end - pos);
      target.set((await unit(index)).subarray(within, within + take), pos - offset);
      pos += take;
    }
    target.fill(0, Math.max(0, pos - offset));
  });
}
