import type { CertificateInfo } from '../../x509/certificate.js';
import type { Finding } from '../../inventory/model.js';
import type { PolicyTimeline } from '../timeline.js';

export interface CheckContext {
  /** Evaluation time, epoch ms (injected: tests and `--as-of` move it). */
  now: number;
  timeline: PolicyTimeline;
}

/** A check looks at one certificate and returns a finding, or nothing. */
export type CertificateCheck = (cert: CertificateInfo, context: CheckContext) => Finding | undefined;
