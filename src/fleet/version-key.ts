/**
 * Which key an agent deploys a version with, and how it got it: unwrapped with the agent's own key
 * when the runner wrapped the version's key to this host's registered key (store/key-wrap.ts), else
 * decrypted with the store's data key when the agent's config has it (agents not registered yet).
 * Neither: one error that names both missing pieces.
 */
import { CertfleetError, ExitCode } from '../errors.js';
import { fingerprintLabel as short, unwrapForHost } from '../store/key-wrap.js';
import type { HostKeyRecords, IssuedVersion, VersionFiles } from '../store/ports.js';
import type { AgentKey } from './agent-key.js';

export type KeyPath = 'host-key' | 'data-key';

export interface HostKeyAccess {
  host: string;
  /** This agent's key pair (agent-key.ts); absent when it has none. */
  own: AgentKey | undefined;
  /** The store's wrapped keys; absent on a store without them. */
  records: HostKeyRecords | undefined;
}

/**
 * The version's files with the key read, the path that read it (for the log: never the key), and
 * whether the runners were asked to wrap this host's copy (none was wrapped to this agent's key).
 */
export async function filesForHost(
  name: string,
  current: { version: IssuedVersion; files: VersionFiles },
  access: HostKeyAccess,
): Promise<{ files: VersionFiles; via: KeyPath; requested: boolean }> {
  const { certPem, chainPem, fullchainPem } = current.files;
  let stale: string | undefined;
  let requested = false;
  if (access.own !== undefined && access.records !== undefined) {
    const wrapped = await access.records.wrapped(name, current.version.id, access.host);
    if (wrapped !== undefined && wrapped.fingerprint === access.own.fingerprint) {
      const keyPem = unwrapForHost(access.own.privateKey, wrapped.wrapped, { certificate: name, version: current.version.id, host: access.host });
      return { files: { certPem, chainPem, fullchainPem, keyPem }, via: 'host-key', requested };
    }
    if (wrapped !== undefined) stale = `the key wrapped for host ${access.host} is for host key ${short(wrapped.fingerprint)}, this agent's is ${short(access.own.fingerprint)}`;
    // The next runner's pass wraps it (a host registered while the version was being stored, a spec that just named the host).
    requested = await access.records.requestWrap(access.host, access.own.fingerprint).catch(() => false);
  }
  try {
    return { files: { certPem, chainPem, fullchainPem, keyPem: current.files.keyPem }, via: 'data-key', requested };
  } catch (err) {
    if (!(err instanceof CertfleetError) || err.code !== 'store-key-missing') throw err;
    const why = stale ?? (access.own === undefined ? 'this agent has no key pair' : `no key of version ${current.version.id} is wrapped to host ${access.host}'s key ${short(access.own.fingerprint)} yet`);
    const next = requested ? ' (the next certfleet renew wraps it: asked)' : '';
    throw new CertfleetError('agent-key-missing', `the private key of ${name} cannot be read: ${why}${next}, and the config names no store.encryptionKeyFile`, {
      exitCode: ExitCode.usage,
      hint: `runners wrap the keys of registered hosts (certfleet renew); check that host ${access.host}'s registered key is this agent's (certfleet agent --print-public-key; certfleet store grant-agent --host ${access.host} --public-key FILE) or configure store.encryptionKeyFile`,
      cause: err,
    });
  }
}
