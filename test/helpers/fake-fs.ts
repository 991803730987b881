/**
 * The in-memory FileSystem (src/fs/file-system.ts) of the tests, made one of two ways:
 * - from a flat map of paths to specs (restore and CLI tests): data, named streams, hard links,
 *   sparse layouts, link targets, injectable read failures; streams read from memory;
 * - from a FakeVolume (catalog tests): entries given as they are, in walk order (parents first),
 *   layouts by record and stream name (volume byte offsets, or a GrtError to throw), and the root
 *   names only an `all` listing shows (metadata files); no data.
 * Lookups are case-insensitive as NTFS's (toUpperCase standing in for $UpCase): the exact path
 * first, live entries before deleted ones.
 */
import { GrtError } from '../../src/errors.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { UpcaseTable } from '../../src/fs/ntfs/upcase.js';
import type { EntryType, FileEntry, FileSystem, ListOptions, NameRule, StreamLayout } from '../../src/fs/file-system.js';
import { unicodeUpcaseTable } from '../../src/fs/name-order.js';
import { filetimeToNs } from '../../src/util/time.js';

export interface FakeSpec {
  type?: EntryType;
  /** Unnamed stream content (files). */
  data?: Uint8Array | string;
  /** Named streams. */
  streams?: Record<string, Uint8Array | string>;
  /** Holes as [offset, length] pairs (must read as zeros in `data`). */
  holes?: [number, number][];
  target?: string;
  /** Nanoseconds since 1970 for all four times unless `times` is given. */
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

export interface FakeVolume {
  entries: FileEntry[];
  layouts: Map<string, StreamLayout | GrtError>;
  metadata: Set<string>;
  serial: string;
  label?: string;
}

export function layoutKey(record: number, stream: string): string {
  return `${record}:${stream}`;
}

interface Node {
  entry: FileEntry;
  spec: FakeSpec;
  data: Uint8Array;
  streams: Map<string, Uint8Array>;
  children: Node[];
}

const DEFAULT_TIME = filetimeToNs(132_000_000_000_000_000n); // 2019-04-20
const bytes = (value: Uint8Array | string | undefined) =>
  value === undefined ? new Uint8Array(0) : typeof value === 'string' ? new TextEncoder().encode(value) : value;
const clean = (path: string): string => '/' + path.split('/').filter((s) => s !== '').join('/');
const parentPath = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';

export class FakeFs implements FileSystem {
  readonly kind = 'ntfs' as const;
  readonly info: FileSystem['info'];
  /** Paths (with ':stream') opened, in order. */
  readonly opened: string[] = [];
  /** Nodes by exact path, and by upper-cased path (names differing only in case share a key). */
  private readonly nodes = new Map<string, Node>();
  private readonly folded = new Map<string, Node[]>();
  /** A FakeVolume's layouts and metadata names (undefined: a tree, whose layouts follow its data). */
  private readonly volume: FakeVolume | undefined;
  private nextRecord = 64;
  /** Names compare as JavaScript upper-cases each UTF-16 unit (standing in for $UpCase). */
  private rule?: NameRule;

  constructor(source: Record<string, FakeSpec> | FakeVolume) {
    if (isVolume(source)) {
      this.volume = source;
      this.info = { serial: source.serial, clusterSize: 4096, ...(source.label !== undefined ? { label: source.label } : {}) };
      for (const entry of source.entries) {
        const node: Node = { entry, spec: {}, data: new Uint8Array(0), streams: new Map(), children: [] };
        if (entry.path !== '/') this.nodes.get(parentPath(entry.path))?.children.push(node);
        this.index(entry.path, node);
      }
      return;
    }
    this.volume = undefined;
    this.info = { label: 'FAKE', serial: '0123456789abcdef', clusterSize: 4096 };
    this.index('/', this.makeNode('/', '', { type: 'dir', ...source['/'] }, 5));
    for (const [path, spec] of Object.entries(source)) if (path !== '/') this.add(path, spec);
  }

  nameRule(): NameRule {
    this.rule ??= { kind: 'upcase', table: unicodeUpcaseTable() };
    return this.rule;
  }

