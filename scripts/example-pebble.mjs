// The quick start's local CA: Pebble (Let's Encrypt's ACME test server, Debian package `pebble`)
// and pebble-challtestsrv (its mock DNS, answering every name with 127.0.0.1), on free loopback
// ports, as test/helpers/pebble.ts starts them for the tests. Plain Node ESM (no build needed).
// Both are children of this process, stopped by their PID, never by name.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { KeyObject, webcrypto } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const HOST = '127.0.0.1';
/** Certificates as short-lived as the CA/Browser Forum's 2029 maximum: renewal schedules that matter. */
const VALIDITY_SECONDS = 45 * 86_400;

export function findPebbleBinaries() {
  const find = (name) => [`/usr/bin/${name}`, `/usr/local/bin/${name}`].find((p) => existsSync(p));
  return { pebble: find('pebble'), challtestsrv: find('pebble-challtestsrv') };
}

/** A port free on 127.0.0.1 for TCP, and for UDP too when asked (a DNS server listens on both). */
export async function freePort(udpToo = false) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer().listen(0, HOST);
    await once(tcp, 'listening');
    const { port } = tcp.address();
    let free = true;
    if (udpToo) {
      const udp = createSocket('udp4');
      free = await new Promise((resolve) => {
        udp.once('error', () => resolve(false));
        udp.bind(port, HOST, () => resolve(true));
      });
      if (free) await new Promise((resolve) => udp.close(resolve));
    }
    await new Promise((resolve) => tcp.close(resolve));
    if (free) return port;
  }
  throw new Error(`no free port on ${HOST}`);
}

/** A throwaway CA and a localhost/127.0.0.1 certificate under it, for Pebble's own HTTPS (the package ships none). */
async function httpsIdentity() {
  const ec = { name: 'ECDSA', namedCurve: 'P-256' };
  const signing = { name: 'ECDSA', hash: 'SHA-256' };
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(Date.now() + 2 * 86_400_000);
  const caKeys = await webcrypto.subtle.generateKey(ec, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=certfleet quick start: CA of the local Pebble HTTPS',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const keys = await webcrypto.subtle.generateKey(ec, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=localhost',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: HOST }]),
    ],
  });
  return {
    caPem: ca.toString('pem') + '\n',
    certPem: leaf.toString('pem') + '\n',
    keyPem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }),
  };
}

function httpAnswer(url, { method = 'GET', body, ca } = {}) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method, ca, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A child process whose output goes to a log file; stopped by its PID. */
function startProcess(name, binary, args, env, logPath) {
  const log = openSync(logPath, 'a');
  const child = spawn(binary, args, { env, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid: child.pid,
    logPath,
    running,
    /** For process.on('exit'): no waiting possible there. */
    killNow() {
      if (running()) child.kill('SIGKILL');
    },
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitUntil(what, check, proc, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running()) throw new Error(`${proc.name} exited while starting; its log: ${proc.logPath}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs / 1000} s; its log: ${proc.logPath}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Starts challtestsrv, then Pebble, in `dir` (config, HTTPS key and logs go there). `onStart`
 * is told of each process as soon as it exists, so a caller's cleanup knows it even if the start
 * fails half-way.
 */
export async function startPebble(dir, binaries, onStart) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const identity = await httpsIdentity();
  const caBundlePath = join(dir, 'https-ca.pem');
  writeFileSync(caBundlePath, identity.caPem);
  writeFileSync(join(dir, 'https-cert.pem'), identity.certPem);
  writeFileSync(join(dir, 'https-key.pem'), identity.keyPem, { mode: 0o600 });

  const listenPort = await freePort();
  const managementPort = await freePort();
  const httpPort = await freePort();
  const tlsPort = await freePort();
  const dnsPort = await freePort(true);
  const dnsManagementPort = await freePort();
  writeFileSync(
    join(dir, 'pebble-config.json'),
    JSON.stringify(
      {
        pebble: {
          listenAddress: `${HOST}:${listenPort}`,
          managementListenAddress: `${HOST}:${managementPort}`,
          certificate: join(dir, 'https-cert.pem'),
          privateKey: join(dir, 'https-key.pem'),
          httpPort,
          tlsPort,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
          certificateValidityPeriod: VALIDITY_SECONDS,
        },
      },
      null,
      2,
    ),
  );

  const path = process.env.PATH ?? '/usr/bin:/bin';
  // Only DNS, on loopback: its own challenge responders would take the port certfleet answers on.
  const challtestsrv = startProcess(
    'pebble-challtestsrv',
    binaries.challtestsrv,
    ['-management', `${HOST}:${dnsManagementPort}`, '-dns01', `${HOST}:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv4', HOST, '-defaultIPv6', ''],
    { PATH: path },
    join(dir, 'challtestsrv.log'),
  );
  onStart(challtestsrv);
  // clear-txt on a name nobody uses answers 200 once the management API is up.
  await waitUntil(
    'pebble-challtestsrv',
    async () => (await httpAnswer(`http://${HOST}:${dnsManagementPort}/clear-txt`, { method: 'POST', body: '{"host":"ready.example.test."}' })) === 200,
    challtestsrv,
  );

  const directoryUrl = `https://${HOST}:${listenPort}/dir`;
  // PEBBLE_VA_NOSLEEP: no artificial delay before each validation.
  const pebble = startProcess(
    'pebble',
    binaries.pebble,
    ['-config', join(dir, 'pebble-config.json'), '-dnsserver', `${HOST}:${dnsPort}`],
    { PATH: path, PEBBLE_VA_NOSLEEP: '1' },
    join(dir, 'pebble.log'),
  );
  onStart(pebble);
  await waitUntil('pebble', async () => (await httpAnswer(directoryUrl, { ca: identity.caPem })) === 200, pebble);

  return { directoryUrl, caBundlePath, httpPort, processes: [challtestsrv, pebble] };
}
