/**
 * One way a long-running command's HTTP listener (the agent's /metrics, its http-01 answers)
 * starts and stops: bound before the command goes on (an address that cannot be bound is the
 * user's error, naming the flag), a later error on a listening server only logged (it concerns one
 * connection at most), and close() never held up by idle keep-alive sockets.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ListeningServer {
  /** Where it listens (the port chosen when 0 was asked). */
  address: ListenAddress;
  close(): Promise<void>;
}

export async function listenServer(server: Server, at: ListenAddress, flag: string, logger: Pick<Logger, 'warn'> | undefined): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new UsageError(
          `${flag} ${at.host}:${at.port}: cannot listen (${err.code ?? err.message})`,
          err.code === 'EACCES' && at.port < 1024 ? `port ${at.port} needs root or CAP_NET_BIND_SERVICE; or listen on a high port behind the web server` : 'choose a free port, or an address this host has',
        ),
      );
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger?.warn(`${flag} listener: ${err.message}`));
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
