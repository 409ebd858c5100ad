/**
 * Challenge answers in files, `<stateDir>/challenges/<token>.json`, for the fleet's agents that share
 * a state directory (and the same semantics as the PostgreSQL table). A token is base64url by RFC 8555
 * 8.3; anything else is refused before it becomes a path.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import type { ChallengeToken, ChallengeTokens } from './ports.js';

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export class FileChallengeTokens implements ChallengeTokens {
  constructor(
    private readonly stateDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  private path(token: string): string {
    if (!TOKEN.test(token)) throw new Error(`not an ACME token: ${JSON.stringify(token.slice(0, 40))}`);
    return join(this.stateDir, 'challenges', `${token}.json`);
  }

  async put(entry: ChallengeToken): Promise<void> {
    const path = this.path(entry.token);
    await mkdir(join(this.stateDir, 'challenges'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, JSON.stringify(entry) + '\n', { mode: 0o600 });
  }

  async get(token: string): Promise<ChallengeToken | undefined> {
    if (!TOKEN.test(token)) return undefined;
    try {
      const entry = JSON.parse(readFileSync(this.path(token), 'utf8')) as ChallengeToken;
      return entry.expiresAt > this.now() ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  async delete(token: string): Promise<void> {
    if (TOKEN.test(token)) await rm(this.path(token), { force: true });
  }

  /** A read of every answer: the directory holds only the answers of orders under way, a handful. */
  async forIdentifier(identifier: string, type: ChallengeToken['type']): Promise<ChallengeToken | undefined> {
    let names: string[];
    try {
      names = await readdir(join(this.stateDir, 'challenges'));
    } catch {
      return undefined;
    }
    let newest: ChallengeToken | undefined;
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const entry = await this.get(name.slice(0, -'.json'.length));
      if (entry?.identifier === identifier && entry.type === type && (newest === undefined || entry.expiresAt > newest.expiresAt)) newest = entry;
    }
    return newest;
  }
}
