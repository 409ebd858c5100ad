/**
 * One way a long-running command's listener (the agent's /metrics, its http-01 and tls-alpn-01
 * answers) starts and stops: bound before the command goes on (an address that cannot be bound is
 * the user's error, naming the flag), a later error on a listening server only logged (it concerns
 * one connection at most), and close() never held up by idle keep-alive or half-open sockets.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
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

/** An HTTP server closes its own connections; a TLS server's are tracked here to be closed. */
type ClosableServer = Server & { closeAllConnections?: () => void };

export async function listenServer(server: ClosableServer, at: ListenAddress, flag: string, logger: Pick<Logger, 'warn'> | undefined): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  if (server.closeAllConnections === undefined) {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  }
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
        if (server.closeAllConnections) server.closeAllConnections();
        else for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
