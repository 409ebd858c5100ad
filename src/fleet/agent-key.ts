/**
 * The agent's own key pair (X25519): the runner wraps each version's private key to the public half
 * (store/key-wrap.ts), and only this host can unwrap it, without the store's data key. The private
 * half lives in the agent's state directory, 0600, made on first use and never replaced by certfleet:
 * a new key pair would leave every key wrapped to the old one unreadable until wrapped again.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertfleetError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { HostKeyRecords } from '../store/ports.js';
import { fingerprintLabel as short, hostKeyFingerprint, parseHostPrivateKey, publicKeyPem } from '../store/key-wrap.js';
import { readSecretFile } from '../store/secret-file.js';

export const AGENT_KEY_FILE = 'agent-key.pem';

export interface AgentKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  /** hostKeyFingerprint: what the store's host_keys row must name for wrapped keys to be this agent's. */
  fingerprint: string;
  path: string;
  /** Made now (first start). */
  created: boolean;
}

/**
 * The key pair in `<stateDir>/agent-key.pem`, made when missing. Two agents starting at once on one
 * state directory end with the same key: the file appears whole (written aside, then linked, which
 * never replaces) and the loser reads the winner's.
 */
export function loadOrCreateAgentKey(stateDir: string, warn: (message: string) => void): AgentKey {
  const path = join(stateDir, AGENT_KEY_FILE);
  const existing = readKey(path, warn);
  if (existing) return existing;
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('x25519');
  const temp = join(stateDir, `.${AGENT_KEY_FILE}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeFileSync(fd, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return readKey(path, warn)!;
    }
  } catch (err) {
    if (err instanceof CertfleetError) throw err;
    throw new CertfleetError('agent-key-write', `cannot write the agent's key ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { hint: 'the state directory must be writable by the agent (give --state-dir)', cause: err });
  } finally {
    rmSync(temp, { force: true });
  }
  return { privateKey, publicKeyPem: publicKeyPem(privateKey), fingerprint: hostKeyFingerprint(privateKey), path, created: true };
}

function readKey(path: string, warn: (message: string) => void): AgentKey | undefined {
  let content: Buffer;
  try {
    content = readSecretFile(path, warn);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CertfleetError('agent-key-read', `cannot read the agent's key ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  const privateKey = parseHostPrivateKey(content, path);
  return { privateKey, publicKeyPem: publicKeyPem(privateKey), fingerprint: hostKeyFingerprint(privateKey), path, created: false };
}

/**
 * The agent's start: its key registered for its host when the host has none (an agent role may
 * insert its own host's row, never change one). A host that has another key registered keeps it:
 * replacing it is the operator's decision (store grant-agent --public-key), said here with both
 * fingerprints. Never throws: without a registered key the agent uses the data key, if it has one.
 */
export async function registerAgentKey(host: string, key: AgentKey, records: HostKeyRecords, logger: Logger): Promise<'registered' | 'already' | 'other-key' | 'failed'> {
  try {
    const { key: registered, changed } = await records.register(host, key.publicKeyPem);
    if (changed) {
      logger.info(`registered this agent's public key for host ${host} (${short(key.fingerprint)}); runners wrap its certificates' keys to it from their next run`);
      return 'registered';
    }
    if (registered.fingerprint === key.fingerprint) return 'already';
    logger.warn(
      `host ${host} has another public key registered (${short(registered.fingerprint)}); this agent's is ${short(key.fingerprint)} (${key.path}): keys wrapped to the other are not readable here, so the store's data key is used if configured; to register this one: certfleet agent --print-public-key > ${host}.pub, then certfleet store grant-agent --host ${host} --public-key ${host}.pub`,
    );
    return 'other-key';
  } catch (err) {
    logger.warn(`this agent's public key could not be registered for host ${host}: ${describeError(err)}; the store's data key is used if configured`);
    return 'failed';
  }
}
