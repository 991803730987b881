/**
 * An in-memory FileSystem (src/fs/entry.ts) for restore and CLI tests: built from a flat map of
 * paths, with hard links, sparse layouts, named streams, links, and injectable read failures.
 */
import { GrtError } from '../../src/errors.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import type { EntryType, FileEntry, FileSystem, ListOptions, StreamLayout } from '../../src/fs/entry.js';

export interface FakeSpec {
  type?: EntryType;
  /** Unnamed stream content (files). */
  data?: Uint8Array | string;
  /** Named streams. */
  streams?: Record<string, Uint8Array | string>;
  /** Holes as [offset, length] pairs (must read as zeros in `data`). */
  holes?: [number, number][];
  target?: string;
  /** FILETIME for all four times unless `times` is given. */
  time?: bigint;
  times?: Partial<FileEntry['times']>;
  /** Make this path another name of the file at that path (same record). */
  hardLinkOf?: string;
  /** Reading a range that includes this byte offset of the unnamed stream fails with BAD_RUNLIST. */
  failAt?: number;
  /** Called before every read of the unnamed stream (e.g. to abort mid-file). */
  onRead?: (offset: number, length: number) => void | Promise<void>;
  deleted?: boolean;
}

interface Node {
  entry: FileEntry;
  spec: FakeSpec;
  data: Uint8Array;
  streams: Map<string, Uint8Array>;
  children: Node[];
}

const DEFAULT_TIME = 132_000_000_000_000_000n; // 2019-04-20
const bytes = (value: Uint8Array | string | undefined) =>
  value === undefined ? new Uint8Array(0) : typeof value === 'string' ? new TextEncoder().encode(value) : value;

export class FakeFs implements FileSystem {
  readonly kind = 'ntfs' as const;
  readonly info = { label: 'FAKE', serial: '0123456789abcdef', clusterSize: 4096 };
  private readonly nodes = new Map<string, Node>();
  private nextRecord = 64;
  /** Paths (with ':stream') opened, in order. */
  readonly opened: string[] = [];

  constructor(tree: Record<string, FakeSpec>) {
    this.nodes.set('/', this.makeNode('/', '', { type: 'dir', ...tree['/'] }, 5));
    for (const [path, spec] of Object.entries(tree)) if (path !== '/') this.add(path, spec);
  }

  private key(path: string): string {
    // NTFS lookups are case-insensitive (Win32 namespace); the fake folds with toLowerCase.
    const clean = '/' + path.split('/').filter((s) => s !== '').join('/');
    return clean.toLowerCase();
  }

  private makeNode(path: string, name: string, spec: FakeSpec, record: number): Node {
    const time = spec.time ?? DEFAULT_TIME;
    const type = spec.type ?? (spec.data !== undefined || spec.hardLinkOf ? 'file' : 'dir');
    const data = bytes(spec.data);
    const streams = new Map(Object.entries(spec.streams ?? {}).map(([k, v]) => [k, bytes(v)] as const));
    const entry: FileEntry = {
      path,
      name,
      type,
      size: type === 'file' ? data.length : 0,
      times: { mtime: time, atime: time, ctime: time, btime: time, ...spec.times },
      attributes: type === 'dir' ? 0x10 : 0x20,
      streams: [...streams].map(([n, v]) => ({ name: n, size: v.length })),
      links: 1,
      id: { record, sequence: 1 },
      warnings: [],
    };
    if (spec.target !== undefined) entry.target = spec.target;
    if (spec.deleted) entry.deleted = true;
    return { entry, spec, data, streams, children: [] };
  }

