/**
 * ACME accounts on disk: one per directory URL, its key 0600 and its URL once registered.
 *   <stateDir>/accounts/<host>-<hash>/{account.key, account.json}
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

export interface StoredAccount {
  directoryUrl: string;
  url?: string;
  contact: string[];
  createdAt: string;
}

export class AccountStore {
  constructor(readonly stateDir: string) {}

  dir(directoryUrl: string): string {
    const host = (() => {
      try {
        return new URL(directoryUrl).host.replace(/[^A-Za-z0-9.-]/g, '_');
      } catch {
        return 'ca';
      }
    })();
    const hash = createHash('sha256').update(directoryUrl).digest('hex').slice(0, 12);
    return join(this.stateDir, 'accounts', `${host}-${hash}`);
  }

  async load(directoryUrl: string): Promise<{ keyPem: string; account: StoredAccount } | undefined> {
    const dir = this.dir(directoryUrl);
    try {
      const [keyPem, json] = await Promise.all([readFile(join(dir, 'account.key'), 'utf8'), readFile(join(dir, 'account.json'), 'utf8')]);
      return { keyPem, account: JSON.parse(json) as StoredAccount };
    } catch {
      return undefined;
    }
  }

  async save(keyPem: string, account: StoredAccount): Promise<void> {
    const dir = this.dir(account.directoryUrl);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(dir, 'account.key'), keyPem, { mode: 0o600 });
    await writeFileAtomic(join(dir, 'account.json'), JSON.stringify(account, null, 2) + '\n', { mode: 0o600 });
  }
}
