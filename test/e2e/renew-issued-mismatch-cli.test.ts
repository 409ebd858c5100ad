/**
 * `certfleet renew` through the built CLI against a CA that answers an order with a certificate
 * for another key and other names (test/helpers/fake-acme.ts with wrongLeaf): the run fails (exit
 * 1) naming the order and what differs, nothing is stored or deployed, the previous version stays
 * current, and the failure is counted like any failed order.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { StatusResult } from '../../src/renewal/status.js';
import { runCli } from '../helpers/cli.js';
import { startFakeAcme, type FakeAcme } from '../helpers/fake-acme.js';
import { tempDir } from '../helpers/pki.js';

let ca: FakeAcme;
let dir: string;
let config: string;

beforeAll(async () => {
  ca = await startFakeAcme();
  dir = tempDir('certfleet-issued-mismatch-e2e-');
  config = join(dir, 'certfleet.config.yaml');
  writeFileSync(
    config,
    stringify({
      stateDir: join(dir, 'state'),
      acme: { server: ca.directoryUrl, account: { acceptTermsOfService: true } },
      // The fake CA's authorizations are valid from the start: the webroot is never written.
      certificates: [{ name: 'shop', domains: ['shop.example.test'], challenge: { type: 'http-01', webroot: join(dir, 'webroot') }, deploy: { fullchain: join(dir, 'shop.pem'), key: join(dir, 'shop.key') } }],
    }),
  );
});

afterAll(async () => {
  await ca?.close();
});

const cli = (...args: string[]) => runCli(['--config', config, ...args]);

async function status(): Promise<StatusResult['certificates'][number]> {
  const r = await cli('status', '--format', 'json');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as StatusResult).certificates[0]!;
}

describe('renew against a CA that returns a certificate that was not ordered', () => {
  it('fails the order, stores and deploys nothing, and keeps the previous version current', async () => {
    const first = await cli('renew', 'shop');
    expect(first.code, first.stderr).toBe(0);
    const before = await status();
    const deployed = { cert: readFileSync(join(dir, 'shop.pem'), 'utf8'), key: readFileSync(join(dir, 'shop.key'), 'utf8') };

    ca.wrongLeaf = true;
    const bad = await cli('renew', 'shop', '--force');
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/order http:\/\/127\.0\.0\.1:\d+\/order\/2: the CA returned a certificate \(serial [0-9a-f]+\) that is not what was ordered: it certifies key SHA256:[0-9a-f]{16} but the CSR's key is SHA256:[0-9a-f]{16}; names differ: missing shop\.example\.test, extra fake\.test/);

    expect(readFileSync(join(dir, 'shop.pem'), 'utf8')).toBe(deployed.cert);
    expect(readFileSync(join(dir, 'shop.key'), 'utf8')).toBe(deployed.key);
    const after = await status();
    expect(after).toMatchObject({ serialNumber: before.serialNumber, versions: before.versions, consecutiveFailures: 1, lastError: expect.stringContaining('not what was ordered') });
  });
});
