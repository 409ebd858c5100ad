/**
 * A `/metrics` endpoint for a long-running command (`certfleet agent --metrics-listen`): each scrape
 * renders what the command knows now; nothing else is served. Loopback unless an address is given:
 * the figures name the host's certificates, which is not for every network to read.
 */
import { createServer, type Server } from 'node:http';
import { UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { listenServer, type ListenAddress, type ListeningServer } from '../process/listen-server.js';

export type { ListenAddress };

/** `9464`, `127.0.0.1:9464`, `[::1]:9464` or `0.0.0.0:9464`. */
export function parseListenAddress(flag: string, value: string): ListenAddress {
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${flag} takes PORT or HOST:PORT (such as 9464 or 127.0.0.1:9464), not "${value}"`);
  const host = m[1] === undefined ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

export type MetricsServer = ListeningServer;

/** Serves `render()` at /metrics (text format 0.0.4); resolves once listening, rejects when the address cannot be bound. */
export async function serveMetrics(at: ListenAddress, render: () => string, logger?: Pick<Logger, 'warn'>): Promise<MetricsServer> {
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
  return listenServer(server, at, '--metrics-listen', logger);
}
