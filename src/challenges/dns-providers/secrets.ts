/**
 * Where a challenge secret comes from, in one place for every secret a `challenge:` can hold (the
 * RFC 2136 TSIG secret and each DNS provider's): exactly one of `x` (inline), `xEnv` (an
 * environment variable) or `xFile` (a file); with none of them, lego's environment variables in
 * their order (each also as `<VAR>_FILE`, as lego reads them), so a lego user's environment works
 * as it is. Messages name the option and the variables, never a value.
 */
import { ConfigError } from '../../errors.js';
import type { DnsProviderDescriptor } from './descriptor.js';

export type Env = Readonly<Record<string, string | undefined>>;
export type ReadText = (path: string) => Promise<string>;

/** The three ways a secret `key` can be written in the config. */
export function secretKeys(key: string): [string, string, string] {
  return [key, `${key}Env`, `${key}File`];
}

/** The forms of `key` written in `written` (more than one is a config error). */
export function writtenForms(written: Readonly<Record<string, unknown>>, key: string): string[] {
  return secretKeys(key).filter((k) => written[k] !== undefined);
}

export interface SecretSource {
  /** The option's name in messages, e.g. `certificates[0].challenge.apiKey`. */
  where: string;
  inline?: string | undefined;
  env?: string | undefined;
  file?: string | undefined;
  /** Read when none of the three is written: lego's variables, preferred first. */
  legoEnv?: readonly string[];
  /** What the secret is, for the hint ("base64 TSIG secret"). */
  what?: string;
}

/** The secret and a description of where it came from (for messages: never the value). */
export interface ReadSecret {
  value: string;
  source: string;
}

/** One secret by the rules above; undefined when nothing is written and no lego variable is set. */
export async function readSecret(source: SecretSource, env: Env, readFile: ReadText): Promise<ReadSecret | undefined> {
  const written = [source.inline, source.env, source.file].filter((v) => v !== undefined).length;
  if (written > 1) throw new ConfigError(`${source.where}: give exactly one of ${secretKeys(lastSegment(source.where)).join(', ')}`);
  if (source.inline !== undefined) return { value: source.inline, source: source.where };
  if (source.env !== undefined) {
    const value = env[source.env];
    if (value === undefined || value === '') {
      throw new ConfigError(`${source.where}Env: environment variable ${source.env} is not set`, `export ${source.env}=<${source.what ?? 'the secret'}>`);
    }
    return { value, source: `environment variable ${source.env}` };
  }
  if (source.file !== undefined) return { value: await readSecretFile(source.file, `${source.where}File`, readFile), source: `file ${source.file}` };
  for (const name of source.legoEnv ?? []) {
    const value = env[name];
    if (value !== undefined && value !== '') return { value, source: `environment variable ${name}` };
    const file = env[`${name}_FILE`];
    if (file !== undefined && file !== '') return { value: await readSecretFile(file, `environment variable ${name}_FILE`, readFile), source: `file ${file} (${name}_FILE)` };
  }
  return undefined;
}

async function readSecretFile(path: string, where: string, readFile: ReadText): Promise<string> {
  try {
    // A file written by an editor or `echo` ends with a newline that is not part of the secret.
    return (await readFile(path)).trim();
  } catch (err) {
    throw new ConfigError(`${where}: cannot read ${path}: ${(err as Error).message}`, undefined, err);
  }
}

function lastSegment(where: string): string {
  return where.slice(where.lastIndexOf('.') + 1);
}

/** A provider's plain options and secrets as the factory takes them. */
export interface ResolvedProviderSettings {
  options: unknown;
  secrets: Record<string, string | undefined>;
}

/**
 * A provider's settings from the config as written (`written`: its plain options and secret
 * forms) and the environment: plain options fall back to their lego variable, then the
 * descriptor's schema applies its defaults and rules; secrets by readSecret(). `where` names the
 * config entry (e.g. `certificates[0].challenge`).
 */
export async function resolveProviderSettings(
  descriptor: DnsProviderDescriptor,
  written: Readonly<Record<string, unknown>>,
  env: Env,
  readFile: ReadText,
  where: string,
): Promise<ResolvedProviderSettings> {
  const plain: Record<string, unknown> = {};
  for (const option of descriptor.plainOptions) {
    const value = written[option.key] ?? option.legoEnv?.map((name) => env[name]).find((v) => v !== undefined && v !== '');
    if (value !== undefined) plain[option.key] = value;
  }
  const parsed = descriptor.options.safeParse(plain);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const option = descriptor.plainOptions.find((o) => o.key === key);
      const missing = plain[key] === undefined && option !== undefined;
      const lego = option?.legoEnv?.length ? ` (or lego's ${option.legoEnv.join(' / ')})` : '';
      return missing ? `${where}.${key}: required for provider ${descriptor.name}${lego}` : `${where}.${issue.path.join('.')}: ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'), `see \`certfleet dns providers\` for ${descriptor.name}'s options`);
  }
  const secrets: Record<string, string | undefined> = {};
  for (const secret of descriptor.secrets) {
    const [inline, envKey, fileKey] = secretKeys(secret.key);
    const read = await readSecret(
      { where: `${where}.${secret.key}`, inline: asString(written[inline]), env: asString(written[envKey]), file: asString(written[fileKey]), legoEnv: secret.legoEnv },
      env,
      readFile,
    );
    if (read !== undefined && read.value === '') throw new ConfigError(`${where}.${secret.key}: the secret from ${read.source} is empty`);
    secrets[secret.key] = read?.value;
    if (read === undefined && !secret.optional) throw missingSecret(descriptor, [secret.key], where);
  }
  if (descriptor.secretsSufficient && !descriptor.secretsSufficient(secrets)) {
    throw missingSecret(descriptor, descriptor.secrets.map((s) => s.key), where, true);
  }
  return { options: parsed.data, secrets };
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function missingSecret(descriptor: DnsProviderDescriptor, keys: readonly string[], where: string, alternatives = false): ConfigError {
  const described = keys.map((key) => {
    const secret = descriptor.secrets.find((s) => s.key === key);
    const lego = secret && secret.legoEnv.length > 0 ? ` or lego's ${secret.legoEnv.join(' / ')}` : '';
    return `${key} (${secretKeys(key).join(' | ')}${lego})`;
  });
  const message = alternatives
    ? `${where}: provider ${descriptor.name} needs one of its sets of credentials; given none that is complete: ${described.join(', ')}`
    : `${where}: provider ${descriptor.name} needs ${described.join(', ')}: none is set`;
  return new ConfigError(message, `give ${keys[0]}Env: VAR or ${keys[0]}File: PATH in the challenge, or export the lego variable; \`certfleet dns providers\` lists each provider's secrets`);
}
