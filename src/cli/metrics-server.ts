/**
 * A `/metrics` endpoint for a long-running command (`certfleet agent --metrics-listen`): each scrape
 * renders what the command knows now; nothing else is served. Loopback unless an address is given:
 * the figures name the host's certificates, which is not for every network to read.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `9464`, `127.0.0.1:9464`, `[::1]:9464` or `0.0.0.0:9464`. */
export function parseListenAddress(flag: string, value: string): ListenAddress {
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${flag} takes PORT or HOST:PORT (such as 9464 or 127.0.0.1:9464), not "${value}"`);
  const host = m[1] === undefined ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

export interface MetricsServer {
  /** Where it listens (the port chosen when 0 was asked). */
  address: ListenAddress;
  close(): Promise<void>;
}

/** Serves `render()` at /metrics (text format 0.0.4); resolves once listening, rejects when the address cannot be bound. */
export async function serveMetrics(at: ListenAddress, render: () => string): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('certfleet serves /metrics only\n');
      return;
    }
    const body = render();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UsageError(`--metrics-listen ${at.host}:${at.port}: cannot listen (${err.code ?? err.message})`, 'choose a free port, or an address this host has')),
    );
    server.listen(at.port, at.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
