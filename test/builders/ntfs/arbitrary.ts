/**
 * fast-check arbitrary for random NTFS volume specs within sane bounds (a few dozen files, tens
 * of KiB each, depth ≤ 3), for reader round-trip property tests.
 *
 * Names are legal Win32 names (no control characters, none of "*\/:<>?|, no trailing dot or
 * space, not "." or ".."), unique case-insensitively per directory under the builder's $UpCase.
 * Long names never contain '~', so the generated DOS names (`D3~1.DOS`) and big-directory names
 * (`big~0042.txt`) cannot collide with them.
 */

import fc from 'fast-check';
import type { DirSpec, FileSpec, NodeSpec, NtfsSpec } from './spec.js';
import { upcaseName } from './upcase.js';
import { randomBytes } from '../../helpers/random-bytes.js';

const FORBIDDEN = new Set('"*/:<>?\\|~');

const nameChar = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. ()[]{}!#$%&\'+,;=@^`'.split('')) },
  { weight: 2, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('😀', '𝄞', '文', 'ß', 'Ω', 'é', 'İ', 'ı', '\ufeff') },
);

export const arbNtfsName: fc.Arbitrary<string> = fc
  .array(nameChar, { minLength: 1, maxLength: 24 })
  .map((chars) => chars.join(''))
  .filter((n) => n !== '.' && n !== '..' && !/[. ]$/.test(n) && n.length <= 255 && ![...n].some((c) => FORBIDDEN.has(c) || c < ' '));

/** Deterministic bytes: xorshift noise, or repetitive text (compressible). */
function makeData(length: number, seed: number, textual: boolean): Uint8Array {
  if (!textual) return randomBytes(length, seed | 1);
  const out = new Uint8Array(length);
  const words = new TextEncoder().encode(`grt ntfs restore ${seed} lorem ipsum dolor sit amet\n`);
  for (let i = 0; i < length; i++) out[i] = words[i % words.length]!;
  return out;
}

type Kind = 'plain' | 'text' | 'sparse' | 'fragmented' | 'compressed' | 'uninitialized';

interface RawFile {
  size: number;
  seed: number;
  kind: Kind;
  resident: boolean | null;
  streams: { size: number; seed: number }[];
  dos: boolean;
  links: number;
  attributeList: boolean;
  times: { btime: bigint; mtime: bigint; ctime: bigint; atime: bigint } | null;
}

interface RawDir {
  files: RawFile[];
  dirs: RawDir[];
  names: string[];
  dos: boolean;
}

/** FILETIMEs from 1980 to 2100, with 100 ns precision. */
const filetime = fc.bigInt({ min: 119_600_064_000_000_000n, max: 157_469_184_000_000_000n });

const rawFile: fc.Arbitrary<RawFile> = fc.record({
  size: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 40_000 })),
  seed: fc.integer(),
  kind: fc.constantFrom<Kind>('plain', 'plain', 'text', 'sparse', 'fragmented', 'compressed', 'uninitialized'),
  resident: fc.option(fc.boolean(), { nil: null }),
  streams: fc.array(fc.record({ size: fc.integer({ min: 0, max: 5000 }), seed: fc.integer() }), { maxLength: 2 }),
  dos: fc.boolean(),
  links: fc.integer({ min: 0, max: 2 }),
  attributeList: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
  times: fc.option(fc.record({ btime: filetime, mtime: filetime, ctime: filetime, atime: filetime }), { nil: null }),
});

/** Names a directory can hand out: children, then their extra hard-link names. */
const NAME_POOL = 30;

const rawDir: (depth: number) => fc.Arbitrary<RawDir> = (depth) =>
  fc.record({
    files: fc.array(rawFile, { maxLength: 6 }),
    dirs: depth > 0 ? fc.array(rawDir(depth - 1), { maxLength: 3 }) : fc.constant([]),
    names: fc.uniqueArray(arbNtfsName, { selector: upcaseName, minLength: NAME_POOL, maxLength: NAME_POOL }),
    dos: fc.boolean(),
  });

