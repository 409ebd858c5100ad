/**
 * A real nginx on loopback for tests, run in the foreground as our child (stopped by PID, never by
 * name), with its prefix, pid and logs in a temp directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { tempDir } from './pki.js';
import { freeTcpPort } from './ports.js';

export { freeTcpPort };

export interface RunningNginx {
  /** The first port waited for. */
  port: number;
  prefix: string;
  conf: string;
  /** argv that makes this nginx reload its config (a deploy command). */
  reloadCommand: string[];
  errorLog(): string;
  stop(): Promise<void>;
}

export function findNginx(): string {
  const candidates = ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nginx'))];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error('nginx not installed: run npm test, which installs it');
  return found;
}


function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Start nginx with these `server { }` blocks inside `http { }`; resolves once every port listens on `address` (a host of a simulated fleet: 127.0.0.x). */
export async function startNginxWith(servers: string, ports: number[], address = '127.0.0.1'): Promise<RunningNginx> {
  const nginx = findNginx();
  const prefix = tempDir('certfleet-nginx-');
  mkdirSync(join(prefix, 'tmp'));
  const conf = join(prefix, 'nginx.conf');
  const errorLog = join(prefix, 'error.log');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(prefix, 'tmp', t)};`).join('\n    ');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 64; }
http {
    access_log off;
    ${temp}
${servers}
}
`,
  );
  const base = ['-p', `${prefix}/`, '-e', errorLog, '-c', conf];
  const child: ChildProcess = spawn(nginx, base, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const readLog = () => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '');
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await canConnect(port, address))) {
      if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}${readLog()}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${address}:${port}: ${stderr}${readLog()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port: ports[0]!,
    prefix,
    conf,
    reloadCommand: [nginx, ...base, '-s', 'reload'],
    errorLog: readLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** Serve `webroot` (which nginx's worker user must be able to read) on 127.0.0.1. */
export async function startNginx(webroot: string): Promise<RunningNginx> {
  const port = await freeTcpPort();
  return startNginxWith(
    `    server {
        listen 127.0.0.1:${port};
        root ${webroot};
        location /.well-known/acme-challenge/ { default_type text/plain; }
    }`,
    [port],
  );
}
