/**
 * `challenge: { type: http-01, agents: true }` in a certificate spec: resolved with store.postgres
 * and hosts; without the shared store or without hosts a ConfigError (exit 2) naming the
 * certificate's challenge, since no agent would answer the CA.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { resolveRenewSettings } from '../../../src/config/renew-options.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/pki.js';

const challenge = { type: 'http-01', agents: true };
const deploy = { cert: '/etc/tls/web.pem', key: '/etc/tls/web.key' };
const postgres = { store: { postgres: { urlEnv: 'DB' }, encryptionKeyFile: '/k' } };

async function resolveWith(cert: Record<string, unknown>, extra: Record<string, unknown> = postgres) {
  const config = validateConfig({ acme: { server: 'letsencrypt' }, certificates: [{ name: 'web', domains: ['web.example.com'], challenge, ...cert }], ...extra }, 'c.yaml');
  const dir = tempDir();
  return resolveRenewSettings(config, { cwd: dir, env: {}, configFile: join(dir, 'certfleet.config.yaml'), defaultStateDir: join(dir, 'state') });
}

async function refusal(cert: Record<string, unknown>, extra?: Record<string, unknown>): Promise<ConfigError> {
  const err = await resolveWith(cert, extra).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(err)}`);
  expect(err.exitCode).toBe(2);
  return err;
}

describe('http-01 agents: true in a certificate spec', () => {
  it('is resolved with store.postgres and hosts', async () => {
    const cert = (await resolveWith({ hosts: ['a', 'b'], deploy })).certificates[0]!;
    expect(cert.challenge).toEqual({ type: 'http-01', agents: true });
    expect(cert.hosts).toEqual(['a', 'b']);
  });

  it('needs hosts: without them no agent answers for the names', async () => {
    const err = await refusal({ deploy });
    expect(err.message).toBe('certificates[0] (web).challenge: http-01 with agents: true needs hosts: the agents of those hosts answer the CA');
    expect(err.hint).toMatch(/certfleet agent --http-01-listen/);
  });

  it('needs store.postgres: the file store is no store the agents share', async () => {
    const err = await refusal({ deploy }, {});
    expect(err.message).toBe('certificates[0] (web).challenge: http-01 with agents: true needs store.postgres: the agents serve the answers from the shared store');
  });
});