function toFile(raw: RawFile, name: string, dosName: string | undefined, links: string[], clusterSize: number): FileSpec {
  const canCompress = clusterSize <= 4096;
  let kind = raw.kind;
  if (kind === 'compressed' && !canCompress) kind = 'text';
  const spec: FileSpec = { kind: 'file', name, data: makeData(raw.size, raw.seed, kind === 'text' || kind === 'compressed') };
  if (kind === 'sparse') {
    const clusters = Math.max(3, Math.ceil(raw.size / clusterSize));
    spec.data = makeData(clusters * clusterSize, raw.seed, false);
    const holeStart = clusterSize * (raw.seed & 1 ? 1 : 0);
    const holeLength = clusterSize * Math.max(1, Math.floor(clusters / 2));
    spec.data.fill(0, holeStart, holeStart + holeLength);
    spec.sparseRanges = [[holeStart, holeLength]];
  } else if (kind === 'fragmented' && raw.size > 0) {
    spec.fragmented = true;
  } else if (kind === 'compressed' && raw.size > 0) {
    spec.compressed = true;
  } else if (kind === 'uninitialized' && raw.size > 0) {
    spec.initializedSize = Math.floor(raw.size / 2);
    spec.data.fill(0, spec.initializedSize);
  } else if (raw.resident !== null && raw.size <= 400 && links.length === 0) {
    spec.resident = raw.resident;
  }
  if (raw.streams.length > 0) spec.streams = raw.streams.map((s, i) => ({ name: `s${i}`, data: makeData(s.size, s.seed, true) }));
  if (dosName) spec.dosName = dosName;
  if (links.length > 0) spec.hardLinks = links;
  if (raw.attributeList) spec.attributeList = true;
  if (raw.times) spec.times = raw.times;
  return spec;
}

function toDir(raw: RawDir, name: string, dosName: string | undefined, clusterSize: number, bigDir: number): DirSpec {
  const names = [...raw.names];
  let dosCounter = 0;
  const children: NodeSpec[] = [];
  for (const f of raw.files) {
    const own = names.shift()!;
    const links = names.splice(0, f.links);
    const dos = f.dos ? `D${dosCounter++}~1.DOS` : undefined;
    children.push(toFile(f, own, dos, links, clusterSize));
  }
  for (const d of raw.dirs) {
    const dos = d.dos ? `D${dosCounter++}~1.DIR` : undefined;
    children.push(toDir(d, names.shift()!, dos, clusterSize, 0));
  }
  for (let i = 0; i < bigDir; i++) {
    children.push({ kind: 'file', name: `big~${String(i).padStart(4, '0')}.txt`, data: makeData(i % 97, i, true) });
  }
  const dir: DirSpec = { kind: 'dir', name, children };
  if (dosName) dir.dosName = dosName;
  return dir;
}

const geometry = fc.constantFrom(
  { sectorSize: 512 as const, clusterSize: 512, recordSize: 1024 as const },
  { sectorSize: 512 as const, clusterSize: 1024, recordSize: 1024 as const },
  { sectorSize: 512 as const, clusterSize: 4096, recordSize: 1024 as const },
  { sectorSize: 512 as const, clusterSize: 4096, recordSize: 1024 as const },
  { sectorSize: 512 as const, clusterSize: 8192, recordSize: 1024 as const },
  { sectorSize: 512 as const, clusterSize: 65536, recordSize: 1024 as const },
  { sectorSize: 4096 as const, clusterSize: 4096, recordSize: 4096 as const },
);

/** Random volume specs: geometry, a tree of depth ≤ 3, sometimes a directory big enough for INDX blocks. */
export function arbNtfsSpec(): fc.Arbitrary<NtfsSpec> {
  return fc
    .record({
      geometry,
      root: rawDir(2),
      bigDir: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 40, max: 250 }) }),
      mftAttributeList: fc.boolean(),
      label: fc.string({ maxLength: 20 }),
    })
    .map(({ geometry: g, root, bigDir, mftAttributeList, label }) => ({
      ...g,
      volumeLabel: label,
      mftAttributeList,
      root: toDir(root, '', undefined, g.clusterSize, bigDir),
    }));
}
