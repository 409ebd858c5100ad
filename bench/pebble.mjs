// A local Pebble (Debian `pebble`) and pebble-challtestsrv on 127.0.0.1 for the renew benchmark:
// the minimum of test/helpers/pebble.ts that a plain-Node script needs (start, directory URL,
// HTTPS CA, stop). Pebble's own HTTPS certificate comes from a throwaway CA minted here; Pebble
// resolves every name to 127.0.0.1 through challtestsrv, whose own challenge responders are off so
// the solvers under test can bind Pebble's httpPort. Both processes are stopped by their PID.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { webcrypto, KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const HOST = '127.0.0.1';
const EC = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN = { name: 'ECDSA', hash: 'SHA-256' };

/** A CA and a localhost/127.0.0.1 server certificate under it, valid for two days. */
async function httpsPki() {
  const now = Date.now();
  const validity = { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 2 * 86_400_000) };
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=certfleet bench Pebble HTTPS CA',
    keys: caKeys,
    signingAlgorithm: SIGN,
    ...validity,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const serverKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=localhost',
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGN,
    ...validity,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: HOST }]),
    ],
  });
  return {
    caPem: ca.toString('pem') + '\n',
    certPem: server.toString('pem') + '\n',
    keyPem: KeyObject.from(serverKeys.privateKey).export({ type: 'pkcs8', format: 'pem' }),
  };
}

export async function freePort() {
  const server = createServer().listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function get(url, ca) {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method: url.includes('/clear-txt') ? 'POST' : 'GET', ca, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(url.includes('/clear-txt') ? JSON.stringify({ host: 'ready.bench.test.' }) : undefined);
  });
}

/** GET a JSON document (Pebble's management API); undefined on 404. */
function getJson(url, ca) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 404 ? resolve(undefined) : res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${url}: HTTP ${res.statusCode} ${body}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function startProcess(name, binary, args, env) {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: install the Debian package pebble (scripts/install-test-deps.sh)`);
  const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk) => (log = (log + chunk).slice(-10_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit); // a crashed bench leaves no child behind (this PID only)
  return {
    name,
    get log() {
      return log;
    },
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitFor(what, check, proc) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (!proc.running) throw new Error(`${proc.name} exited while starting:\n${proc.log}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up in 15 s:\n${proc.log}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Start challtestsrv and Pebble (PEBBLE_VA_NOSLEEP=1, nonce rejection left at Pebble's default).
 * Returns { directoryUrl, caPem (trust for Pebble's HTTPS), httpPort, dir, certStatus(serial), stop() }.
 */
export async function startPebble({ validitySeconds = 45 * 86_400 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-bench-pebble-'));
  const pki = await httpsPki();
  writeFileSync(join(dir, 'cert.pem'), pki.certPem);
  writeFileSync(join(dir, 'key.pem'), pki.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.pem'), pki.caPem);
  // DNS is UDP; challtestsrv binds both protocols on the port, and a TCP-free port is nearly always UDP-free.
  const [listen, management, httpPort, tlsPort, dns, challManagement] = await Promise.all(Array.from({ length: 6 }, freePort));
  const config = {
    pebble: {
      listenAddress: `${HOST}:${listen}`,
      managementListenAddress: `${HOST}:${management}`,
      certificate: join(dir, 'cert.pem'),
      privateKey: join(dir, 'key.pem'),
      httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      certificateValidityPeriod: validitySeconds,
    },
  };
  writeFileSync(join(dir, 'pebble-config.json'), JSON.stringify(config));
  const processes = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const chall = startProcess(
      'pebble-challtestsrv',
      '/usr/bin/pebble-challtestsrv',
      ['-management', `${HOST}:${challManagement}`, '-dns01', `${HOST}:${dns}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv4', HOST, '-defaultIPv6', ''],
      { PATH: process.env.PATH },
    );
    processes.push(chall);
    await waitFor('pebble-challtestsrv', async () => (await get(`http://${HOST}:${challManagement}/clear-txt`)) === 200, chall);
    const pebble = startProcess('pebble', '/usr/bin/pebble', ['-config', join(dir, 'pebble-config.json'), '-dnsserver', `${HOST}:${dns}`], {
      PATH: process.env.PATH,
      PEBBLE_VA_NOSLEEP: '1',
    });
    processes.push(pebble);
    const directoryUrl = `https://${HOST}:${listen}/dir`;
    await waitFor('pebble', async () => (await get(directoryUrl, pki.caPem)) === 200, pebble);
    /** Pebble's view of a serial it issued ({ Status: 'Valid' | 'Revoked', ... }), undefined when unknown. */
    const certStatus = (serialHex) => getJson(`https://${HOST}:${management}/cert-status-by-serial/${serialHex.toLowerCase()}`, pki.caPem);
    return { directoryUrl, caPem: pki.caPem, caPath: join(dir, 'ca.pem'), httpPort, dir, stop, certStatus, get log() { return pebble.log; } };
  } catch (err) {
    await stop();
    throw err;
  }
}
