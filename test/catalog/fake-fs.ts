/**
 * An in-memory FileSystem for catalog tests: entries given in walk order (parents first), layouts
 * by record number and stream name (volume byte offsets, or a GrtError to throw), and the root
 * names that only an `all` listing shows (metadata files). Paths are unique (deleted ones too).
 */
import { GrtError } from '../../src/errors.js';
import type { FileEntry, FileSystem, ListOptions, StreamLayout } from '../../src/fs/entry.js';
import type { ByteSource } from '../../src/io/byte-source.js';

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

function parentPath(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

export class FakeFs implements FileSystem {
  readonly kind = 'ntfs' as const;
  readonly info: FileSystem['info'];
  constructor(private readonly volume: FakeVolume) {
    this.info = { serial: volume.serial, clusterSize: 4096, ...(volume.label !== undefined ? { label: volume.label } : {}) };
  }

  private hiddenSelf(e: FileEntry, options: ListOptions): boolean {
    if (e.deleted && !options.deleted) return true;
    return !options.all && parentPath(e.path) === '/' && e.path !== '/' && this.volume.metadata.has(e.name);
  }

  async stat(path: string): Promise<FileEntry> {
    const want = path === '/' ? '/' : path.replace(/\/+$/, '');
    const live = this.volume.entries.filter((e) => !e.deleted);
    const found =
      live.find((e) => e.path === want) ??
      live.find((e) => e.path.toUpperCase() === want.toUpperCase()) ??
      this.volume.entries.find((e) => e.path === want);
    if (!found) throw new GrtError('NOT_FOUND', 'no such file', { path });
    return found;
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    const dir = await this.stat(path);
    return this.volume.entries.filter((e) => e !== dir && e.path !== '/' && parentPath(e.path) === dir.path && !this.hiddenSelf(e, options));
  }

  async *walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    const dir = await this.stat(path);
    // Paths are unique in the fake, so a directory is found by its path.
    const visible = new Set<string>([dir.path]);
    for (const e of this.volume.entries) {
      if (e === dir || e.path === '/' || !visible.has(parentPath(e.path)) || this.hiddenSelf(e, options)) continue;
      visible.add(e.path);
      yield e;
    }
  }

  async openStream(): Promise<ByteSource> {
    throw new GrtError('UNSUPPORTED', 'fake file system has no data');
  }

  async streamLayout(target: string | FileEntry, streamName = ''): Promise<StreamLayout> {
    const entry = typeof target === 'string' ? await this.stat(target) : target;
    const layout = this.volume.layouts.get(layoutKey(entry.id.record, streamName));
    if (layout === undefined) throw new GrtError('NOT_FOUND', `no stream "${streamName}"`, { path: entry.path });
    if (layout instanceof GrtError) throw layout;
    return layout;
  }
}
