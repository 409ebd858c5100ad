/** Signature algorithm OIDs we name, and which of them are weak (SHA-1, MD5, MD2). */
export const signatureAlgorithms: Record<string, { name: string; weak: boolean }> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', weak: true },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', weak: true },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', weak: true },
  '1.2.840.113549.1.1.10': { name: 'rsassaPss', weak: false },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', weak: false },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', weak: false },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', weak: false },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', weak: false },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', weak: true },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', weak: false },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', weak: false },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', weak: false },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', weak: false },
  '1.2.840.10040.4.3': { name: 'dsa-with-SHA1', weak: true },
  '1.3.101.112': { name: 'Ed25519', weak: false },
  '1.3.101.113': { name: 'Ed448', weak: false },
};

export const extensionOids = {
  authorityKeyIdentifier: '2.5.29.35',
  subjectKeyIdentifier: '2.5.29.14',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  tlsFeature: '1.3.6.1.5.5.7.1.24',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
} as const;

export const curveBits: Record<string, number> = {
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp224r1: 224,
  secp192r1: 192,
  prime192v1: 192,
};
