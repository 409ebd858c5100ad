/**
 * The long-running agent's tls-alpn-01 listener (`certfleet agent --tls-alpn-01-listen`): a CA
 * validating a name that points at this host connects with ALPN acme-tls/1 and the name in SNI,
 * and gets the challenge certificate for the key authorization any runner put in the shared store
 * (challenges/tls-alpn-01/agent-answers.ts). In production the host's port 443 routes handshakes
 * that offer acme-tls/1 here (nginx `ssl_preread`, HAProxy `req.ssl_alpn`), or the agent binds it.
 * A client that does not offer acme-tls/1 is refused in the handshake without a store lookup or a
 * certificate; so is an unknown name, and every handshake when the store is unreachable.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { TlsAlpnAnswers, type TlsAlpnAnswerLimits } from '../challenges/tls-alpn-01/agent-answers.js';
import { createAcmeTlsServer } from '../challenges/tls-alpn-01/acme-tls-server.js';
import { listenServer, type ListenAddress, type ListeningServer } from '../process/listen-server.js';
import type { Logger } from '../logger.js';
import type { ChallengeTokens } from '../store/ports.js';
import { createTlsAlpnCertificate } from '../x509/tls-alpn-certificate.js';

/** A validator completes its handshake in well under a second; a silent client is dropped after this. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Validators open a few connections at a time; a scanner holding sockets open gets no more than this. */
const MAX_CONNECTIONS = 256;
/** Refusals a person must hear of (validations turned away by the limits) are warned of at most this often. */
const WARN_EVERY_MS = 60_000;

export type TlsAlpn01Address = ListenAddress;
export type TlsAlpn01Server = ListeningServer;

export interface TlsAlpn01ServerOptions {
  /** Tests: other limits, or certificates made another way. */
  limits?: Partial<TlsAlpnAnswerLimits>;
  makeContext?: (name: string, keyAuthorization: string) => Promise<SecureContext>;
  now?: () => number;
  handshakeTimeoutMs?: number;
}

async function challengeContext(name: string, keyAuthorization: string): Promise<SecureContext> {
  const { certPem, keyPem } = await createTlsAlpnCertificate(name, keyAuthorization);
  return createSecureContext({ cert: certPem, key: keyPem, minVersion: 'TLSv1.2' });
}

/** Listens on `at`; resolves once listening, rejects with a UsageError when the address cannot be bound. */
export async function serveTlsAlpn01Answers(
  at: TlsAlpn01Address,
  tokens: Pick<ChallengeTokens, 'forIdentifier'>,
  logger: Logger,
  options: TlsAlpn01ServerOptions = {},
): Promise<TlsAlpn01Server> {
  const now = options.now ?? Date.now;
  const answers = new TlsAlpnAnswers<SecureContext>({
    lookup: (name) => tokens.forIdentifier(name, 'tls-alpn-01'),
    makeContext: options.makeContext ?? challengeContext,
    now,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  let warnedAt = -Infinity;
  const server = createAcmeTlsServer({
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
    answer(servername, callback) {
      answers.answer(servername).then(
        (answer) => {
          if (answer.ok) {
            logger.debug(`tls-alpn-01: answered for ${answer.name}${answer.made ? '' : ' (certificate reused)'}`);
            return callback(null, answer.context);
          }
          if ((answer.reason === 'rate' || answer.reason === 'busy' || answer.reason === 'failed') && now() - warnedAt >= WARN_EVERY_MS) {
            warnedAt = now();
            logger.warn(`tls-alpn-01: refused ${answer.note} (said at most once a minute)`);
          } else logger.debug(`tls-alpn-01: refused ${answer.note}`);
          callback(new Error(`no tls-alpn-01 answer for ${answer.name}`));
        },
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });
  server.maxConnections = MAX_CONNECTIONS;
  return listenServer(server, at, '--tls-alpn-01-listen', logger);
}
