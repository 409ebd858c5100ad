/**
 * The plain-text dialogues that come before TLS on STARTTLS protocols. Each one runs on an
 * already-connected socket and leaves it ready for a ClientHello, or throws StartTlsError with a
 * message a person can act on ("STARTTLS refused by the server: 454 TLS not available").
 *
 * Replies are read through one Conversation per socket: it reassembles data split over packets,
 * bounds the whole dialogue by one deadline, caps what it buffers, and turns a close or reset
 * into an error naming what we were waiting for. It never leaves listeners behind.
 */
import type { Socket } from 'node:net';
import type { StartTlsProtocol } from '../model.js';
import { children, readTlv } from '../../x509/der.js';

export class StartTlsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartTlsError';
  }
}

export interface StartTlsOptions {
  /** The whole dialogue (greeting to "go ahead") must finish within this. */
  timeoutMs: number;
  /** The name the client asks for: the XMPP `to` domain. */
  serverName: string;
}

/**
 * Run `protocol`'s STARTTLS dialogue on a connected socket. On success the socket is paused,
 * none of our listeners remain, and the next bytes on the wire belong to the TLS handshake.
 */
export async function negotiateStartTls(socket: Socket, protocol: StartTlsProtocol, options: StartTlsOptions): Promise<void> {
  const talk = new Conversation(socket, protocol, options.timeoutMs);
  try {
    await dialogues[protocol](talk, socket, options);
    talk.expectNothingMore();
  } finally {
    talk.close();
  }
}

