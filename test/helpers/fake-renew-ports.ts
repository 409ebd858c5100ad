/**
 * Fakes for the ports of src/renewal/ports.ts (cert-manager's FakeACME is the model): a CA that
 * signs what is asked of it with a throwaway CA and can be told to fail, a deployer that keeps the
 * live version in memory and can be told to fail a step, a verifier and a command runner that
 * record what they were asked. With a fake clock, every branch of a renewal runs in milliseconds.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { RenewalInfo } from '../../src/acme/index.js';
import type { CommandRun } from '../../src/renewal/commands.js';
import type { DeployTargets } from '../../src/renewal/deploy-files.js';
import type { CaSettings, ManagedCertificate } from '../../src/renewal/managed.js';
import type { CaPort, Deployer, Issuers, Verifier } from '../../src/renewal/ports.js';
import type { VersionFiles } from '../../src/store/certificate-store.js';
import { issue, type Issued } from './pki.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export class FakeCa implements Issuers {
  readonly orders: Array<{ name: string; domains: string[]; replaces?: string }> = [];
  readonly renewalInfoAsked: string[] = [];
  /** Thrown by the next order (then cleared); a function is called with the order. */
  failNextOrder: unknown = undefined;
  renewalInfoAnswer: RenewalInfo | undefined = undefined;
  accountUrl = 'https://ca.test/acct/1';
  private ca: Issued | undefined;
  private serial = 0x1000;

  constructor(
    private readonly clock: () => Date,
    private readonly validityDays = 45,
  ) {}

  async get(_settings: CaSettings): Promise<CaPort> {
    this.ca ??= await issue({ commonName: 'Fake CA', ca: true, days: 3650 });
    return {
      accountUrl: this.accountUrl,
      offersRenewalInfo: async () => this.renewalInfoAnswer !== undefined,
      renewalInfo: async (certPem) => {
        this.renewalInfoAsked.push(certPem);
        return this.renewalInfoAnswer;
      },
      order: (request) => this.order(request),
    };
  }

  private async order({ cert, csrDer, replaces }: { cert: ManagedCertificate; csrDer: Uint8Array; replaces?: string }): Promise<string> {
    this.orders.push({ name: cert.name, domains: [...cert.domains], ...(replaces ? { replaces } : {}) });
    if (this.failNextOrder !== undefined) {
      const err = this.failNextOrder;
      this.failNextOrder = undefined;
      throw err;
    }
    const csr = new x509.Pkcs10CertificateRequest(new Uint8Array(csrDer));
    const notBefore = this.clock();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: (this.serial++).toString(16).padStart(6, '0'),
      subject: `CN=${cert.domains[0]}`,
      issuer: this.ca!.cert.subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + this.validityDays * 86_400_000),
      publicKey: await csr.publicKey.export(),
      signingKey: this.ca!.keys.privateKey,
      signingAlgorithm: this.ca!.signingAlgorithm,
      extensions: [
        new x509.SubjectAlternativeNameExtension(cert.domains.map((value) => ({ type: 'dns' as const, value }))),
        await x509.AuthorityKeyIdentifierExtension.create(this.ca!.keys.publicKey),
      ],
    });
    return leaf.toString('pem') + '\n' + this.ca!.certPem;
  }
}

export type DeployStep = 'stage' | 'activate' | 'restoreFound';

/** The deploy paths in memory: which version is live per certificate, and what was found there first. */
export class FakeDeployer implements Deployer {
  readonly liveVersions = new Map<string, string>();
  readonly staged = new Map<string, VersionFiles>();
  readonly calls: string[] = [];
  /** Names whose paths held files before certfleet (put back by restoreFound). */
  readonly found = new Set<string>();
  /** Fail this step once with this error. */
  failOnce: { step: DeployStep; error: Error } | undefined;

  private step(step: DeployStep, what: string): void {
    this.calls.push(`${step} ${what}`);
    if (this.failOnce?.step === step) {
      const { error } = this.failOnce;
      this.failOnce = undefined;
      throw error;
    }
  }

  async live(name: string): Promise<string | undefined> {
    return this.liveVersions.get(name);
  }
  async stage(name: string, versionId: string, _targets: DeployTargets, files: VersionFiles): Promise<void> {
    this.step('stage', `${name} ${versionId}`);
    this.staged.set(`${name}/${versionId}`, files);
  }
  async link(): Promise<void> {
    // What the fake serves lives in liveVersions: nothing to link.
  }
  async activate(name: string, versionId: string): Promise<void> {
    this.step('activate', `${name} ${versionId}`);
    this.liveVersions.set(name, versionId);
  }
  async hasFound(name: string): Promise<boolean> {
    return this.found.has(name);
  }
  async restoreFound(name: string): Promise<boolean> {
    this.step('restoreFound', name);
    this.liveVersions.delete(name);
    return this.found.has(name);
  }
  async prune(name: string, _targets: DeployTargets, keep: readonly string[]): Promise<void> {
    this.calls.push(`prune ${name} keep ${keep.join(',')}`);
  }
}

/** Says each serial is served unless told otherwise. */
export class FakeVerifier implements Verifier {
  readonly confirmed: string[] = [];
  failWith: Error | undefined;
  async confirmServed(cert: ManagedCertificate, serialNumber: string): Promise<void> {
    this.confirmed.push(`${cert.name} ${serialNumber}`);
    if (this.failWith) throw this.failWith;
  }
}

/** Records each command with its CERTFLEET_* environment; `fail` decides which ones fail. */
export class FakeCommands {
  readonly runs: Array<{ argv: readonly string[]; env: Record<string, string | undefined> }> = [];
  fail: (argv: readonly string[]) => Error | undefined = () => undefined;
  readonly run = async (run: CommandRun): Promise<void> => {
    this.runs.push({ argv: run.argv, env: Object.fromEntries(Object.entries(run.env).filter(([k]) => k.startsWith('CERTFLEET_'))) });
    const err = this.fail(run.argv);
    if (err) throw err;
  };
}
