/**
 * The environment handed to pre, post and deploy commands is built only when there are commands to
 * run: a run of thousands of certificates without commands (a fleet's, whose agents deploy) copied
 * the runner's whole environment two or three times per certificate for nothing. The copies are
 * counted through a proxy of the environment (a spread reads its keys once).
 */
import { describe, expect, it } from 'vitest';
import { oneAtATime } from '../../../src/concurrency.js';
import { silentLogger } from '../../../src/logger.js';
import { defaultRenewalPolicy } from '../../../src/renewal/decision.js';
import { renewCertificate, type RenewDeps } from '../../../src/renewal/renew-certificate.js';
import { CertificateStore } from '../../../src/store/certificate-store.js';
import { FakeCa, FakeCommands, FakeDeployer, FakeVerifier } from '../../helpers/fake-renew-ports.js';
import { managedCertificate } from '../../helpers/managed.js';
import { tempDir } from '../../helpers/pki.js';

function counted(): { env: Record<string, string>; copies: () => number } {
  let copies = 0;
  const env = new Proxy<Record<string, string>>(
    { PATH: '/usr/bin', OPERATOR: 'x' },
    {
      ownKeys(target) {
        copies++;
        return Reflect.ownKeys(target);
      },
    },
  );
  return { env, copies: () => copies };
}

function deps(commandEnv: Record<string, string>, commands: FakeCommands): RenewDeps {
  const now = () => new Date('2026-12-01T00:00:00Z');
  return {
    store: new CertificateStore(tempDir('certfleet-command-env-')),
    issuers: new FakeCa(now),
    deployer: new FakeDeployer(),
    verifier: new FakeVerifier(),
    runCommand: commands.run,
    policy: defaultRenewalPolicy,
    now,
    random: () => 0.5,
    logger: silentLogger,
    commandEnv,
    exclusive: oneAtATime(),
  };
}

describe('the commands environment', () => {
  it('is not built for a certificate without pre, post or deploy commands', async () => {
    const { env, copies } = counted();
    const commands = new FakeCommands();
    const cert = managedCertificate({ deploy: { targets: { fullchain: '/srv/tls/www.pem', key: '/srv/tls/www.key' }, commands: [], commandTimeoutMs: 1000 } });
    expect(await renewCertificate(cert, { force: false, plan: false }, deps(env, commands))).toMatchObject({ action: 'renewed' });
    expect(commands.runs).toEqual([]);
    expect(copies()).toBe(0);
  });

  it('is built once for the deploy commands when only those exist, and carries the runner environment and the CERTFLEET_ facts', async () => {
    const { env, copies } = counted();
    const seen: Array<Record<string, string | undefined>> = [];
    const commands = new FakeCommands();
    const d = deps(env, commands);
    d.runCommand = async (run) => {
      seen.push({ ...run.env });
      await commands.run(run);
    };
    const outcome = await renewCertificate(managedCertificate(), { force: false, plan: false }, d);
    expect(outcome).toMatchObject({ action: 'renewed' });
    expect(commands.runs.map((r) => r.argv)).toEqual([['reload-server']]);
    expect(seen[0]).toMatchObject({ PATH: '/usr/bin', OPERATOR: 'x', CERTFLEET_SERIAL: outcome.serialNumber });
    expect(copies()).toBe(1);
  });
});
