/**
 * Seeded damage for fuzz inputs: a small PRNG (so a case is reproducible from its seed alone) and
 * mutators that model what breaks real images — bit rot, zeroed or 0xFF-filled sectors, counts and
 * offsets set to 0 / all-ones / huge, truncated files, sectors or MFT records swapped, regions
 * copied over others. Each mutation describes itself (file, offset, what) for the failure report.
 */

/** mulberry32: 32-bit state, good enough spread for choosing offsets, and trivially reproducible. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    if (n <= 0) return 0;
    if (n <= 0x1_0000_0000) return Math.floor((this.u32() / 0x1_0000_0000) * n);
    return Math.floor((this.u32() * 0x1_0000_0000 + this.u32()) / 2 ** 64 * n);
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

/** The files of one fuzz input, by name (names are plain file names, written into one directory). */
export type Files = Map<string, Uint8Array>;

export interface MutationHints {
  /** Files that may be mutated (default: all). */
  files?: string[];
  /** Record size for record swaps (NTFS MFT records), and where the records are, per file. */
  records?: { file: string; start: number; count: number; size: number };
  /** Byte regions worth aiming at (headers, tables, MFT), per file; offsets also go elsewhere. */
  regions?: { file: string; start: number; length: number }[];
}

const SECTOR = 512;
const FIELD32 = [0, 0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 0x00ffffff, 1];
const FIELD64 = [0n, 0xffff_ffff_ffff_ffffn, 2n ** 53n, 2n ** 53n - 1n, 2n ** 63n, 0x1_0000_0000n, 0xffff_ffffn];

/** Sector-aligned offsets of the sectors holding any non-zero byte: metadata lives there. */
function busySectors(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at < bytes.length; at += SECTOR) {
    const end = Math.min(at + SECTOR, bytes.length);
    for (let i = at; i < end; i++) {
      if (bytes[i] !== 0) {
        out.push(at);
        break;
      }
    }
  }
  return out;
}

function chooseOffset(rng: Rng, bytes: Uint8Array, busy: number[], regions: { start: number; length: number }[]): number {
  if (bytes.length === 0) return 0;
  const roll = rng.below(10);
  if (roll < 4 && regions.length > 0) {
    const r = rng.pick(regions);
    return Math.min(bytes.length - 1, r.start + rng.below(Math.max(1, r.length)));
  }
  if (roll < 8 && busy.length > 0) return Math.min(bytes.length - 1, rng.pick(busy) + rng.below(SECTOR));
  return rng.below(bytes.length);
}

/**
 * Apply 1–`max` random mutations to a copy of `files`; returns the new files and a description of
 * each mutation (enough to redo it by hand).
 */
