/** For RenewSettings built by hand in tests: their `certificates` are all there is, no entry comes from a file. */
import type { SpecSource } from '../../src/config/certificate-files.js';

const none = () => Promise.reject(new Error('settings built by hand in a test have no certificate entries'));

export const noSpecs: SpecSource = { inline: [], files: [], read: none, fingerprint: () => Promise.resolve('no-specs'), resolve: none };
