/** The ACME module's public surface: the only way the rest of certfleet talks to a CA. */
export { AcmeClient, revocationReasons } from './client.js';
export type { AcmeClientOptions, AccountRequest, AccountInfo, OrderRequest, WaitOptions, RevocationReason, RevokeOptions } from './client.js';
export { issueCertificate } from './issue.js';
export type { IssueRequest, IssueOptions, IssuedCertificate } from './issue.js';
export { caPresets, stagingPresets, isCaPreset, resolveDirectoryUrl } from './directory.js';
export type { CaPreset, AcmeDirectory, DirectoryMeta } from './directory.js';
export { certificateIdentifier, clampRetryAfter, InvalidRenewalInfoError, parseRenewalInfo, renewalInfoUrl, DEFAULT_RENEWAL_INFO_POLL_SECONDS } from './ari.js';
export type { RenewalInfo } from './ari.js';
export { checkProfile, profileNames } from './profiles.js';
export { createCsr } from './csr.js';
export { jwkThumbprint, keyAuthorization, dnsTxtValue } from './key-authorization.js';
export type { AcmeOrder, AcmeAuthorization, AcmeChallenge, NewOrder, OrderStatus, AuthorizationStatus, ChallengeStatus } from './resources.js';
export type { ExternalAccountBinding } from './signer.js';
export type { TransportStats } from './transport.js';
export type { PollTiming } from './poll.js';
export {
  AcmeError,
  AcmeProblemError,
  AcmeTransportError,
  AcmeTimeoutError,
  AcmeValidationError,
  AcmeOrderError,
  AcmeProfileError,
  isAcmeProblem,
  shortProblemType,
} from './errors.js';
export type { AcmeProblem, AcmeSubproblem } from './errors.js';
