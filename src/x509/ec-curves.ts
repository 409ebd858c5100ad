/**
 * Elliptic curves as OpenSSL sizes them: the size `openssl x509 -text` prints ("Public-Key: (N bit)")
 * is the bit length of the group order (EVP_PKEY_get_bits), which is not always the field size
 * (secp224k1: 225, sect163r1: 162). One table for certificates and private keys.
 * Generated from `openssl ecparam -list_curves` and `openssl ecparam -name X -text` (OpenSSL 3.0.19).
 */

/** Named-curve OID -> [OpenSSL short name, key size in bits]. */
const namedCurves: Record<string, readonly [string, number]> = {
  '1.3.132.0.6': ['secp112r1', 112],
  '1.3.132.0.7': ['secp112r2', 110],
  '1.3.132.0.28': ['secp128r1', 128],
  '1.3.132.0.29': ['secp128r2', 126],
  '1.3.132.0.9': ['secp160k1', 161],
  '1.3.132.0.8': ['secp160r1', 161],
  '1.3.132.0.30': ['secp160r2', 161],
  '1.3.132.0.31': ['secp192k1', 192],
  '1.3.132.0.32': ['secp224k1', 225],
  '1.3.132.0.33': ['secp224r1', 224],
  '1.3.132.0.10': ['secp256k1', 256],
  '1.3.132.0.34': ['secp384r1', 384],
  '1.3.132.0.35': ['secp521r1', 521],
  '1.2.840.10045.3.1.1': ['prime192v1', 192],
  '1.2.840.10045.3.1.2': ['prime192v2', 192],
  '1.2.840.10045.3.1.3': ['prime192v3', 192],
  '1.2.840.10045.3.1.4': ['prime239v1', 239],
  '1.2.840.10045.3.1.5': ['prime239v2', 239],
  '1.2.840.10045.3.1.6': ['prime239v3', 239],
  '1.2.840.10045.3.1.7': ['prime256v1', 256],
  '1.3.132.0.4': ['sect113r1', 113],
  '1.3.132.0.5': ['sect113r2', 113],
  '1.3.132.0.22': ['sect131r1', 131],
  '1.3.132.0.23': ['sect131r2', 131],
  '1.3.132.0.1': ['sect163k1', 163],
  '1.3.132.0.2': ['sect163r1', 162],
  '1.3.132.0.15': ['sect163r2', 163],
  '1.3.132.0.24': ['sect193r1', 193],
  '1.3.132.0.25': ['sect193r2', 193],
  '1.3.132.0.26': ['sect233k1', 232],
  '1.3.132.0.27': ['sect233r1', 233],
  '1.3.132.0.3': ['sect239k1', 238],
  '1.3.132.0.16': ['sect283k1', 281],
  '1.3.132.0.17': ['sect283r1', 282],
  '1.3.132.0.36': ['sect409k1', 407],
  '1.3.132.0.37': ['sect409r1', 409],
  '1.3.132.0.38': ['sect571k1', 570],
  '1.3.132.0.39': ['sect571r1', 570],
  '1.2.840.10045.3.0.1': ['c2pnb163v1', 163],
  '1.2.840.10045.3.0.2': ['c2pnb163v2', 162],
  '1.2.840.10045.3.0.3': ['c2pnb163v3', 162],
  '1.2.840.10045.3.0.4': ['c2pnb176v1', 161],
  '1.2.840.10045.3.0.5': ['c2tnb191v1', 191],
  '1.2.840.10045.3.0.6': ['c2tnb191v2', 190],
  '1.2.840.10045.3.0.7': ['c2tnb191v3', 189],
  '1.2.840.10045.3.0.10': ['c2pnb208w1', 193],
  '1.2.840.10045.3.0.11': ['c2tnb239v1', 238],
  '1.2.840.10045.3.0.12': ['c2tnb239v2', 237],
  '1.2.840.10045.3.0.13': ['c2tnb239v3', 236],
  '1.2.840.10045.3.0.16': ['c2pnb272w1', 257],
  '1.2.840.10045.3.0.17': ['c2pnb304w1', 289],
  '1.2.840.10045.3.0.18': ['c2tnb359v1', 353],
  '1.2.840.10045.3.0.19': ['c2pnb368w1', 353],
  '1.2.840.10045.3.0.20': ['c2tnb431r1', 418],
  '2.23.43.1.4.1': ['wap-wsg-idm-ecid-wtls1', 112],
  '2.23.43.1.4.3': ['wap-wsg-idm-ecid-wtls3', 163],
  '2.23.43.1.4.4': ['wap-wsg-idm-ecid-wtls4', 113],
  '2.23.43.1.4.5': ['wap-wsg-idm-ecid-wtls5', 163],
  '2.23.43.1.4.6': ['wap-wsg-idm-ecid-wtls6', 112],
  '2.23.43.1.4.7': ['wap-wsg-idm-ecid-wtls7', 161],
  '2.23.43.1.4.8': ['wap-wsg-idm-ecid-wtls8', 113],
  '2.23.43.1.4.9': ['wap-wsg-idm-ecid-wtls9', 161],
  '2.23.43.1.4.10': ['wap-wsg-idm-ecid-wtls10', 232],
  '2.23.43.1.4.11': ['wap-wsg-idm-ecid-wtls11', 233],
  '2.23.43.1.4.12': ['wap-wsg-idm-ecid-wtls12', 224],
  '1.3.36.3.3.2.8.1.1.1': ['brainpoolP160r1', 160],
  '1.3.36.3.3.2.8.1.1.2': ['brainpoolP160t1', 160],
  '1.3.36.3.3.2.8.1.1.3': ['brainpoolP192r1', 192],
  '1.3.36.3.3.2.8.1.1.4': ['brainpoolP192t1', 192],
  '1.3.36.3.3.2.8.1.1.5': ['brainpoolP224r1', 224],
  '1.3.36.3.3.2.8.1.1.6': ['brainpoolP224t1', 224],
  '1.3.36.3.3.2.8.1.1.7': ['brainpoolP256r1', 256],
  '1.3.36.3.3.2.8.1.1.8': ['brainpoolP256t1', 256],
  '1.3.36.3.3.2.8.1.1.9': ['brainpoolP320r1', 320],
  '1.3.36.3.3.2.8.1.1.10': ['brainpoolP320t1', 320],
  '1.3.36.3.3.2.8.1.1.11': ['brainpoolP384r1', 384],
  '1.3.36.3.3.2.8.1.1.12': ['brainpoolP384t1', 384],
  '1.3.36.3.3.2.8.1.1.13': ['brainpoolP512r1', 512],
  '1.3.36.3.3.2.8.1.1.14': ['brainpoolP512t1', 512],
};

export function namedCurve(oid: string): { name: string; bits: number } | undefined {
  const entry = namedCurves[oid];
  return entry ? { name: entry[0], bits: entry[1] } : undefined;
}

const bitsByName = new Map(Object.values(namedCurves).map(([name, bits]) => [name, bits]));

/** Key size of a curve by OpenSSL or node:crypto name (node says P-256 where OpenSSL says prime256v1). */
export function curveBitsByName(name: string): number | undefined {
  return bitsByName.get(nodeCurveAliases[name] ?? name);
}

const nodeCurveAliases: Record<string, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1', 'P-224': 'secp224r1', 'P-192': 'prime192v1', secp256r1: 'prime256v1', secp192r1: 'prime192v1' };
