/**
 * tls-alpn-01 (RFC 8737) with our own TLS listener: a client that offers the "acme-tls/1" ALPN
 * protocol and names a presented domain in SNI gets that domain's challenge certificate, and the
 * connection ends after the handshake. Anything else (no ALPN, another protocol, an unknown name)
 * is refused during the handshake, before any certificate is sent.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { createTlsAlpnCertificate } from '../../x509/tls-alpn-certificate.js';
import { leaseListener, ListenerHold } from '../listeners.js';
import { createAcmeTlsServer } from './acme-tls-server.js';
import { assertTask, taskKey } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';

export interface TlsAlpnSolverOptions {
  port: number;
  /** Undefined: every address. */
  address?: string;
}

interface TlsAnswers {
  /** domain -> challenge contexts (the newest answers; two orders may validate one name at once). */
  contexts: Map<string, Array<{ key: string; context: SecureContext }>>;
}

function createAnswerServer(answers: TlsAnswers) {
  return createAcmeTlsServer({
    handshakeTimeoutMs: 10_000,
    answer(servername, callback) {
      const presented = answers.contexts.get(servername.toLowerCase());
      const newest = presented?.[presented.length - 1];
      if (!newest) return callback(new Error(`no tls-alpn-01 challenge for ${servername}`));
      callback(null, newest.context);
    },
  });
}

export class TlsAlpnSolver implements ChallengeSolver {
  readonly type = 'tls-alpn-01' as const;
  private readonly listener: ListenerHold<TlsAnswers>;
  private readonly mine = new Map<string, string>(); // task key -> domain

  constructor(options: TlsAlpnSolverOptions) {
    this.listener = new ListenerHold(() =>
      leaseListener('tls-alpn-01', options.port, options.address, () => {
        const state: TlsAnswers = { contexts: new Map() };
        return { server: createAnswerServer(state), state };
      }),
    );
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    assertTask('tls-alpn-01', task);
    const { certPem, keyPem } = await createTlsAlpnCertificate(task.domain, task.keyAuthorization);
    context.signal.throwIfAborted();
    const answers = await this.listener.state();
    const domain = task.domain.toLowerCase();
    const key = taskKey(task);
    const list = (answers.contexts.get(domain) ?? []).filter((entry) => entry.key !== key);
    list.push({ key, context: createSecureContext({ cert: certPem, key: keyPem, minVersion: 'TLSv1.2' }) });
    answers.contexts.set(domain, list);
    this.mine.set(key, domain);
    context.logger.info('tls-alpn-01: answering on the standalone listener', { domain: task.domain });
  }

  async cleanup(task: ChallengeTask): Promise<void> {
    const key = taskKey(task);
    const domain = this.mine.get(key);
    if (domain === undefined) return;
    this.mine.delete(key);
    const answers = await this.listener.current();
    if (answers) withdraw(answers, domain, key);
  }

  async close(): Promise<void> {
    const answers = await this.listener.current();
    if (answers) for (const [key, domain] of this.mine) withdraw(answers, domain, key);
    this.mine.clear();
    await this.listener.release();
  }
}

function withdraw(answers: TlsAnswers, domain: string, key: string): void {
  const left = (answers.contexts.get(domain) ?? []).filter((entry) => entry.key !== key);
  if (left.length > 0) answers.contexts.set(domain, left);
  else answers.contexts.delete(domain);
}
