/**
 * A real Pebble (Let's Encrypt's ACME test server, Debian package `pebble` 2.4) and its companion
 * pebble-challtestsrv (mock DNS) on 127.0.0.1 at random ports, for ACME tests.
 *
 * Everything is generated at start: a throwaway CA and a localhost/127.0.0.1 certificate for
 * Pebble's own HTTPS (the package ships none), the config JSON, a temp dir. Pebble resolves
 * challenge names through challtestsrv (every name -> 127.0.0.1, no AAAA) unless `dnsServer`
 * points it at another server (a real BIND). challtestsrv's own challenge responders are switched
 * off so they never collide with the solvers under test, which bind Pebble's httpPort/tlsPort.
 * Both processes are our children and are stopped by their PID, never by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { issue, tempDir } from './pki.js';
import { freeTcpUdpPort } from './ports.js';

const HOST = '127.0.0.1';
const PEBBLE_CANDIDATES = ['/usr/bin/pebble', '/usr/local/bin/pebble'];
const CHALLTESTSRV_CANDIDATES = ['/usr/bin/pebble-challtestsrv', '/usr/local/bin/pebble-challtestsrv'];
/** 45 days: certificates that are due for renewal on the schedules certfleet is built for. */
export const DEFAULT_VALIDITY_SECONDS = 45 * 86_400;

export interface PebbleOptions {
  /** Port Pebble connects to for http-01 (a solver listens there). Default: a free port. */
  httpPort?: number;
  /** Port Pebble connects to for tls-alpn-01. Default: a free port. */
  tlsPort?: number;
  /** "host:port" of the DNS server Pebble resolves through. Default: our own challtestsrv. */
  dnsServer?: string;
  /** Seconds each issued certificate is valid. Default 45 days. */
  certificateValidityPeriod?: number;
  /** PEBBLE_WFE_NONCEREJECT: percent of good nonces rejected as badNonce. Default: Pebble's own (5). */
  nonceRejectPercent?: number;
  /** PEBBLE_AUTHZREUSE: percent of orders that reuse a valid authorization. Default: Pebble's own (50). */
  authzReusePercent?: number;
  /** External Account Binding: kid -> base64url HMAC key. Makes EAB required when given. */
  externalAccountMACKeys?: Record<string, string>;
  /** Extra environment for the pebble process. */
  env?: Record<string, string>;
}

export interface CertStatus {
  Status: 'Valid' | 'Revoked' | string;
  Serial?: string;
  Reason?: number;
  RevokedAt?: string;
  Certificate?: string;
}

