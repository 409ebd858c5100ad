/**
 * The file store's challenge answers (store/file-challenges.ts) looked up by name, as the agents'
 * tls-alpn-01 listener asks the shared store: the newest unexpired answer of that type, nothing else.
 */
import { describe, expect, it } from 'vitest';
import { FileChallengeTokens } from '../../../src/store/file-challenges.js';
import type { ChallengeToken } from '../../../src/store/ports.js';
import { tempDir } from '../../helpers/pki.js';

const entry = (token: string, over: Partial<ChallengeToken> = {}): ChallengeToken => ({ token, keyAuthorization: `${token}.thumb`, identifier: 'www.example.test', type: 'tls-alpn-01', expiresAt: 5_000, ...over });

describe('FileChallengeTokens.forIdentifier', () => {
  it('finds the newest unexpired answer of the type for the name, and nothing once it is deleted', async () => {
    const tokens = new FileChallengeTokens(tempDir(), () => 1_000);
    expect(await tokens.forIdentifier('www.example.test', 'tls-alpn-01')).toBeUndefined();
    await tokens.put(entry('older', { expiresAt: 4_000 }));
    await tokens.put(entry('newer', { expiresAt: 6_000 }));
    await tokens.put(entry('expired', { expiresAt: 999 }));
    await tokens.put(entry('http', { type: 'http-01', expiresAt: 9_000 }));
    await tokens.put(entry('other', { identifier: 'api.example.test', expiresAt: 9_000 }));
    expect((await tokens.forIdentifier('www.example.test', 'tls-alpn-01'))?.token).toBe('newer');
    expect((await tokens.forIdentifier('www.example.test', 'http-01'))?.token).toBe('http');
    await tokens.delete('newer');
    expect((await tokens.forIdentifier('www.example.test', 'tls-alpn-01'))?.token).toBe('older');
    await tokens.delete('older');
    expect(await tokens.forIdentifier('www.example.test', 'tls-alpn-01')).toBeUndefined();
  });
});
