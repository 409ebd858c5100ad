/**
 * The spec checks of a challenge with `agents: true` (agents-challenge-config for http-01,
 * tls-alpn-agents-solver for tls-alpn-01): a config with one certificate `web` whose challenge is
 * `challenge` (its own `challenge` key overrides it), resolved as renew resolves it, on the
 * PostgreSQL store unless `extra` says otherwise; `refusal` is the ConfigError (exit 2) it must end in.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { resolveRenewSettings } from '../../src/config/renew-options.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from './pki.js';

const postgres = { store: { postgres: { urlEnv: 'DB' }, encryptionKeyFile: '/k' } };

export function agentsChallengeSpec(challenge: Record<string, unknown>) {
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

  return { resolveWith, refusal };
}
