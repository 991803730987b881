/**
 * A throwaway PostgreSQL cluster for the index tests: initdb into a temporary folder as an
 * unprivileged user (the server refuses to run as root), pg_ctl start on a free local port, and
 * stop + delete afterwards. Undefined (the tests skip with a message) when PostgreSQL is absent.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** URL of a new, empty database on the cluster. */
  newDatabase(): Promise<string>;
  stop(): void;
}

/** The folder with initdb and pg_ctl, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  const candidates = ['/usr/local/bin', '/usr/bin'];
  const lib = '/usr/lib/postgresql';
  if (existsSync(lib)) for (const v of readdirSync(lib).sort().reverse()) candidates.unshift(join(lib, v, 'bin'));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PgServer | string> {
  const bin = postgresBinDir();
  if (!bin) return 'PostgreSQL (initdb, pg_ctl) is not installed';
  const dir = mkdtempSync(join(tmpdir(), 'grt-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'nobody', '--', join(bin, cmd), ...args], { stdio: 'pipe' }) : execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'nobody']).toString());
    const gid = Number(execFileSync('id', ['-g', 'nobody']).toString());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-U', 'grt', '--auth=trust', '-E', 'UTF8', '--no-locale']);
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', 'start']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return `PostgreSQL did not start: ${String((error as { stderr?: Buffer }).stderr ?? error).split('\n')[0]}`;
  }
  let next = 0;
  return {
    async newDatabase() {
      const name = `t${process.pid}_${next++}`;
      const client = new pg.Client({ connectionString: `postgres://grt@127.0.0.1:${port}/postgres` });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      return `postgres://grt@127.0.0.1:${port}/${name}`;
    },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
