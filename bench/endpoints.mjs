// Endpoint scanning throughput: 500 distinct TLS endpoints on 127.0.0.1 (500 listening sockets in
// a separate server process, each serving leaf + intermediate under a throwaway root), scanned
// with the built scanner (dist/; build first: npx tsc -p tsconfig.build.json).
//
//   node bench/endpoints.mjs            one measured scan at the default concurrency
//   node bench/endpoints.mjs --sweep    also the rate at several concurrency values
//
// Every observation must be ok, trusted, name-matching and carry the 2 served certificates: any
// other result is an error (exit 1). A slow machine is not: the rate is reported against the
// target (>= 200 endpoints/s), never enforced.
import 'reflect-metadata';
import { fork } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';

const ENDPOINTS = 500;
const TARGET_PER_SECOND = 200;
const SERVER_PROCESSES = 1;
const RUNS = 3;

if (process.argv[2] === '--serve') await serve();
else await main();

async function main() {
  const built = fileURLToPath(new URL('../dist/inventory/sources/endpoints.js', import.meta.url));
  if (!existsSync(built)) {
    console.error(`bench/endpoints: ${built} is missing: build first (npx tsc -p tsconfig.build.json)`);
    process.exit(1);
  }
  const { scanEndpoints, endpointScanDefaults } = await import(built);
  const { parseEndpointSpec } = await import(new URL('../dist/inventory/sources/endpoint-spec.js', import.meta.url).href);

  const pki = await mintChain();
  const children = [];
  const ports = [];
  try {
    for (let i = 0; i < SERVER_PROCESSES; i++) {
      const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      child.send({ key: pki.leafKeyPem, cert: pki.leafPem + pki.intermediatePem, count: ENDPOINTS / SERVER_PROCESSES });
      const [message] = await once(child, 'message');
      ports.push(...message.ports);
    }
    const specs = ports.map((port) => parseEndpointSpec(`127.0.0.1:${port},sni=bench.test`));
    const options = (concurrency) => ({
      concurrency,
      connectTimeoutMs: 5000,
      handshakeTimeoutMs: 5000,
      extraCa: [Buffer.from(pki.rootPem)],
    });

    // Warm-up: JIT, the shared TLS context, the servers' first handshakes.
    check(await scanEndpoints(specs.slice(0, 50), options(endpointScanDefaults.concurrency)));

    // A scan of 500 takes under a second here: take the median of a few so one hiccup of a
    // shared machine does not decide the figure.
    const measure = async (concurrency) => {
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const results = await scanEndpoints(specs, options(concurrency));
        runs.push((performance.now() - t0) / 1000);
        check(results);
      }
      const seconds = runs.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
      return { seconds, rate: specs.length / seconds };
    };

    if (process.argv.includes('--sweep')) {
      for (const concurrency of [1, 4, 8, 16, 32, 64, 128, 256]) {
        const { rate } = await measure(concurrency);
        console.log(`endpoints: concurrency ${String(concurrency).padStart(3)}: ${rate.toFixed(0)} endpoints/s (median of ${RUNS})`);
      }
    }
    const { seconds, rate } = await measure(endpointScanDefaults.concurrency);
    console.log(
      `endpoints: ${specs.length} scanned in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} endpoints/s (target >= ${TARGET_PER_SECOND}/s)`,
    );
    console.log(
      `endpoints: ratio to target = ${(rate / TARGET_PER_SECOND).toFixed(2)} (median of ${RUNS} scans, concurrency ` +
        `${endpointScanDefaults.concurrency}, ${SERVER_PROCESSES} server process with ${ENDPOINTS} listening sockets, client in this process)`,
    );
  } finally {
    for (const child of children) child.kill();
  }
}

function check(results) {
  const bad = results.filter((r) => !r.ok || !r.trusted || !r.nameMatches || r.chain.length !== 2);
  if (bad.length > 0) {
    const first = bad[0];
    const why = first.ok ? `trusted=${first.trusted} nameMatches=${first.nameMatches} chain=${first.chain.length}` : first.error;
    throw new Error(`${bad.length} of ${results.length} scans were wrong; first: ${first.spec.raw}: ${why}`);
  }
}

/** The server process: `count` TLS listeners on random loopback ports, until the parent goes. */
async function serve() {
  const [{ key, cert, count }] = await once(process, 'message');
  const ports = [];
  for (let i = 0; i < count; i++) {
    const server = createServer({ key, cert });
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    ports.push(server.address().port);
  }
  process.send({ ports });
  process.on('disconnect', () => process.exit(0));
}

/** Root, intermediate and a leaf for bench.test, minted fresh (never stored). */
async function mintChain() {
  x509.cryptoProvider.set(webcrypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const now = Date.now();
  const make = async (subject, issuer, signingKey, ca, sans) => {
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '1'),
      subject,
      issuer: issuer ?? subject,
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + 30 * 86_400_000),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: keys.publicKey,
      signingKey: signingKey ?? keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(ca, undefined, true),
        ...(ca ? [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)] : []),
        ...(sans ? [new x509.SubjectAlternativeNameExtension(sans.map((value) => ({ type: 'dns', value })))] : []),
      ],
    });
    return { cert, keys };
  };
  const root = await make('CN=certfleet Bench Root', undefined, undefined, true);
  const intermediate = await make('CN=certfleet Bench Intermediate', root.cert.subject, root.keys.privateKey, true);
  const leaf = await make('CN=bench.test', intermediate.cert.subject, intermediate.keys.privateKey, false, ['bench.test']);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leaf.keys.privateKey)).toString('base64');
  return {
    rootPem: `${root.cert.toString('pem')}\n`,
    intermediatePem: `${intermediate.cert.toString('pem')}\n`,
    leafPem: `${leaf.cert.toString('pem')}\n`,
    leafKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g).join('\n')}\n-----END PRIVATE KEY-----\n`,
  };
}
