#!/usr/bin/env node
/**
 * grt-index: the estate index — every backup's catalog in one database (SQLite file by default,
 * PostgreSQL with a postgres:// URL), searched, versioned and diffed without opening catalogs.
 */
import { GrtError } from '../errors.js';
import { DEFAULT_INDEX_FILE, openIndex, type GrtIndex } from '../index/index.js';
import { EXIT_NOT_STARTED, EXIT_OK, formatBytes, isMain, jsonLine, LineWriter, runAsScript, runParsed, type CliIo } from './output.js';

const NAME = 'grt-index';
const USAGE = `usage: grt-index COMMAND [options] [--db FILE|URL] [--json]
commands:
  add CATALOG [--backup ID] [--vm NAME] [--time ISO] [--image LOCATION] [--deleted]
                     register a backup (default time: the catalog file's; default id: from
                     the catalog's binding and time); the same id and catalog again is a no-op
  list [--vm NAME]   backups, newest first, with VM, time, volumes, files and bytes
  find GLOB|--name NAME [--vm NAME] [--since ISO] [--until ISO] [--min-size N] [--max-size N]
       [--modified-after ISO] [--owner SID|UID]
                                   files matching across backups, newest backup first
  versions PATH [--vm NAME]        each distinct version of one path with the backups holding it
  diff BACKUP_A BACKUP_B           files added, removed and changed (NDJSON rows with --json)
  remove BACKUP                    forget a backup (retention)
  stats                            rows, bytes and per-VM counts
options:
  --db FILE|URL      the index: a SQLite file, or postgres://user@host/db (default $GRT_INDEX,
                     else ${DEFAULT_INDEX_FILE})
  --json             one JSON object a line
exit: 0 ok, 2 nothing could be done`;

const OPTIONS = {
  db: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  backup: { type: 'string' },
  vm: { type: 'string' },
  time: { type: 'string' },
  image: { type: 'string' },
  deleted: { type: 'boolean' },
  name: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'min-size': { type: 'string' },
  'max-size': { type: 'string' },
  'modified-after': { type: 'string' },
  owner: { type: 'string' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function dateOf(text: string | undefined, name: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new GrtError('USAGE', `${name} takes an ISO 8601 time, not ${JSON.stringify(text)}`);
  return date;
}

function sizeOf(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw new GrtError('USAGE', `${name} takes a size in bytes, not ${JSON.stringify(text)}`);
  return Number(text);
}

function positionals(args: string[], count: number, usage: string): string[] {
  if (args.length !== count) throw new GrtError('USAGE', `usage: grt-index ${usage}`);
  return args;
}

/** A name given with --name as a glob matching only itself. */
const literalGlob = (name: string): string => name.replace(/[\\*?[\]]/g, (c) => `\\${c}`);

async function run(index: GrtIndex, command: string, args: string[], values: Values, out: LineWriter): Promise<void> {
  const json = values.json === true;
  const emit = (row: object, text: string) => out.line(json ? jsonLine(row) : `${text}\n`);
  if (command === 'add') {
    const [catalog] = positionals(args, 1, 'add CATALOG [options]');
    const time = dateOf(values.time, '--time');
    const result = await index.add(catalog!, {
      ...(values.backup !== undefined ? { backup: values.backup } : {}), ...(values.vm !== undefined ? { vm: values.vm } : {}),
      ...(time ? { time } : {}), ...(values.image !== undefined ? { image: values.image } : {}), deleted: values.deleted === true,
    });
    await emit(result, result.added ? `added backup ${result.backup} of ${result.vm}: ${result.files} files` : `backup ${result.backup} is already in the index`);
  } else if (command === 'list') {
    positionals(args, 0, 'list [--vm NAME]');
    for (const b of await index.list(values.vm)) {
      await emit(b, `${b.backup}  ${b.vm}  ${b.time}  volumes ${b.volumes.map((v) => v.index).join(',')}  ${b.files} files  ${formatBytes(b.bytes)}`);
    }
  } else if (command === 'find') {
    const glob = values.name !== undefined ? literalGlob(values.name) : positionals(args, 1, 'find GLOB|--name NAME [options]')[0]!;
    const since = dateOf(values.since, '--since');
    const until = dateOf(values.until, '--until');
    const modifiedAfter = dateOf(values['modified-after'], '--modified-after');
    const minSize = sizeOf(values['min-size'], '--min-size');
    const maxSize = sizeOf(values['max-size'], '--max-size');
    const rows = index.find(glob, {
      ...(values.vm !== undefined ? { vm: values.vm } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}),
      ...(modifiedAfter ? { modifiedAfter } : {}), ...(minSize !== undefined ? { minSize } : {}), ...(maxSize !== undefined ? { maxSize } : {}),
      ...(values.owner !== undefined ? { owner: values.owner } : {}),
    });
    for await (const r of rows) await emit(r, `${r.time}  ${r.backup}  ${r.vm}  ${r.volume}:${r.path}  ${r.size}  ${r.mtime}${r.owner !== undefined ? `  ${r.owner}` : ''}${r.deleted ? '  (deleted)' : ''}`);
  } else if (command === 'versions') {
    const [path] = positionals(args, 1, 'versions PATH [--vm NAME]');
    for (const v of await index.versions(path!, values.vm)) await emit(v, `${v.size}  ${v.mtime}${v.owner !== undefined ? `  ${v.owner}` : ''}  ${v.vm}  ${v.volume}:${v.path}  in ${v.backups.join(', ')}`);
  } else if (command === 'diff') {
    const [a, b] = positionals(args, 2, 'diff BACKUP_A BACKUP_B');
    const counts = { added: 0, removed: 0, changed: 0 };
    for await (const d of index.diff(a!, b!)) {
      counts[d.change]++;
      await emit(d, `${d.change === 'added' ? '+' : d.change === 'removed' ? '-' : '~'} ${d.volume}:${d.path}`);
    }
    await emit(counts, `${counts.added} added, ${counts.removed} removed, ${counts.changed} changed`);
  } else if (command === 'remove') {
    const [backup] = positionals(args, 1, 'remove BACKUP');
    await index.remove(backup!);
    await emit({ removed: backup }, `removed backup ${backup}`);
  } else if (command === 'stats') {
    positionals(args, 0, 'stats');
    const s = await index.stats();
    if (json) await out.line(jsonLine(s));
    else {
      await out.line(`${s.backups} backups, ${s.rows.versions} file versions, ${s.rows.folders} folders, ${s.rows.owners} owners, ${formatBytes(s.bytes)}\n`);
      for (const vm of s.vms) await out.line(`  ${vm.vm}: ${vm.backups} backups, ${vm.versions} versions\n`);
    }
  } else throw new GrtError('USAGE', `unknown command ${JSON.stringify(command)}; see grt-index --help`);
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  return runParsed(NAME, USAGE, OPTIONS, argv, io, async ({ values, positionals: args }) => {
    const [command, ...rest] = args;
    if (command === undefined) {
      io.stderr.write(`${USAGE}\n`);
      return EXIT_NOT_STARTED;
    }
    const env = io.env ?? process.env;
    const index = await openIndex(values.db ?? env.GRT_INDEX ?? DEFAULT_INDEX_FILE);
    const out = new LineWriter(io.stdout);
    try {
      await run(index, command, rest, values as Values, out);
    } finally {
      await out.flush();
      await index.close();
    }
    return EXIT_OK;
  });
}

if (isMain(import.meta.url)) runAsScript(main);