/** Formats a duration the way people write it: 5s, 1.5s, 250ms. */
export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(2))}s` : `${ms}ms`;
}

// ---------------------------------------------------------------------------------------------
// Reading replies

/** A parser looks at everything buffered so far: a value and the bytes it used, or undefined for "need more". */
type ReplyParser<T> = (buffered: Buffer) => { value: T; used: number } | undefined;

/**
 * More than any honest greeting, EHLO reply or XMPP feature list (well under 4 KiB in practice).
 * Parsers re-read the buffer on each packet, so this also bounds the work a server dribbling
 * one byte at a time can cause (16 KiB in 1-byte packets: ~130 M byte reads in all).
 */
const MAX_BUFFERED = 16 * 1024;

class Conversation {
  private buffered: Buffer = Buffer.alloc(0);
  private failure: StartTlsError | undefined;
  private waiting: { what: string; parse: ReplyParser<unknown>; resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined;
  private step = 'the greeting';
  private readonly timer: NodeJS.Timeout;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.tryParse();
  };
  private readonly onError = (err: NodeJS.ErrnoException): void => {
    const reason = err.code === 'ECONNRESET' ? 'the server reset the connection' : `connection error: ${err.message}`;
    this.fail(`${reason} (${err.code ?? 'error'}) while waiting for ${this.step}`);
  };
  private readonly onEnd = (): void => this.fail(`the server closed the connection while waiting for ${this.step}`);

  constructor(
    private readonly socket: Socket,
    private readonly protocol: StartTlsProtocol,
    timeoutMs: number,
  ) {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    this.timer = setTimeout(() => {
      const hint = this.step === 'the greeting' ? ' (if this port speaks TLS from the first byte, leave starttls out)' : '';
      this.fail(`STARTTLS (${this.protocol}) timed out after ${formatDuration(timeoutMs)} waiting for ${this.step}${hint}`);
    }, timeoutMs);
  }

  send(data: string | Uint8Array): void {
    if (!this.failure) this.socket.write(data);
  }

  /** Wait until `parse` finds a complete reply in what the server sent; `what` names it in errors. */
  expect<T>(what: string, parse: ReplyParser<T>): Promise<T> {
    this.step = what;
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.waiting = { what, parse, resolve: resolve as (v: unknown) => void, reject };
      this.tryParse();
    });
  }

  /**
   * After the server said "go ahead" nothing else may arrive before our ClientHello: bytes here
   * were injected or mean a confused server, and they would be silently lost in the handshake.
   */
  expectNothingMore(): void {
    if (this.buffered.length > 0) {
      throw new StartTlsError(`the server sent unexpected data after agreeing to STARTTLS: '${printable(this.buffered)}'`);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    // Hold any further bytes in the kernel until TLS takes the socket over.
    this.socket.pause();
  }

  private tryParse(): void {
    const waiting = this.waiting;
    if (!waiting) {
      if (this.buffered.length > MAX_BUFFERED) this.fail(`the server sent more than 16 KiB unasked`);
      return;
    }
    let parsed: { value: unknown; used: number } | undefined;
    try {
      parsed = waiting.parse(this.buffered);
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    if (parsed === undefined) {
      if (this.buffered.length > MAX_BUFFERED) this.fail(`the server sent more than 16 KiB without completing ${waiting.what}`);
      return;
    }
    this.buffered = this.buffered.subarray(parsed.used);
    this.waiting = undefined;
    waiting.resolve(parsed.value);
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = new StartTlsError(message);
    clearTimeout(this.timer);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.failure);
  }
}

/** Complete lines (LF or CRLF) at the start of `buf`, up to and including the first for which `isLast` holds. */
function linesUntil(isLast: (line: string, index: number, lines: string[]) => boolean): ReplyParser<string[]> {
  return (buf) => {
    const lines: string[] = [];
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(10, from);
      if (nl < 0) return undefined;
      // latin1: one byte, one character, so a reply split inside a UTF-8 sequence still decodes.
      const line = buf.toString('latin1', from, nl).replace(/\r$/, '');
      from = nl + 1;
      lines.push(line);
      if (isLast(line, lines.length - 1, lines)) return { value: lines, used: from };
    }
  };
}

/** A short, safe rendering of what the server said, for messages. */
function printable(data: Buffer | string, max = 120): string {
  const text = (typeof data === 'string' ? data : data.toString('latin1', 0, Math.min(data.length, max + 1))).replace(/[\r\n]+$/, '');
  const clean = text.replace(/[^\x20-\x7e]/g, (c) => (c === '\n' ? ' | ' : c === '\r' ? '' : '?')).trim();
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

// ---------------------------------------------------------------------------------------------
// SMTP (RFC 3207) and FTP (RFC 4217): numbered replies, "123-" continues, "123 " ends.

interface NumberedReply {
  code: number;
  lines: string[];
  /** The whole reply on one line, safe to put in a message. */
  text: string;
}

/**
 * SMTP: every line of a reply carries the code ("250-..." then "250 ..."). FTP: the first line
 * does, middle lines may be anything, and the last starts with the same code and a space.
 */
function numberedReply(service: 'SMTP' | 'FTP'): ReplyParser<NumberedReply> {
  const parseLines = linesUntil((line, index, lines) => {
    const first = /^(\d{3})([ -]|$)/.exec(lines[0]!);
    if (!first) throw new StartTlsError(`not an ${service} server: it answered '${printable(line)}'`);
    if (index === 0) return first[2] !== '-';
    if (service === 'SMTP' && !/^\d{3}[ -]?/.test(line)) throw new StartTlsError(`not an SMTP server: it answered '${printable(line)}'`);
    return line === first[1] || line.startsWith(`${first[1]} `);
  });
  return (buf) => {
    const parsed = parseLines(buf);
    if (!parsed) return undefined;
    const lines = parsed.value;
    return { value: { code: Number(lines[0]!.slice(0, 3)), lines, text: printable(lines.join('\n')) }, used: parsed.used };
  };
}

async function smtp(talk: Conversation, socket: Socket): Promise<void> {
  const greeting = await talk.expect('the greeting', numberedReply('SMTP'));
  if (greeting.code !== 220) throw new StartTlsError(`the SMTP server refused the session: ${greeting.text}`);
  // RFC 5321 4.1.4: EHLO takes our name or an address literal; the literal is always well formed.
  talk.send(`EHLO ${addressLiteral(socket.localAddress)}\r\n`);
  const ehlo = await talk.expect('the reply to EHLO', numberedReply('SMTP'));
  if (ehlo.code !== 250) throw new StartTlsError(`EHLO refused by the SMTP server: ${ehlo.text}`);
  const offered = ehlo.lines.some((line) => /^250[ -]STARTTLS\b/i.test(line));
  if (!offered) throw new StartTlsError('STARTTLS not offered by the SMTP server (its EHLO reply does not list it)');
  talk.send('STARTTLS\r\n');
  const reply = await talk.expect('the reply to STARTTLS', numberedReply('SMTP'));
  if (reply.code !== 220) throw new StartTlsError(`STARTTLS refused by the server: ${reply.text}`);
}

async function ftp(talk: Conversation): Promise<void> {
  const greeting = await talk.expect('the greeting', numberedReply('FTP'));
  if (greeting.code !== 220) throw new StartTlsError(`the FTP server refused the session: ${greeting.text}`);
  talk.send('AUTH TLS\r\n');
  const reply = await talk.expect('the reply to AUTH TLS', numberedReply('FTP'));
  if (reply.code !== 234) throw new StartTlsError(`STARTTLS refused by the server: ${reply.text}`);
}

function addressLiteral(address: string | undefined): string {
  if (!address) return '[127.0.0.1]';
  return address.includes(':') ? `[IPv6:${address}]` : `[${address}]`;
}

// ---------------------------------------------------------------------------------------------
// IMAP (RFC 3501 6.2.1) and POP3 (RFC 2595 4)

async function imap(talk: Conversation): Promise<void> {
  const [greeting = ''] = await talk.expect('the greeting', linesUntil(() => true));
  if (/^\* BYE\b/i.test(greeting)) throw new StartTlsError(`the IMAP server refused the session: ${printable(greeting)}`);
  if (!/^\* (OK|PREAUTH)\b/i.test(greeting)) throw new StartTlsError(`not an IMAP server: it answered '${printable(greeting)}'`);
  talk.send('a1 STARTTLS\r\n');
  // Untagged lines ("* CAPABILITY ...") may come first; the tagged one ends the reply.
  const lines = await talk.expect('the reply to STARTTLS', linesUntil((line) => /^a1 /i.test(line)));
  const tagged = lines[lines.length - 1]!;
  if (!/^a1 OK\b/i.test(tagged)) throw new StartTlsError(`STARTTLS refused by the server: ${printable(tagged)}`);
}

async function pop3(talk: Conversation): Promise<void> {
  const [greeting = ''] = await talk.expect('the greeting', linesUntil(() => true));
  if (/^-ERR\b/i.test(greeting)) throw new StartTlsError(`the POP3 server refused the session: ${printable(greeting)}`);
  if (!/^\+OK\b/i.test(greeting)) throw new StartTlsError(`not a POP3 server: it answered '${printable(greeting)}'`);
  talk.send('STLS\r\n');
  const [reply = ''] = await talk.expect('the reply to STLS', linesUntil(() => true));
  if (!/^\+OK\b/i.test(reply)) throw new StartTlsError(`STARTTLS refused by the server: ${printable(reply)}`);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: SSLRequest (length 8, code 80877103), answered by one byte.

const POSTGRES_SSL_REQUEST = Uint8Array.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f);

async function postgres(talk: Conversation): Promise<void> {
  talk.send(POSTGRES_SSL_REQUEST);
  const answer = await talk.expect('the answer to SSLRequest', (buf) => (buf.length >= 1 ? { value: buf[0]!, used: 1 } : undefined));
  if (answer === 0x53 /* S */) return;
  if (answer === 0x4e /* N */) throw new StartTlsError("STARTTLS refused by the server: PostgreSQL answered 'N' (SSL is not enabled)");
  if (answer === 0x45 /* E */) throw new StartTlsError('STARTTLS refused by the server: PostgreSQL answered the SSLRequest with an error');
  throw new StartTlsError(`not a PostgreSQL server: it answered the SSLRequest with byte 0x${answer.toString(16).padStart(2, '0')}`);
}

// ---------------------------------------------------------------------------------------------
// LDAP (RFC 4511 4.14): ExtendedRequest 1.3.6.1.4.1.1466.20037, answered by an ExtendedResponse.

const LDAP_STARTTLS_OID = '1.3.6.1.4.1.1466.20037';

function ldapStartTlsRequest(): Uint8Array {
  const oid = Buffer.from(LDAP_STARTTLS_OID, 'latin1');
  // [0] requestName, inside [APPLICATION 23] ExtendedRequest, inside LDAPMessage with messageID 1.
  const request = Buffer.concat([Buffer.of(0x77, oid.length + 2, 0x80, oid.length), oid]);
  return Buffer.concat([Buffer.of(0x30, request.length + 3, 0x02, 0x01, 0x01), request]);
}

const ldapResultNames: Record<number, string> = {
  1: 'operationsError',
  2: 'protocolError',
  12: 'unavailableCriticalExtension',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
  80: 'other',
};

/** Bytes needed for the BER element at the start of buf, or undefined until its header is complete. */
function berElementLength(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== 0x30) throw new StartTlsError(`not an LDAP server: it answered '${printable(buf)}'`);
  const first = buf[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4) throw new StartTlsError('not an LDAP server: its answer has an invalid BER length');
  if (buf.length < 2 + n) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[2 + i]!;
  return 2 + n + len;
}

async function ldap(talk: Conversation): Promise<void> {
  talk.send(ldapStartTlsRequest());
  const message = await talk.expect('the reply to the StartTLS extended request', (buf) => {
    const length = berElementLength(buf);
    if (length === undefined || buf.length < length) return undefined;
    return { value: buf.subarray(0, length), used: length };
  });
  let resultCode: number;
  let diagnostic = '';
  try {
    const [id, op] = children(message, readTlv(message, 0));
    if (!id || !op || op.tag !== 0x78) throw new Error('not an ExtendedResponse');
    const [code, , diag] = children(message, op);
    if (!code || code.tag !== 0x0a || code.end - code.start !== 1) throw new Error('no resultCode');
    resultCode = message[code.start]!;
    if (diag && diag.tag === 0x04) diagnostic = printable(message.subarray(diag.start, diag.end));
  } catch {
    throw new StartTlsError(`not an LDAP server: it answered '${printable(message)}'`);
  }
  if (resultCode !== 0) {
    const name = ldapResultNames[resultCode] ?? 'error';
    throw new StartTlsError(`STARTTLS refused by the server: LDAP result ${resultCode} (${name})${diagnostic ? ` ${diagnostic}` : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// XMPP client-to-server (RFC 6120 5.4): stream header, <stream:features> listing <starttls/>,
// then <starttls/> answered by <proceed/> or <failure/>. Matched as text: enough for a scanner,
// and it keeps an XML parser off a path that reads untrusted bytes.

function upTo(pattern: RegExp): ReplyParser<string> {
  return (buf) => {
    const text = buf.toString('latin1');
    const streamError = /<(?:stream:)?error[\s>][\s\S]*?<\/(?:stream:)?error>/.exec(text);
    if (streamError) throw new StartTlsError(`the XMPP server ended the stream: ${printable(streamError[0].replace(/<[^>]*>/g, ' '))}`);
    const found = pattern.exec(text);
    if (!found) {
      if (text.length > 0 && !text.trimStart().startsWith('<')) throw new StartTlsError(`not an XMPP server: it answered '${printable(text)}'`);
      return undefined;
    }
    const used = Buffer.byteLength(text.slice(0, found.index + found[0].length), 'latin1');
    return { value: text.slice(0, used), used };
  };
}

function xmlAttribute(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function xmpp(talk: Conversation, _socket: Socket, options: StartTlsOptions): Promise<void> {
  talk.send(
    `<?xml version='1.0'?><stream:stream to='${xmlAttribute(options.serverName)}' version='1.0' ` +
      `xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
  );
  const features = await talk.expect(
    'the stream features',
    upTo(/<(?:stream:)?features\b[^>]*\/>|<\/(?:stream:)?features>/),
  );
  if (!/<starttls\b/.test(features)) throw new StartTlsError('STARTTLS not offered by the XMPP server (its stream features do not list it)');
  talk.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  const answer = await talk.expect('the reply to <starttls/>', upTo(/<(proceed|failure)\b[^>]*?(?:\/>|>[\s\S]*?<\/\1>)/));
  if (!/<proceed\b/.test(answer)) throw new StartTlsError('STARTTLS refused by the server: the XMPP server answered <failure/>');
}

const dialogues: Record<StartTlsProtocol, (talk: Conversation, socket: Socket, options: StartTlsOptions) => Promise<void>> = {
  smtp,
  imap,
  pop3,
  ftp,
  postgres,
  ldap,
  xmpp,
};
