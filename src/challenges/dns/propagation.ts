/**
 * Wait until a TXT value can be read from every authoritative server, so the CA is asked to
 * validate only once its resolver can see the record. Bounded by a deadline; the error says which
 * server still lacked the value and what it answered instead.
 */
import type { Logger } from '../../logger.js';
import { ChallengeError, formatMs, sleep } from '../errors.js';
import { DnsClient } from './client.js';
import { formatServer, type DnsServer } from './transport.js';
import { txtValues } from './wire.js';

export interface PropagationOptions {
  servers: DnsServer[];
  name: string;
  value: string;
  timeoutMs: number;
  pollIntervalMs: number;
  /** Limit of one query. */
  queryTimeoutMs: number;
  signal: AbortSignal;
  logger: Logger;
  /** How the servers were found, for the timeout message ("the name servers of zone x., found through resolver y"). */
  serversFrom?: string;
  /** The fix to suggest on a timeout, when the solver knows a better one than the default. */
  hint?: string;
}

export async function waitForTxt(options: PropagationOptions): Promise<void> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const pending = new Map(options.servers.map((s) => [formatServer(s), new DnsClient(s, { timeoutMs: options.queryTimeoutMs })]));
  const lastAnswer = new Map<string, string>();
  for (;;) {
    await Promise.all(
      [...pending].map(async ([label, client]) => {
        try {
          // Near the deadline a query still gets a fair chance (up to 500 ms over), so the last
          // word is the server's answer rather than a timeout of our own making.
          const limit = Math.max(Math.min(500, options.queryTimeoutMs), deadline - Date.now());
          const { rcode, message } = await client.query(options.name, 'TXT', options.signal, limit);
          const values = txtValues(message, options.name);
          if (values.includes(options.value)) {
            pending.delete(label);
            return;
          }
          lastAnswer.set(label, rcode !== 'NOERROR' ? rcode : values.length === 0 ? 'no TXT record' : `other values only: ${values.map((v) => `"${v}"`).join(', ')}`);
        } catch (err) {
          if (options.signal.aborted) throw err;
          lastAnswer.set(label, (err as Error).message);
        }
      }),
    );
    if (pending.size === 0) {
      options.logger.debug('dns-01: TXT record visible on the authoritative servers', { name: options.name, servers: options.servers.map(formatServer), ms: Date.now() - started });
      return;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const missing = [...pending.keys()].map((label) => `${label} (${lastAnswer.get(label) ?? 'no answer'})`).join('; ');
      const from = options.serversFrom === undefined ? '' : ` (${options.serversFrom})`;
      throw new ChallengeError(`TXT ${options.name} "${options.value}" is not visible after ${formatMs(options.timeoutMs)} on ${missing}${from}`, {
        hint: options.hint ?? 'raise propagationTimeout if the name servers are slow to transfer the zone, or check they serve the zone you update',
      });
    }
    await sleep(Math.min(options.pollIntervalMs, remaining), options.signal);
  }
}
