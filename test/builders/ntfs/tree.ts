/**
 * The file tree of a synthetic volume: metadata files (records 0–11), user nodes numbered from
 * record 24 in depth-first order, their names (Win32, DOS, hard links) and the checks that keep
 * the directory indexes unambiguous.
 */

import { fullTimes, NAMESPACE, type AttributeSpec } from './attributes.js';
import type { StreamLayout } from './data-layout.js';
import { DEFAULT_FILETIME, type FileSpec, type NodeSpec, type NtfsSpec } from './spec.js';
import { upcaseName } from './upcase.js';

export const FIRST_USER_RECORD = 24;
export const ROOT_RECORD = 5;
const FILE_ATTRIBUTE_HIDDEN_SYSTEM = 0x06;
const FILE_ATTRIBUTE_ARCHIVE = 0x20;
const FILE_ATTRIBUTE_SPARSE = 0x200;
const FILE_ATTRIBUTE_COMPRESSED = 0x800;

export interface Link {
  dir: Node;
  name: string;
  namespace: number;
}

export interface Node {
  spec: NodeSpec | null; // null for metadata files
  path: string;
  record: number;
  sequence: number;
  links: Link[];
  children: Node[];
  isDir: boolean;
  fileAttributes: number;
  times: ReturnType<typeof fullTimes>;
  extensionRecord?: number;
  streams: { name: string; layout: StreamLayout }[];
  /** Extra attributes of metadata files (besides SI, FILE_NAME, unnamed/named $DATA). */
  extra: AttributeSpec[];
  indexBlocks?: number;
  indexLcn?: number;
}

export interface Tree {
  root: Node;
  /** Records 0–11 by record number (the root is record 5). */
  metaNodes: Node[];
  userNodes: Node[];
  allNodes: Node[];
  /** First record number not taken by a user node or extension record. */
  nextRecord: number;
}

export function buildTree(spec: NtfsSpec): Tree {
  const meta = (record: number, name: string, isDir = false): Node => ({
    spec: null,
    path: `/${name}`,
    record,
    sequence: record === 0 ? 1 : record,
    links: [],
    children: [],
    isDir,
    fileAttributes: FILE_ATTRIBUTE_HIDDEN_SYSTEM,
    times: fullTimes(undefined, DEFAULT_FILETIME),
    streams: [],
    extra: [],
  });
  const root = meta(ROOT_RECORD, '.', true);
  root.path = '/';
  root.spec = spec.root;
  root.times = fullTimes(spec.root.times, DEFAULT_FILETIME);
  const metaNames = ['$MFT', '$MFTMirr', '$LogFile', '$Volume', '$AttrDef', '.', '$Bitmap', '$Boot', '$BadClus', '$Secure', '$UpCase', '$Extend'];
  const metaNodes = metaNames.map((name, record) => (record === ROOT_RECORD ? root : meta(record, name, record === 11)));
  for (const node of metaNodes) node.links.push({ dir: root, name: metaNames[node.record], namespace: NAMESPACE.WIN32_AND_DOS });

  const userNodes: Node[] = [];
  const byPath = new Map<string, Node>([['/', root]]);
  let nextRecord = FIRST_USER_RECORD;
  const addChildren = (dir: Node, children: NodeSpec[]) => {
    for (const child of children) {
      const isDir = child.kind === 'dir';
      const node: Node = {
        spec: child,
        path: dir.path === '/' ? `/${child.name}` : `${dir.path}/${child.name}`,
        record: nextRecord++,
        sequence: 1,
        links: [{ dir, name: child.name, namespace: NAMESPACE.WIN32 }],
        children: [],
        isDir,
        fileAttributes: isDir ? 0 : FILE_ATTRIBUTE_ARCHIVE,
        times: fullTimes(child.times, DEFAULT_FILETIME),
        streams: [],
        extra: [],
      };
      if (child.dosName) node.links.push({ dir, name: child.dosName, namespace: NAMESPACE.DOS });
      if (child.kind === 'file' && child.attributeList) node.extensionRecord = nextRecord++;
      if (child.kind === 'file' && child.compressed) node.fileAttributes |= FILE_ATTRIBUTE_COMPRESSED;
      if (child.kind === 'file' && (child.sparseRanges ?? []).length > 0 && !child.compressed) node.fileAttributes |= FILE_ATTRIBUTE_SPARSE;
      byPath.set(node.path, node);
      dir.children.push(node);
      userNodes.push(node);
      if (child.kind === 'dir') addChildren(node, child.children);
    }
  };
  addChildren(root, spec.root.children);
  for (const node of userNodes) {
    const s = node.spec as FileSpec;
    for (const link of s.hardLinks ?? []) {
      if (!link.startsWith('/')) {
        node.links.push({ dir: node.links[0].dir, name: link, namespace: NAMESPACE.WIN32 });
        continue;
      }
      const cut = link.lastIndexOf('/');
      const dir = byPath.get(cut === 0 ? '/' : link.slice(0, cut));
      if (!dir || !dir.isDir) throw new Error(`hard link ${link}: no such directory`);
      node.links.push({ dir, name: link.slice(cut + 1), namespace: NAMESPACE.WIN32 });
    }
  }
  // Names must be unique case-insensitively per directory (the index would be ambiguous).
  const allNodes = [...metaNodes, ...userNodes];
  const seen = new Set<string>();
  for (const node of allNodes) {
    for (const link of node.links) {
      if (link.name.length === 0 || link.name.length > 255) throw new Error(`bad name length: ${link.name}`);
      const key = `${link.dir.record}/${upcaseName(link.name)}`;
      if (seen.has(key)) throw new Error(`duplicate name ${link.name} in ${link.dir.path}`);
      seen.add(key);
    }
  }

  return { root, metaNodes, userNodes, allNodes, nextRecord };
}
