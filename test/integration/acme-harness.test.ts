/**
 * The Pebble harness itself: both processes come up on loopback, answer, restart on the same
 * ports with a new root, and go away when stopped.
 */
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('Pebble harness', () => {
  let pebble: RunningPebble;
  beforeAll(async () => {
    pebble = await startPebble();
  });
  afterAll(async () => {
    await pebble?.stop();
  });

  it('serves the directory over HTTPS trusted through the throwaway CA', async () => {
    const res = await fetch(pebble.directoryUrl).catch((err: unknown) => err);
    // Node's fetch does not trust the throwaway CA: the harness's CA bundle is required.
    expect(res).toBeInstanceOf(Error);
    const roots = await pebble.rootsPem();
    expect(roots).toContain('BEGIN CERTIFICATE');
    expect(await pebble.intermediatesPem()).toContain('BEGIN CERTIFICATE');
    expect(await pebble.certStatus('abcdef')).toBeUndefined();
  });

  it('answers DNS through challtestsrv: TXT records we set, every name at 127.0.0.1, no AAAA', async () => {
    const resolver = new Resolver();
    resolver.setServers([pebble.dnsServer]);
    await pebble.setTxt('_acme-challenge.a.test', 'value-1');
    expect(await resolver.resolveTxt('_acme-challenge.a.test')).toEqual([['value-1']]);
    await pebble.clearTxt('_acme-challenge.a.test');
    await expect(resolver.resolveTxt('_acme-challenge.a.test')).rejects.toThrow();
    expect(await resolver.resolve4('anything.test')).toEqual(['127.0.0.1']);
    await expect(resolver.resolve6('anything.test')).rejects.toThrow();
  });

  it('stops both processes: nothing listens on their ports afterwards', async () => {
    const other = await startPebble();
    const ports = [new URL(other.directoryUrl).port, new URL(other.managementUrl).port, other.dnsServer.split(':')[1]!].map(Number);
    for (const port of ports) expect(await refused(port)).toBe(false);
    await other.stop();
    for (const port of ports) expect(await refused(port)).toBe(true);
  });

  it('restarts on the same ports with a new root', async () => {
    const before = await pebble.rootsPem();
    const url = pebble.directoryUrl;
    await pebble.restart();
    expect(pebble.directoryUrl).toBe(url);
    expect(await pebble.rootsPem()).not.toBe(before);
  });
});
