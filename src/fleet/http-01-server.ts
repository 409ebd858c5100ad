/**
 * The long-running agent's http-01 listener (`certfleet agent --http-01-listen`): answers
 * GET /.well-known/acme-challenge/<token> from the shared store (agent-answers.ts), so a CA
 * validating a name that points at this host finds what any runner ordered. In production it sits
 * behind the host's web server (its /.well-known/acme-challenge/ location proxied here) or binds
 * port 80 itself. Small limits throughout: validators send a handful of short GETs.
 */
import { createServer, type Server } from 'node:http';
import { answerChallenge } from '../challenges/http-01/agent-answers.js';
import { describeError } from '../errors.js';
import { listenServer, type ListenAddress, type ListeningServer } from '../process/listen-server.js';
import type { Logger } from '../logger.js';
import type { ChallengeTokens } from '../store/ports.js';

/** Request headers beyond this are refused by Node with 431 (a validator sends a few hundred bytes). */
const MAX_HEADER_BYTES = 8 * 1024;
/** A slow client gets this long for its headers, and for its whole request. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;

export type Http01Address = ListenAddress;
export type Http01Server = ListeningServer;

/** Listens on `at`; resolves once listening, rejects with a UsageError when the address cannot be bound. */
export async function serveHttp01Answers(at: Http01Address, tokens: Pick<ChallengeTokens, 'get'>, logger: Logger): Promise<Http01Server> {
  const server: Server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    // A body is never wanted: drop it rather than buffer it.
    req.resume();
    answerChallenge({ method: req.method, url: req.url }, (token) => tokens.get(token)).then(
      (answer) => {
        if (answer.status === 503) logger.warn(`http-01: ${answer.note}`);
        else logger.debug(`http-01: ${answer.status} ${answer.note}`);
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
        res.end(req.method === 'HEAD' ? undefined : answer.body);
      },
      (err: unknown) => {
        logger.error(`http-01: answering failed: ${describeError(err)}`);
        res.writeHead(500).end();
      },
    );
  });
  // Validators make a few short requests; idle keep-alive sockets must not hold close() up.
  server.keepAliveTimeout = 2_000;
  return listenServer(server, at, '--http-01-listen', logger);
}