export interface RunningPebble {
  directoryUrl: string;
  /** PEM of the throwaway CA that signed Pebble's own HTTPS certificate (not the ACME roots). */
  caBundle: string;
  managementUrl: string;
  httpPort: number;
  tlsPort: number;
  /** "127.0.0.1:PORT" of challtestsrv's DNS, or the `dnsServer` given. */
  dnsServer: string;
  /** The ACME root Pebble generated at this start (changes on restart). */
  rootsPem(): Promise<string>;
  intermediatesPem(): Promise<string>;
  /** Pebble's view of a certificate it issued; undefined when it does not know the serial. */
  certStatus(serialHex: string): Promise<CertStatus | undefined>;
  setTxt(host: string, value: string): Promise<void>;
  clearTxt(host: string): Promise<void>;
  addA(host: string, addresses: string[]): Promise<void>;
  /** What pebble printed (for failure messages). */
  readonly log: string;
  /** Stop Pebble only (challtestsrv keeps running): the CA goes away mid-whatever. */
  stopCa(): Promise<void>;
  /** Start Pebble again on the same ports; it has forgotten every account, order and root. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function findBinary(candidates: string[]): string | undefined {
  return candidates.find((path) => existsSync(path));
}


interface HttpAnswer {
  status: number;
  body: string;
}

function fetchText(url: string, options: { method?: string; body?: string; ca?: string; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const doRequest = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = doRequest(
      target,
      { method: options.method ?? 'GET', ca: options.ca, agent: false, timeout: options.timeoutMs ?? 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

class ManagedProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(
    readonly name: string,
    private readonly binary: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const child = spawn(this.binary, this.args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      // Keep the tail only: Pebble logs every request.
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    // A crashed test run must not leave our children behind; this kills only the PID we spawned.
    process.once('exit', this.killOnExit);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    process.removeListener('exit', this.killOnExit);
    if (this.running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(timer);
    }
    this.child = undefined;
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, processes: ManagedProcess[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find((p) => !p.running);
    if (dead) throw new Error(`${dead.name} exited while starting:\n${dead.log}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms:\n${processes.map((p) => p.log).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function startPebble(options: PebbleOptions = {}): Promise<RunningPebble> {
  const pebbleBinary = findBinary(PEBBLE_CANDIDATES);
  const challtestsrvBinary = findBinary(CHALLTESTSRV_CANDIDATES);
  if (!pebbleBinary || (!challtestsrvBinary && !options.dnsServer)) {
    throw new Error('pebble not installed: run npm test, which installs it');
  }

  const dir = tempDir('certfleet-pebble-');
  const ca = await issue({ commonName: 'certfleet Pebble HTTPS test CA', ca: true, days: 2 });
  const serverCert = await issue({ commonName: 'localhost', sans: ['localhost', HOST], days: 2 }, ca);
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  writeFileSync(certPath, serverCert.certPem);
  writeFileSync(keyPath, serverCert.keyPem, { mode: 0o600 });

  const [listenPort, managementPort, httpPort, tlsPort, dnsPort, challtestsrvManagementPort] = await Promise.all([
    freeTcpUdpPort(),
    freeTcpUdpPort(),
    options.httpPort ?? freeTcpUdpPort(),
    options.tlsPort ?? freeTcpUdpPort(),
    freeTcpUdpPort(),
    freeTcpUdpPort(),
  ]);
  const ownDns = options.dnsServer === undefined;
  const dnsServer = options.dnsServer ?? `${HOST}:${dnsPort}`;

  const config = {
    pebble: {
      listenAddress: `${HOST}:${listenPort}`,
      managementListenAddress: `${HOST}:${managementPort}`,
      certificate: certPath,
      privateKey: keyPath,
      httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: options.externalAccountMACKeys !== undefined,
      ...(options.externalAccountMACKeys ? { externalAccountMACKeys: options.externalAccountMACKeys } : {}),
      certificateValidityPeriod: options.certificateValidityPeriod ?? DEFAULT_VALIDITY_SECONDS,
    },
  };
  const configPath = join(dir, 'pebble-config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PEBBLE_VA_NOSLEEP: '1', ...options.env };
  if (options.nonceRejectPercent !== undefined) env.PEBBLE_WFE_NONCEREJECT = String(options.nonceRejectPercent);
  if (options.authzReusePercent !== undefined) env.PEBBLE_AUTHZREUSE = String(options.authzReusePercent);

  const pebble = new ManagedProcess('pebble', pebbleBinary, ['-config', configPath, '-dnsserver', dnsServer], env);
  const challtestsrv = ownDns
    ? new ManagedProcess(
        'pebble-challtestsrv',
        challtestsrvBinary!,
        [
          '-management', `${HOST}:${challtestsrvManagementPort}`,
          '-dns01', `${HOST}:${dnsPort}`,
          '-http01', '',
          '-https01', '',
          '-tlsalpn01', '',
          '-defaultIPv4', HOST,
          '-defaultIPv6', '',
        ],
        { PATH: process.env.PATH },
      )
    : undefined;

  const directoryUrl = `https://${HOST}:${listenPort}/dir`;
  const managementUrl = `https://${HOST}:${managementPort}`;
  const challtestsrvUrl = `http://${HOST}:${challtestsrvManagementPort}`;

  const challtestsrvCall = async (path: string, body: unknown): Promise<void> => {
    if (!challtestsrv) throw new Error('this Pebble resolves through another DNS server; there is no challtestsrv to configure');
    const answer = await fetchText(`${challtestsrvUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (answer.status !== 200) throw new Error(`challtestsrv ${path}: HTTP ${answer.status} ${answer.body}`);
  };

  const startCa = async () => {
    pebble.start();
    await waitUntil('pebble', async () => (await fetchText(directoryUrl, { ca: ca.certPem, timeoutMs: 1000 })).status === 200, [pebble]);
  };

  const stopAll = async () => {
    await Promise.all([pebble.stop(), challtestsrv?.stop()]);
  };

  try {
    if (challtestsrv) {
      challtestsrv.start();
      // clear-txt on a name nobody uses: answers 200 once the management API is up.
      await waitUntil('pebble-challtestsrv', async () => {
        await challtestsrvCall('/clear-txt', { host: 'ready.certfleet.test.' });
        return true;
      }, [challtestsrv]);
    }
    await startCa();
  } catch (err) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const managementGet = async (path: string): Promise<HttpAnswer> => fetchText(`${managementUrl}${path}`, { ca: ca.certPem });
  const fqdn = (host: string) => (host.endsWith('.') ? host : `${host}.`);

  return {
    directoryUrl,
    caBundle: ca.certPem,
    managementUrl,
    httpPort,
    tlsPort,
    dnsServer,
    get log() {
      return pebble.log;
    },
    async rootsPem() {
      const answer = await managementGet('/roots/0');
      if (answer.status !== 200) throw new Error(`pebble /roots/0: HTTP ${answer.status}`);
      return answer.body;
    },
    async intermediatesPem() {
      const answer = await managementGet('/intermediates/0');
      if (answer.status !== 200) throw new Error(`pebble /intermediates/0: HTTP ${answer.status}`);
      return answer.body;
    },
    async certStatus(serialHex: string) {
      const answer = await managementGet(`/cert-status-by-serial/${serialHex.toLowerCase()}`);
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) throw new Error(`pebble cert-status-by-serial: HTTP ${answer.status} ${answer.body}`);
      return JSON.parse(answer.body) as CertStatus;
    },
    setTxt: (host, value) => challtestsrvCall('/set-txt', { host: fqdn(host), value }),
    clearTxt: (host) => challtestsrvCall('/clear-txt', { host: fqdn(host) }),
    addA: (host, addresses) => challtestsrvCall('/add-a', { host: fqdn(host), addresses }),
    stopCa: () => pebble.stop(),
    async restart() {
      await pebble.stop();
      // The same ports again: another test's free-port probe may hold one for a moment, so a bind
      // refused with "address already in use" is tried again (a few times, briefly) before it fails.
      for (let attempt = 1; ; attempt++) {
        try {
          await startCa();
          return;
        } catch (err) {
          if (attempt >= 5 || !pebble.log.includes('address already in use')) throw err;
          await pebble.stop();
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    },
    async stop() {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A tiny http-01 responder for ACME tests (the real solvers are tested on their own): serves
 * /.well-known/acme-challenge/<token> from what present() put in, on 127.0.0.1:`port` (Pebble's
 * httpPort), and counts the validation requests it answered.
 */
export interface Http01Responder {
  readonly type: 'http-01';
  present(task: { token: string; keyAuthorization: string }): Promise<void>;
  cleanup(task: { token: string }): Promise<void>;
  /** Validation requests answered with a key authorization. */
  readonly hits: number;
  close(): Promise<void>;
}

export async function startHttp01Responder(port: number): Promise<Http01Responder> {
  const answers = new Map<string, string>();
  let hits = 0;
  const server = createHttpServer((req, res) => {
    const token = /^\/\.well-known\/acme-challenge\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    const answer = token === undefined ? undefined : answers.get(token);
    if (answer === undefined) {
      res.writeHead(404).end();
      return;
    }
    hits++;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(answer);
  });
  server.keepAliveTimeout = 1000;
  server.listen(port, HOST);
  await once(server, 'listening');
  return {
    type: 'http-01',
    async present(task) {
      answers.set(task.token, task.keyAuthorization);
    },
    async cleanup(task) {
      answers.delete(task.token);
    },
    get hits() {
      return hits;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
