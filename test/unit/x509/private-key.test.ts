import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePemPrivateKey } from '../../../src/x509/private-key.js';
import { tempDir } from '../../helpers/pki.js';

describe('private key sizes as OpenSSL reports them', () => {
  const dir = tempDir('certfleet-keys-');
  const key = (name: string, ...opts: string[]): string => {
    const file = join(dir, `${name}.pem`);
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${name}`, ...opts, '-out', file], { stdio: 'ignore' });
    return readFileSync(file, 'latin1');
  };

  it.each([
    ['brainpoolP256r1', 256],
    ['brainpoolP384r1', 384],
    ['secp256k1', 256],
    ['secp224k1', 225], // OpenSSL sizes EC keys by the group order
  ])('%s: EC %i, not EC 0', (curve, bits) => {
    const info = describePemPrivateKey('PRIVATE KEY', '', key(curve), []);
    expect([info.keyType, info.keyBits]).toEqual(['EC', bits]);
  });

  it('explicit curve parameters: sized from the parameters', () => {
    const info = describePemPrivateKey('PRIVATE KEY', '', key('prime256v1', '-pkeyopt', 'ec_param_enc:explicit'), []);
    expect([info.keyType, info.keyBits]).toEqual(['EC', 256]);
  });
});
