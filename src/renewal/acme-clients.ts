/**
 * One ACME client per CA per run, with its account ready: key from the state directory (made on
 * first use, 0600, and stored before it is registered; never replaced), registered (or found
 * again by its key when account.json is lost) once, its URL remembered for the next run.
 */
import { AcmeClient } from '../acme/index.js';
import { CertfleetError, ExitCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AccountRecords, LoadedAccount } from '../store/ports.js';
import { generatePrivateKey } from '../x509/generate-key.js';
import type { CaSettings } from './managed.js';

export class AcmeClients {
  private readonly clients = new Map<string, Promise<AcmeClient>>();

  constructor(
    private readonly accounts: AccountRecords,
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
    const warn = (message: string) => this.logger.warn(message);
    const stored = await this.accounts.load(ca.directoryUrl, warn);
    const keyPem = stored === undefined ? await generatePrivateKey('ec-p256') : stored.pendingKeyPem !== undefined ? await this.settleRollover(ca, stored) : stored.keyPem;
    const client = this.client(ca, keyPem, stored?.account?.url);
    try {
      const meta = await client.directoryMeta();
      if (meta.termsOfService && !ca.acceptTermsOfService) {
        throw new CertfleetError('terms-of-service', `the CA at ${ca.directoryUrl} requires accepting its terms of service (${meta.termsOfService})`, {
          exitCode: ExitCode.usage,
          hint: 'read them, then set acme.account.acceptTermsOfService: true in the config',
        });
      }
      // A new key is on disk before the CA hears of it: a registered account is never only in memory.
      if (stored === undefined && !(await this.storeNewKey(ca, keyPem))) {
        // Another runner (a fleet's first run, several hosts at once) stored its key first: that key is the account.
        client.close();
        return await this.open(ca);
      }
      // Without a stored URL, ensureAccount finds the key's account (onlyReturnExisting) before registering anything.
      const account = await client.ensureAccount({ contact: ca.contact, termsAgreed: ca.acceptTermsOfService, ...(ca.eab ? { eab: ca.eab } : {}) });
      if (account.created) this.logger.info(`registered a new ACME account at ${ca.directoryUrl}: ${account.url}`);
      else if (stored !== undefined && stored.account === undefined) this.logger.info(`found the ACME account of ${this.accounts.describe(ca.directoryUrl)} again: ${account.url}`);
      if (stored?.account?.url !== account.url) {
        await this.accounts.saveAccount({ directoryUrl: ca.directoryUrl, url: account.url, contact: account.contact, createdAt: stored?.account?.createdAt ?? this.now().toISOString() });
      }
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /**
   * Store a new account key; false when another runner stored one first (createKey refuses to
   * replace a key), which this runner then uses. Any other failure is thrown.
   */
  private async storeNewKey(ca: CaSettings, keyPem: string): Promise<boolean> {
    try {
      await this.accounts.createKey(ca.directoryUrl, keyPem);
      return true;
    } catch (err) {
      const now = await this.accounts.load(ca.directoryUrl).catch(() => undefined);
      if (now === undefined || now.keyPem === keyPem) throw err;
      this.logger.info(`another certfleet run stored the account key of ${this.accounts.describe(ca.directoryUrl)} first; using it`);
      return false;
    }
  }

  private client(ca: CaSettings, keyPem: string, accountUrl: string | undefined): AcmeClient {
    return new AcmeClient({
      directoryUrl: ca.directoryUrl,
      accountKeyPem: keyPem,
      ...(accountUrl ? { accountUrl } : {}),
      ...(ca.caBundlePem ? { caBundlePem: ca.caBundlePem } : {}),
      requestTimeoutMs: ca.requestTimeoutMs,
      logger: this.logger,
    });
  }

  /**
   * A rollover was interrupted after its new key was staged: if the CA knows that key, the
   * rollover went through (the old key is dead) and the new key becomes the account key; if not,
   * it never happened and the staged key is moved aside. Returns the key to use.
   */
  private async settleRollover(ca: CaSettings, stored: LoadedAccount): Promise<string> {
    const pending = stored.pendingKeyPem!;
    const probe = this.client(ca, pending, undefined);
    let found;
    try {
      found = await probe.findAccount();
    } finally {
      probe.close();
    }
    if (found) {
      const old = await this.accounts.promotePendingKey(ca.directoryUrl);
      this.logger.warn(`an interrupted account key rollover had reached the CA; the new key is now the account key (the old one is kept at ${old})`);
      return pending;
    }
    const aside = await this.accounts.discardPendingKey(ca.directoryUrl);
    this.logger.warn(`an interrupted account key rollover never reached the CA; keeping the current key (the unused new key moved to ${aside})`);
    return stored.keyPem;
  }
}