export function mutateFiles(files: Files, rng: Rng, hints: MutationHints = {}, max = rng.chance(0.2) ? 16 : 4): { files: Files; log: string[] } {
  const out: Files = new Map([...files].map(([name, bytes]) => [name, bytes.slice()]));
  const names = hints.files ?? [...out.keys()];
  const log: string[] = [];
  const count = names.length === 0 ? 0 : rng.int(1, max);
  for (let m = 0; m < count; m++) {
    const name = rng.pick(names);
    let bytes = out.get(name)!;
    const regions = (hints.regions ?? []).filter((r) => r.file === name);
    const busy = busySectors(bytes);
    const at = chooseOffset(rng, bytes, busy, regions);
    const kind = rng.below(100);
    if (bytes.length === 0) {
      out.set(name, rng.bytes(rng.int(1, 1024)));
      log.push(`${name}: empty file filled with random bytes`);
    } else if (kind < 25) {
      const bit = rng.below(8);
      bytes[at]! ^= 1 << bit;
      log.push(`${name}@0x${at.toString(16)}: flip bit ${bit}`);
    } else if (kind < 35) {
      const value = rng.pick([0x00, 0xff, rng.below(256)]);
      const length = Math.min(bytes.length - at, rng.pick([1, 2, 4, 8, 16, 64, SECTOR]));
      bytes.fill(value, at, at + length);
      log.push(`${name}@0x${at.toString(16)}: ${length} bytes set to 0x${value.toString(16)}`);
    } else if (kind < 55) {
      const aligned = at - (at % 4);
      if (aligned + 4 <= bytes.length) {
        // Values relative to the file make self-references (cycles) and just-past-the-end pointers.
        const sectors = Math.floor(bytes.length / SECTOR);
        const relative = [sectors, sectors - 1, Math.floor(aligned / SECTOR), aligned, bytes.length];
        const value = (rng.chance(0.5) ? rng.pick(FIELD32) : rng.chance(0.6) ? rng.pick(relative) : rng.u32()) >>> 0;
        new DataView(bytes.buffer, bytes.byteOffset).setUint32(aligned, value, true);
        log.push(`${name}@0x${aligned.toString(16)}: u32 = 0x${value.toString(16)}`);
      }
    } else if (kind < 70) {
      const aligned = at - (at % (rng.chance(0.5) ? 8 : 4));
      if (aligned + 8 <= bytes.length) {
        const value = rng.pick(FIELD64);
        new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(aligned, value, true);
        log.push(`${name}@0x${aligned.toString(16)}: u64 = 0x${value.toString(16)}`);
      }
    } else if (kind < 77) {
      const to = rng.chance(0.5) ? at - (at % SECTOR) : at;
      bytes = bytes.slice(0, to);
      out.set(name, bytes);
      log.push(`${name}: truncated to ${to} bytes`);
    } else if (kind < 87) {
      const rec = hints.records && hints.records.file === name && rng.chance(0.7) ? hints.records : undefined;
      const size = rec ? rec.size : SECTOR;
      const slots = rec ? rec.count : Math.floor(bytes.length / SECTOR);
      const base = rec ? rec.start : 0;
      if (slots >= 2) {
        const a = base + rng.below(slots) * size;
        const b = base + (busy.length > 0 && !rec ? rng.pick(busy) - base : rng.below(slots) * size);
        if (a + size <= bytes.length && b + size <= bytes.length && b >= 0) {
          const tmp = bytes.slice(a, a + size);
          bytes.copyWithin(a, b, b + size);
          bytes.set(tmp, b);
          log.push(`${name}: swap ${size}-byte blocks at 0x${a.toString(16)} and 0x${b.toString(16)}`);
        }
      }
    } else {
      const length = Math.min(rng.pick([16, 64, SECTOR, 4096]), bytes.length);
      const from = rng.below(bytes.length - length + 1);
      const to = Math.min(at, bytes.length - length);
      bytes.copyWithin(to, from, from + length);
      log.push(`${name}: ${length} bytes from 0x${from.toString(16)} copied to 0x${to.toString(16)}`);
    }
  }
  return { files: out, log };
}

/** Text-aware damage for descriptors: numbers changed, lines dropped/doubled, quotes broken. */
export function mutateText(text: string, rng: Rng): { text: string; log: string[] } {
  const lines = text.split('\n');
  const log: string[] = [];
  const count = rng.int(1, 3);
  for (let m = 0; m < count; m++) {
    const i = rng.below(lines.length);
    const line = lines[i]!;
    const kind = rng.below(6);
    if (kind === 0) {
      lines.splice(i, 1);
      log.push(`line ${i + 1} dropped`);
    } else if (kind === 1) {
      lines.splice(i, 0, line);
      log.push(`line ${i + 1} doubled`);
    } else if (kind === 2) {
      const huge = rng.pick(['0', '-1', '4294967296', '9007199254740993', '18446744073709551615', '1e9', 'NaN', '0x10']);
      lines[i] = line.replace(/\d+/, huge);
      log.push(`line ${i + 1}: first number -> ${huge}`);
    } else if (kind === 3) {
      lines[i] = line.replace(/"/, '');
      log.push(`line ${i + 1}: a quote dropped`);
    } else if (kind === 4) {
      const piece = rng.pick(['"../../etc/passwd"', '"/etc/hostname"', '"\\\\server\\share\\x.vmdk"', '"a\u0000b"', '""', '"x.vmdk" 99999999999', '"disk.vmdk"', '"child.vmdk"', '"base.vmdk"']);
      lines[i] = line.replace(/"[^"]*"/, piece);
      log.push(`line ${i + 1}: quoted part -> ${piece}`);
    } else {
      const cut = rng.below(line.length + 1);
      lines[i] = line.slice(0, cut);
      log.push(`line ${i + 1} cut at ${cut}`);
    }
  }
  return { text: lines.join('\n'), log };
}
