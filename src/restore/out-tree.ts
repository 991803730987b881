/**
 * The restore's output tree: every image name under an output directory gets one safe, unique
 * name, once, and every directory on the way is created (or accepted) and checked before use.
 * A directory that could not be made fails everything below it with the same error.
 */
import { join } from 'node:path';
import { GrtError } from '../errors.js';
import { NameAllocator, type NameRules } from './safe-name.js';
import { ensureDir, ioError } from './write.js';

export class OutDir {
  /** Image name (or a sidecar key) → the child directory, or the output path of a file. */
  readonly children = new Map<string, OutDir | string>();
  readonly names: NameAllocator;
  /** Made by this restore (not found existing): nothing in it predates the restore. */
  created = false;
  constructor(readonly path: string, rules: NameRules) {
    this.names = new NameAllocator(rules);
  }
}

export class OutputTree {
  readonly top: OutDir;
  private readonly made = new Map<string, GrtError | null>();

  constructor(root: string, private readonly rules: NameRules) {
    this.top = new OutDir(root, rules);
    this.made.set(root, null);
  }

  private child(node: OutDir, name: string): OutDir {
    let child = node.children.get(name);
    if (typeof child === 'string') throw new GrtError('NOT_A_DIRECTORY', "a restored file has this directory's name", { path: child });
    if (!child) {
      child = new OutDir(join(node.path, node.names.allocate(name)), this.rules);
      node.children.set(name, child);
    }
    return child;
  }

  /**
   * Allocate the name of an entry before anything is written, so that entries of the image get
   * their own names and sidecar files (allocated later) take the suffixed ones.
   */
  reserve(relative: string[], isDir: boolean): void {
    let node = this.top;
    const last = relative.length - 1;
    for (let i = 0; i < last; i++) node = this.child(node, relative[i]!);
    if (last < 0) return;
    if (isDir) this.child(node, relative[last]!);
    else if (!node.children.has(relative[last]!)) this.file(node, relative[last]!);
  }

  /**
   * Forget the names and subdirectories below the directory at `relative` once nothing more is
   * restored into it, so memory follows the directories still open, not the whole restore. The
   * directory's own name stays with its parent.
   */
  release(relative: string[]): void {
    let node: OutDir | string | undefined = this.top;
    for (const name of relative) {
      node = node.children.get(name);
      if (!(node instanceof OutDir)) return;
    }
    for (const child of node.children.values()) if (child instanceof OutDir) this.made.delete(child.path);
    node.children.clear();
    node.names.clear();
  }

  /** The output directory for image-relative components `relative`, created and checked. */
  dir(relative: string[]): OutDir {
    let node = this.top;
    for (const name of relative) {
      const child = this.child(node, name);
      const failed = this.made.get(child.path);
      if (failed) throw failed;
      if (failed === undefined) {
        try {
          child.created = ensureDir(child.path) === 'created';
          this.made.set(child.path, null);
        } catch (error) {
          const grt = ioError(error, 'mkdir', child.path);
          this.made.set(child.path, grt);
          throw grt;
        }
      }
      node = child;
    }
    return node;
  }

  /**
   * The output path of a file in `dir`: `key` identifies it (the image name, or a sidecar key that
   * no image name can equal), `name` is the name wanted on disk, made safe and unique.
   */
  file(dir: OutDir, key: string, name = key): string {
    const known = dir.children.get(key);
    if (known instanceof OutDir) throw new GrtError('IS_A_DIRECTORY', 'a restored directory has this name', { path: known.path });
    const path = known ?? join(dir.path, dir.names.allocate(name));
    dir.children.set(key, path);
    return path;
  }
}

/** Key of a sidecar file for stream `stream` of `name`: contains '/', which no image name does. */
export function sidecarKey(name: string, stream: string): string {
  return `/ads/${name}:${stream}`;
}

/** The on-disk name wanted for that sidecar (made safe and unique by the allocator). */
export function sidecarName(name: string, stream: string): string {
  return `${name}.${stream}.ads`;
}
