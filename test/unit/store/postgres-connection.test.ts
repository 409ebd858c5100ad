import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertfleetError, ConfigError } from '../../../src/errors.js';
import { poolOptions, postgresConfigSchema, postgresError, redactUrl, resolvePostgresUrl } from '../../../src/store/postgres/connection.js';

const dir = mkdtempSync(join(tmpdir(), 'certfleet-pgconn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('store.postgres config', () => {
  it('takes exactly one of url, urlEnv, urlFile', () => {
    expect(postgresConfigSchema.safeParse({ url: 'postgres://db/certfleet' }).success).toBe(true);
    expect(postgresConfigSchema.safeParse({ urlEnv: 'PGURL', statementTimeout: '5s' }).success).toBe(true);
    for (const bad of [{}, { url: 'postgres://a/b', urlEnv: 'X' }, { urlEnv: 'X', urlFile: 'f' }, { url: 'postgres://a/b', extra: 1 }, { url: 'postgres://a/b', connectTimeout: 5 }]) {
      expect(postgresConfigSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('turns durations into pool options', () => {
    const config = postgresConfigSchema.parse({ url: 'postgres://db/x', connectTimeout: '2s', statementTimeout: '1m', maxConnections: 4 });
    expect(poolOptions(config)).toEqual({ maxConnections: 4, connectTimeoutMs: 2000, statementTimeoutMs: 60_000 });
    expect(poolOptions(postgresConfigSchema.parse({ url: 'postgres://db/x' }))).toEqual({});
  });

  it('resolves the URL from the config, the environment map or a file (trimmed, relative to the config)', () => {
    const ctx = { env: { PGURL: ' postgres://u:secret@db:5432/fleet\n' }, baseDir: dir };
    expect(resolvePostgresUrl({ url: 'postgresql://db/fleet' }, ctx)).toBe('postgresql://db/fleet');
    expect(resolvePostgresUrl({ urlEnv: 'PGURL' }, ctx)).toBe('postgres://u:secret@db:5432/fleet');
    writeFileSync(join(dir, 'url'), 'postgres://u:secret@db/fleet\n\n');
    expect(resolvePostgresUrl({ urlFile: 'url' }, ctx)).toBe('postgres://u:secret@db/fleet');
  });

  it('says what is wrong with the URL source, never showing a password', () => {
    const ctx = { env: {}, baseDir: dir };
    const message = (config: Parameters<typeof resolvePostgresUrl>[0]) => {
      try {
        resolvePostgresUrl(config, ctx);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a throw');
    };
    expect(message({ urlEnv: 'PGURL' })).toBe('store.postgres.urlEnv: environment variable PGURL is not set');
    expect(message({ urlFile: 'absent' })).toBe(`store.postgres.urlFile: cannot read ${join(dir, 'absent')}: ENOENT`);
    writeFileSync(join(dir, 'empty'), '  \n');
    expect(message({ urlFile: 'empty' })).toBe(`store.postgres.urlFile: ${join(dir, 'empty')} is empty`);
    expect(message({ url: 'mysql://u:hunter2@db/x' })).toBe('store.postgres: mysql://u:***@db/x is not a postgres:// URL');
    expect(message({ url: 'u:hunter2@db' })).toBe('store.postgres: u:***@db is not a postgres:// URL');
    expect(message({ url: 'postgres//u:hunter2@db' })).toBe('store.postgres: not a URL (postgres//u:***@db)');
  });
});

describe('redactUrl', () => {
  it('masks the password in the userinfo and in a password query parameter', () => {
    expect(redactUrl('postgres://certfleet:s3cr%40t@db.example:5432/fleet?sslmode=verify-full')).toBe(
      'postgres://certfleet:***@db.example:5432/fleet?sslmode=verify-full',
    );
    expect(redactUrl('postgres://db/fleet?user=a&password=s3cret')).toBe('postgres://db/fleet?user=a&password=***');
    expect(redactUrl('postgres://certfleet@db/fleet')).toBe('postgres://certfleet@db/fleet');
  });

  it('masks a password in text that is not a URL', () => {
    expect(redactUrl('postgres://user:pa ss@host:bad port/db')).toBe('postgres://user:***@host:bad port/db');
    expect(redactUrl('host=db password=s3cret dbname=x')).toBe('host=db password=*** dbname=x');
    expect(redactUrl('certfleet:s3cret@db/fleet')).toBe('certfleet:***@db/fleet');
  });
});

describe('postgresError', () => {
  const server = 'postgres://certfleet:***@db:5432/fleet';
  const driverError = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code });
  const cases: Array<[Error, string, RegExp]> = [
    [driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'postgres-unreachable', /server not reachable/],
    [driverError('getaddrinfo ENOTFOUND db', 'ENOTFOUND'), 'postgres-unreachable', /server not reachable/],
    [driverError('password authentication failed for user "certfleet"', '28P01'), 'postgres-auth', /authentication failed/],
    [driverError('no pg_hba.conf entry for host', '28000'), 'postgres-auth', /authentication failed/],
    [driverError('database "fleet" does not exist', '3D000'), 'postgres-database-missing', /the database does not exist/],
    [driverError('terminating connection due to administrator command', '57P01'), 'postgres-connection-lost', /shutting down or restarting/],
    [driverError('the database system is starting up', '57P03'), 'postgres-connection-lost', /shutting down or restarting/],
    [driverError('Connection terminated unexpectedly'), 'postgres-connection-lost', /connection was lost/],
    [driverError('canceling statement due to statement timeout', '57014'), 'postgres-timeout', /cancelled/],
    [driverError('timeout expired'), 'postgres-unreachable', /connect timeout/],
    [driverError('sorry, too many clients already', '53300'), 'postgres-unreachable', /refuses more connections/],
  ];

  it.each(cases)('%s -> %s', (err, code, message) => {
    const mapped = postgresError(err, server);
    expect(mapped).toBeInstanceOf(CertfleetError);
    const e = mapped as CertfleetError;
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`PostgreSQL at ${server}: `)).toBe(true);
    expect(e.message).toContain(err.message);
    expect(e.hint).toBeTruthy();
    expect(e.exitCode).toBe(2);
    expect(e.cause).toBe(err);
  });

  it('leaves SQL errors (bugs) and certfleet errors alone', () => {
    const syntax = driverError('syntax error at or near "SELEC"', '42601');
    expect(postgresError(syntax, server)).toBe(syntax);
    const own = new CertfleetError('x', 'y');
    expect(postgresError(own, server)).toBe(own);
  });
});