  add(path: string, spec: FakeSpec): void {
    const segments = path.split('/').filter((s) => s !== '');
    let parent = this.nodes.get('/')!;
    for (let i = 0; i < segments.length - 1; i++) {
      const sub = '/' + segments.slice(0, i + 1).join('/');
      let node = this.nodes.get(this.key(sub));
      if (!node) {
        node = this.makeNode(sub, segments[i]!, { type: 'dir' }, this.nextRecord++);
        this.nodes.set(this.key(sub), node);
        parent.children.push(node);
      }
      parent = node;
    }
    const full = '/' + segments.join('/');
    const existing = this.nodes.get(this.key(full));
    if (existing && existing.entry.type === 'dir') {
      // Made implicitly as a parent earlier: keep its children, take the spec's times.
      const time = spec.time ?? DEFAULT_TIME;
      existing.entry.times = { mtime: time, atime: time, ctime: time, btime: time, ...spec.times };
      return;
    }
    let node: Node;
    if (spec.hardLinkOf) {
      const original = this.nodes.get(this.key(spec.hardLinkOf))!;
      node = { ...original, entry: { ...original.entry, path: full, name: segments[segments.length - 1]! } };
      original.entry.links++;
      node.entry.links = original.entry.links;
    } else {
      node = this.makeNode(full, segments[segments.length - 1]!, spec, this.nextRecord++);
    }
    this.nodes.set(this.key(full), node);
    parent.children.push(node);
  }

  private get(path: string): Node {
    const node = this.nodes.get(this.key(path));
    if (!node) throw new GrtError('NOT_FOUND', `no such file or directory`, { path });
    return node;
  }

  async stat(path: string): Promise<FileEntry> {
    return this.get(path).entry;
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    const node = this.get(path);
    if (node.entry.type !== 'dir') throw new GrtError('NOT_A_DIRECTORY', 'not a directory', { path });
    return node.children.filter((c) => options.deleted || !c.entry.deleted).map((c) => c.entry);
  }

  walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    const start = this.get(path);
    // By node, not by path: a test may give an entry a hostile name its path cannot look up.
    async function* down(node: Node): AsyncIterable<FileEntry> {
      for (const child of node.children) {
        if (child.entry.deleted && !options.deleted) continue;
        yield child.entry;
        if (child.entry.type === 'dir') yield* down(child);
      }
    }
    return down(start);
  }

  async openStream(target: string | FileEntry, streamName = ''): Promise<ByteSource> {
    const node = this.get(typeof target === 'string' ? target : target.path);
    this.opened.push(streamName === '' ? node.entry.path : `${node.entry.path}:${streamName}`);
    if (streamName !== '') {
      const data = node.streams.get(streamName);
      if (!data) throw new GrtError('NOT_FOUND', `no stream ${streamName}`, { path: node.entry.path });
      return new MemorySource(data);
    }
    if (node.entry.type !== 'file') throw new GrtError('IS_A_DIRECTORY', 'not a file', { path: node.entry.path });
    const inner = new MemorySource(node.data);
    const spec = node.spec;
    return {
      size: inner.size,
      async read(offset: number, length: number) {
        await spec.onRead?.(offset, length);
        if (spec.failAt !== undefined && spec.failAt >= offset && spec.failAt < offset + length) {
          throw new GrtError('BAD_RUNLIST', 'injected read failure', { offset: spec.failAt });
        }
        return inner.read(offset, length);
      },
    };
  }

  async streamLayout(target: string | FileEntry, streamName = ''): Promise<StreamLayout> {
    const node = this.get(typeof target === 'string' ? target : target.path);
    const size = streamName === '' ? node.data.length : (node.streams.get(streamName)?.length ?? 0);
    const holes = streamName === '' ? [...(node.spec.holes ?? [])].sort((a, b) => a[0] - b[0]) : [];
    const runs: StreamLayout['runs'] = [];
    let at = 0;
    for (const [offset, length] of holes) {
      if (offset > at) runs.push({ streamOffset: at, sourceOffset: 1_000_000 + at, length: offset - at });
      runs.push({ streamOffset: offset, sourceOffset: null, length });
      at = offset + length;
    }
    if (at < size) runs.push({ streamOffset: at, sourceOffset: 1_000_000 + at, length: size - at });
    return { name: streamName, size, initializedSize: size, encoding: 'raw', runs };
  }
}
