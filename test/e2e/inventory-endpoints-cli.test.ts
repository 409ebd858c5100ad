/**
 * Endpoints through the CLI: real TLS and STARTTLS servers on loopback, the served chain checked
 * for trust, names and the missing intermediate, and a dead endpoint reported without stopping the scan.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateRecord, EndpointSource, InventoryResult } from '../../src/inventory/model.js';
import { runCli } from '../helpers/cli.js';
import { chain, tempDir, writeFile, type Issued } from '../helpers/pki.js';
import { closedPort, startStartTlsServer, startTlsServer, type RunningServer } from '../helpers/tls-servers.js';

const servers: RunningServer[] = [];
let root: Issued;
let fullChain: { port: number };
let leafOnly: { port: number };
let smtp: { port: number };
let caFile: string;

beforeAll(async () => {
  const pki = await chain({ commonName: 'www.e2e.test', sans: ['www.e2e.test'] });
  root = pki.root;
  const identity = { key: pki.leaf.keyPem, cert: pki.leaf.certPem + pki.intermediate.certPem };
  const full = await startTlsServer({ identity });
  const bare = await startTlsServer({ identity: { key: pki.leaf.keyPem, cert: pki.leaf.certPem } });
  const mail = await startStartTlsServer({ protocol: 'smtp', identity });
  servers.push(full, bare, mail);
  fullChain = full;
  leafOnly = bare;
  smtp = mail;
  caFile = writeFile(join(tempDir(), 'root.pem'), root.certPem);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function endpointSources(c: CertificateRecord): EndpointSource[] {
  return c.sources.filter((s): s is EndpointSource => s.kind === 'endpoint');
}

describe('certfleet inventory --endpoint', () => {
  it('records the chain as served, trust, name match and protocol, and flags what is wrong', async () => {
    const dead = await closedPort();
    const r = await runCli([
      'inventory', '--format', 'json', '--ca', caFile,
      '--endpoint', `127.0.0.1:${fullChain.port},sni=www.e2e.test`,
      '--endpoint', `127.0.0.1:${leafOnly.port},sni=www.e2e.test`,
      '--endpoint', `127.0.0.1:${smtp.port},sni=www.e2e.test,starttls=smtp`,
      '--endpoint', `127.0.0.1:${fullChain.port},sni=other.e2e.test`,
      '--endpoint', `127.0.0.1:${dead}`,
      '--connect-timeout', '2s',
    ]);
    expect(r.code, r.stderr).toBe(3); // the dead endpoint
    const result = JSON.parse(r.stdout) as InventoryResult;
    expect(result.errors).toEqual([{ source: `127.0.0.1:${dead}`, message: expect.stringMatching(/connection refused/) }]);

    const leaf = result.certificates.find((c) => c.sans.includes('www.e2e.test'))!;
    const seen = endpointSources(leaf);
    expect(seen).toHaveLength(4);
    const full = seen.find((s) => s.port === fullChain.port && s.sni === 'www.e2e.test')!;
    expect(full).toMatchObject({ chainPosition: 0, trusted: true, nameMatches: true });
    expect(full.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(seen.find((s) => s.starttls === 'smtp')).toMatchObject({ trusted: true, nameMatches: true });
    // The intermediate came along where it was served.
    const intermediate = result.certificates.find((c) => c.subject === 'CN=certfleet Test Intermediate')!;
    expect(endpointSources(intermediate).map((s) => s.port).sort()).toEqual([fullChain.port, fullChain.port, smtp.port].sort());

    const findings = leaf.findings.map((f) => `${f.id} @ ${f.location}`);
    expect(findings).toContain(`incomplete-chain @ 127.0.0.1:${leafOnly.port} (SNI www.e2e.test)`);
    expect(findings).toContain(`hostname-mismatch @ 127.0.0.1:${fullChain.port} (SNI other.e2e.test)`);
    expect(findings.filter((f) => f.startsWith('incomplete-chain'))).toHaveLength(1);
  });

  it('reads endpoints from a file and reports a bad line by file and line', async () => {
    const list = writeFile(join(tempDir(), 'endpoints.txt'), `# fleet\n127.0.0.1:${fullChain.port},sni=www.e2e.test\nnot a spec\n`);
    const r = await runCli(['inventory', '--format', 'json', '--ca', caFile, '--endpoints', list]);
    const result = JSON.parse(r.stdout) as InventoryResult;
    expect(r.code).toBe(3);
    expect(result.errors).toEqual([{ source: `${list}:3`, message: expect.any(String) }]);
    expect(result.certificates.some((c) => endpointSources(c).length > 0)).toBe(true);
  });

  it('without the private root, the same chain is untrusted', async () => {
    const r = await runCli(['inventory', '--format', 'json', '--endpoint', `127.0.0.1:${fullChain.port},sni=www.e2e.test`]);
    const result = JSON.parse(r.stdout) as InventoryResult;
    const leaf = result.certificates.find((c) => c.sans.includes('www.e2e.test'))!;
    expect(endpointSources(leaf)[0]).toMatchObject({ trusted: false });
    expect(leaf.findings.map((f) => f.id)).toContain('untrusted-chain');
    expect(r.code).toBe(1);
  });
});
