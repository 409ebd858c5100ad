import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { resolveRenewSettings } from '../../../src/config/renew-options.js';
import { ConfigError, ExitCode } from '../../../src/errors.js';
import { openStateStore } from '../../../src/store/open-store.js';
import { silentLogger } from '../../../src/logger.js';

const pg = { url: 'postgres://certfleet@127.0.0.1/certfleet' };

function configError(raw: unknown): ConfigError {
  try {
    validateConfig(raw, 'c.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('the config was accepted');
}

describe('the store section', () => {
  it('is optional: without it, renew keeps its state in the state directory', async () => {
    const settings = await resolveRenewSettings(validateConfig({ stateDir: 's' }, 'c.yaml'), { cwd: '/srv', env: {}, configFile: '/etc/certfleet/c.yaml', defaultStateDir: '/var/lib/certfleet' });
    expect(settings.stateDir).toBe('/etc/certfleet/s');
    expect(settings.store).toBeUndefined();
  });

  it('resolves a postgres store with its key settings and the config directory, reading no secret yet', async () => {
    const config = validateConfig({ store: { postgres: { urlEnv: 'CERTFLEET_DB' }, encryptionKeyFile: 'key', previousEncryptionKeyFiles: ['old'] } }, 'c.yaml');
    // CERTFLEET_DB is not set and `key` does not exist: both are read when the store is opened, not here.
    const settings = await resolveRenewSettings(config, { cwd: '/srv', env: {}, configFile: '/etc/certfleet/c.yaml', defaultStateDir: '/var/lib/certfleet' });
    expect(settings.store).toEqual({
      kind: 'postgres',
      postgres: { urlEnv: 'CERTFLEET_DB' },
      encryption: { encryptionKeyFile: 'key', previousEncryptionKeyFiles: ['old'] },
      baseDir: '/etc/certfleet',
    });
  });

  it('refuses to open a postgres store without an encryption key (exit 2, before connecting), saying how to make one; only an agent may go without', async () => {
    // The config is accepted (an agent's config may leave the key out); opening it for anything else is refused.
    const config = validateConfig({ store: { postgres: { url: 'postgres://certfleet@127.0.0.1:1/unreachable' } } }, 'c.yaml');
    const settings = await resolveRenewSettings(config, { cwd: '/srv', env: {}, configFile: '/etc/certfleet/c.yaml', defaultStateDir: '/var/lib/certfleet' });
    const io = { env: {}, pid: 1, now: () => new Date(), logger: silentLogger };
    const err = await openStateStore(settings, io).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(ExitCode.usage);
    expect((err as ConfigError).message).toMatch(/store: the PostgreSQL store keeps private keys encrypted and needs a key: set encryptionKeyFile \(generate one with `openssl rand -hex 32`\) or encryptionKeyEnv/);
    // The agent's open goes on to the server (port 1: unreachable), so the key was not what stopped it.
    const agent = await openStateStore(settings, io, { dataKey: 'optional' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((agent as { code?: string }).code).toBe('postgres-unreachable');
  });

  it('takes a key without store.postgres (the database is then named by --store), and refuses two current keys', () => {
    expect(() => validateConfig({ store: { encryptionKeyFile: '/k' } }, 'certfleet.config.yaml')).not.toThrow();
    expect(configError({ store: { postgres: pg, encryptionKeyFile: '/k', encryptionKeyEnv: 'K' } }).message).toMatch(/store\.encryptionKeyEnv: give one of encryptionKeyFile or encryptionKeyEnv, not both/);
  });

  it('gives unknown keys the did-you-mean treatment, at both levels', () => {
    expect(configError({ store: { postgres: pg, encryptionKeyFlie: '/k' } }).message).toMatch(/store\.encryptionKeyFlie: unknown key; did you mean "encryptionKeyFile"\?/);
    expect(configError({ store: { postgers: pg, encryptionKeyFile: '/k' } }).message).toMatch(/store\.postgers: unknown key; did you mean "postgres"\?/);
    expect(configError({ store: { postgres: { ur: 'postgres://h/db' }, encryptionKeyFile: '/k' } }).message).toMatch(/store\.postgres\.ur: unknown key; did you mean "url"\?/);
    expect(configError({ stor: { postgres: pg } }).message).toMatch(/stor: unknown key; did you mean "store"\?/);
  });

  it('needs exactly one source of the URL', () => {
    expect(configError({ store: { postgres: { url: pg.url, urlEnv: 'DB' }, encryptionKeyFile: '/k' } }).message).toMatch(/store\.postgres: give exactly one of url, urlEnv or urlFile/);
  });
});