  private index(path: string, node: Node): void {
    this.nodes.set(path, node);
    const key = path.toUpperCase();
    const list = this.folded.get(key);
    if (list) list.push(node);
    else this.folded.set(key, [node]);
  }

  private find(path: string): Node | undefined {
    const exact = this.nodes.get(path);
    if (exact && !exact.entry.deleted) return exact;
    const folded = this.folded.get(path.toUpperCase()) ?? [];
    return folded.find((n) => !n.entry.deleted) ?? exact ?? folded[0];
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

  /** Add a path to a tree-made fake (parents made as directories when missing). */
  add(path: string, spec: FakeSpec): void {
    const segments = path.split('/').filter((s) => s !== '');
    let parent = this.nodes.get('/')!;
    for (let i = 0; i < segments.length - 1; i++) {
      const sub = '/' + segments.slice(0, i + 1).join('/');
      let node = this.find(sub);
      if (!node) {
        node = this.makeNode(sub, segments[i]!, { type: 'dir' }, this.nextRecord++);
        this.index(sub, node);
        parent.children.push(node);
      }
      parent = node;
    }
    const full = '/' + segments.join('/');
    const existing = this.find(full);
    if (existing && existing.entry.type === 'dir') {
      // Made implicitly as a parent earlier: keep its children, take the spec's times.
      const time = spec.time ?? DEFAULT_TIME;
      existing.entry.times = { mtime: time, atime: time, ctime: time, btime: time, ...spec.times };
      return;
    }
    let node: Node;
    if (spec.hardLinkOf) {
      const original = this.find(clean(spec.hardLinkOf))!;
      node = { ...original, entry: { ...original.entry, path: full, name: segments[segments.length - 1]! } };
      original.entry.links++;
      node.entry.links = original.entry.links;
    } else {
      node = this.makeNode(full, segments[segments.length - 1]!, spec, this.nextRecord++);
    }
    this.index(full, node);
    parent.children.push(node);
  }

  private get(path: string): Node {
    const node = this.find(clean(path));
    if (!node) throw new GrtError('NOT_FOUND', 'no such file or directory', { path });
    return node;
  }

  /** Deleted entries unless asked for; metadata names in the root unless `all`. */
  private hidden(node: Node, options: ListOptions): boolean {
    const e = node.entry;
    if (e.deleted && !options.deleted) return true;
    return !options.all && this.volume !== undefined && parentPath(e.path) === '/' && this.volume.metadata.has(e.name);
  }

  async stat(path: string): Promise<FileEntry> {
    return this.get(path).entry;
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    const node = this.get(path);
    if (node.entry.type !== 'dir') throw new GrtError('NOT_A_DIRECTORY', 'not a directory', { path });
    return node.children.filter((c) => !this.hidden(c, options)).map((c) => c.entry);
  }

  walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    const start = this.get(path);
    const hidden = (node: Node): boolean => this.hidden(node, options);
    // By node, not by path: a test may give an entry a hostile name its path cannot look up.
    async function* down(node: Node): AsyncIterable<FileEntry> {
      for (const child of node.children) {
        if (hidden(child)) continue;
        yield child.entry;
        yield* down(child);
      }
    }
    return down(start);
  }

  async openStream(target: string | FileEntry, streamName = ''): Promise<ByteSource> {
    if (this.volume) throw new GrtError('UNSUPPORTED', 'fake file system has no data');
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
    if (this.volume) {
      const entry = typeof target === 'string' ? await this.stat(target) : target;
      const layout = this.volume.layouts.get(layoutKey(entry.id.record, streamName));
      if (layout === undefined) throw new GrtError('NOT_FOUND', `no stream "${streamName}"`, { path: entry.path });
      if (layout instanceof GrtError) throw layout;
      return layout;
    }
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

function isVolume(source: Record<string, FakeSpec> | FakeVolume): source is FakeVolume {
  return Array.isArray((source as Partial<FakeVolume>).entries) && (source as Partial<FakeVolume>).layouts instanceof Map;
}

/** A FakeFs whose $UpCase folds ASCII only (as NTFS falls back to): 'é' and 'É' are different names there. */
export class AsciiFoldingFs extends FakeFs {
  override nameRule(): NameRule {
    return { kind: 'upcase', table: UpcaseTable.ascii().units };
  }
}
