/**
 * Random volumes for catalog property tests: unicode names (lone surrogates too), hard links,
 * alternate streams, raw/lznt1/resident/sparse layouts and layouts that fail, warnings, deleted
 * and metadata entries, odd parent ids. Built from a fast-check seed list so shrinking works.
 */
import fc from 'fast-check';
import { GrtError } from '../../src/errors.js';
import type { EntryType, FileEntry, StreamLayout } from '../../src/fs/file-system.js';
import { layoutKey, type FakeVolume } from '../helpers/fake-fs.js';

const TYPES: EntryType[] = ['file', 'dir', 'symlink', 'junction', 'other'];

const nameArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_ .~$-]{1,12}$/),
  fc.array(fc.integer({ min: 1, max: 0xffff }), { minLength: 1, maxLength: 8 }).map((codes) => String.fromCharCode(...codes)),
);
const timeArb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const smallArb = fc.integer({ min: 0, max: 2 ** 40 });

const layoutArb = fc.record({
  kind: fc.constantFrom('raw', 'lznt1', 'resident', 'error'),
  size: smallArb,
  initializedLess: fc.integer({ min: -5, max: 1 << 20 }),
  unit: fc.option(fc.constantFrom(4096, 65536), { nil: undefined }),
  resident: fc.uint8Array({ maxLength: 40 }),
  runs: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3 }), length: fc.integer({ min: 1, max: 2 ** 36 }), offset: fc.option(fc.integer({ min: 0, max: 2 ** 44 }), { freq: 4, nil: null }) }), { maxLength: 5 }),
});

const nodeArb = fc.record({
  parentPick: fc.nat(),
  name: nameArb,
  type: fc.constantFrom(...TYPES, 'file', 'file', 'dir'),
  linkPick: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat() }),
  size: smallArb,
  attributes: fc.nat({ max: 0xffff }),
  mtime: timeArb,
  atime: timeArb,
  ctime: timeArb,
  btime: timeArb,
  seq: fc.nat({ max: 0xffff }),
  streams: fc.array(fc.record({ name: nameArb, size: smallArb }), { maxLength: 2 }),
  layouts: fc.array(layoutArb, { minLength: 3, maxLength: 3 }),
  target: fc.option(fc.string(), { freq: 4, nil: undefined }),
  undecodable: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('wof', 'efs', 'dedup') }),
  dosName: fc.option(fc.stringMatching(/^[A-Z0-9~]{1,8}$/), { freq: 3, nil: undefined }),
  deleted: fc.constantFrom(undefined, undefined, false, true),
  parentMode: fc.constantFrom('derived', 'derived', 'derived', 'none', 'odd'),
  warnings: fc.array(fc.record({ code: fc.constantFrom('BAD_RECORD', 'BAD_ATTRIBUTE'), message: fc.string(), offset: fc.option(fc.integer(), { nil: undefined }) }), { maxLength: 2 }),
  metadata: fc.boolean(),
});

export function volumeArbOf(minNodes: number, maxNodes: number): fc.Arbitrary<FakeVolume> {
  return fc
    .record({ nodes: fc.array(nodeArb, { minLength: minNodes, maxLength: maxNodes }), serial: fc.stringMatching(/^[0-9A-F]{16}$/) })
    .map(({ nodes, serial }) => makeVolume(nodes, serial));
}

export const volumeArb = volumeArbOf(0, 40);

type Node = (typeof nodeArb extends fc.Arbitrary<infer T> ? T : never);

function makeLayout(spec: Node['layouts'][number], name: string): StreamLayout | GrtError {
  if (spec.kind === 'error') return new GrtError('UNSUPPORTED', `stream ${name} is WOF-compressed`, { structure: 'test' });
  const layout: StreamLayout = { name, size: spec.size, initializedSize: spec.size - spec.initializedLess, encoding: spec.kind as StreamLayout['encoding'], runs: [] };
  if (spec.unit !== undefined) layout.compressionUnit = spec.unit;
  if (spec.kind === 'resident') layout.resident = spec.resident;
  let streamOffset = 0;
  for (const run of spec.runs) {
    streamOffset += run.gap;
    layout.runs.push({ streamOffset, sourceOffset: run.offset, length: run.length });
    streamOffset += run.length;
  }
  return layout;
}

export function makeVolume(nodes: Node[], serial: string): FakeVolume {
  const root: FileEntry = {
    path: '/', name: '.', type: 'dir', size: 0, attributes: 0x16, streams: [], links: 1,
    times: { mtime: 1n, atime: 2n, ctime: 3n, btime: 4n }, id: { record: 5, sequence: 5 }, parent: { record: 5, sequence: 5 }, warnings: [],
  };
  const entries: FileEntry[] = [root];
  const layouts = new Map<string, StreamLayout | GrtError>();
  const metadata = new Set<string>();
  const dirs: FileEntry[] = [root];
  const taken = new Set<string>(['/']);
  const files: FileEntry[][] = [];
  let record = 100;
  for (const node of nodes) {
    const dir = dirs[node.parentPick % dirs.length]!;
    const path = dir.path === '/' ? `/${node.name}` : `${dir.path}/${node.name}`;
    if (node.name.includes('/') || node.name === '.' || node.name === '..' || taken.has(path.toUpperCase())) continue;
    taken.add(path.toUpperCase());
    const parent = node.parentMode === 'derived' ? { ...dir.id } : node.parentMode === 'odd' ? { record: 7, sequence: 9 } : undefined;
    const link = node.linkPick === undefined || files.length === 0 ? undefined : files[node.linkPick % files.length]!;
    let entry: FileEntry;
    if (link) {
      // Another name of an earlier file: only path, name, parent and DOS name differ.
      const { dosName: _d, parent: _p, ...base } = link[0]!;
      entry = { ...base, path, name: node.name };
      link.push(entry);
      for (const e of link) e.links = link.length;
    } else {
      entry = {
        path, name: node.name, type: node.type, size: node.size, attributes: node.attributes,
        times: { mtime: node.mtime, atime: node.atime, ctime: node.ctime, btime: node.btime },
        streams: node.streams.filter((s, i, all) => all.findIndex((t) => t.name === s.name) === i).map((s) => ({ name: s.name, size: s.size })),
        links: 1, id: { record: record++, sequence: node.seq }, warnings: node.warnings.map((w) => (w.offset === undefined ? { code: w.code, message: w.message } : { code: w.code, message: w.message, offset: w.offset })),
      };
      if (node.target !== undefined) entry.target = node.target;
      if (node.undecodable !== undefined) entry.undecodable = node.undecodable;
      if (node.deleted !== undefined) entry.deleted = node.deleted;
      const streamNames = [...(entry.type === 'dir' ? [] : ['']), ...entry.streams.map((s) => s.name)];
      streamNames.forEach((name, i) => layouts.set(layoutKey(entry.id.record, name), makeLayout(node.layouts[i % 3]!, name)));
      if (entry.type !== 'dir') files.push([entry]);
    }
    if (parent) entry.parent = parent;
    if (node.dosName !== undefined) entry.dosName = node.dosName;
    if (entry.type === 'dir') dirs.push(entry);
    if (dir === root && node.metadata && !entry.deleted) metadata.add(entry.name);
    entries.push(entry);
  }
  return { entries, layouts, metadata, serial };
}
