/**
 * One ACME client per CA per run, with its account ready: key from the state directory (made on
 * first use, 0600), registered (or found again) once, its URL remembered for the next run.
 */
import { AcmeClient } from '../acme/index.js';
import { CertfleetError, ExitCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AccountStore } from '../store/account-store.js';
import { generatePrivateKey } from '../x509/generate-key.js';
import type { CaSettings } from './managed.js';

export class AcmeClients {
  private readonly clients = new Map<string, Promise<AcmeClient>>();

  constructor(
    private readonly accounts: AccountStore,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {}

  get(ca: CaSettings): Promise<AcmeClient> {
    let client = this.clients.get(ca.directoryUrl);
    if (!client) {
      client = this.open(ca);
      // A failure (CA down) is not cached: the next certificate of this run tries again.
      client.catch(() => this.clients.delete(ca.directoryUrl));
      this.clients.set(ca.directoryUrl, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.then((c) => c.close(), () => undefined);
    this.clients.clear();
  }

  private async open(ca: CaSettings): Promise<AcmeClient> {
    const stored = await this.accounts.load(ca.directoryUrl);
    const keyPem = stored?.keyPem ?? (await generatePrivateKey('ec-p256'));
    const client = new AcmeClient({
      directoryUrl: ca.directoryUrl,
      accountKeyPem: keyPem,
      ...(stored?.account.url ? { accountUrl: stored.account.url } : {}),
      ...(ca.caBundlePem ? { caBundlePem: ca.caBundlePem } : {}),
      requestTimeoutMs: ca.requestTimeoutMs,
      logger: this.logger,
    });
    const meta = await client.directoryMeta();
    if (meta.termsOfService && !ca.acceptTermsOfService) {
      client.close();
      throw new CertfleetError('terms-of-service', `the CA at ${ca.directoryUrl} requires accepting its terms of service (${meta.termsOfService})`, {
        exitCode: ExitCode.usage,
        hint: 'read them, then set acme.account.acceptTermsOfService: true in the config',
      });
    }
    const account = await client.ensureAccount({ contact: ca.contact, termsAgreed: ca.acceptTermsOfService, ...(ca.eab ? { eab: ca.eab } : {}) });
    if (account.created) this.logger.info(`registered a new ACME account at ${ca.directoryUrl}: ${account.url}`);
    if (!stored || stored.account.url !== account.url) {
      await this.accounts.save(keyPem, { directoryUrl: ca.directoryUrl, url: account.url, contact: account.contact, createdAt: stored?.account.createdAt ?? this.now().toISOString() });
    }
    return client;
  }
}
