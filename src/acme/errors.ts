/**
 * What can go wrong talking to an ACME server, as types the renewal code can act on:
 * the CA said no (a problem document, RFC 8555 6.7 / RFC 7807), the CA could not be reached
 * (the real socket/TLS cause, never acme-client's "reading 'config'"), the CA took too long,
 * a challenge failed validation, or the configuration asks for something this CA does not offer.
 */
import { CertfleetError, ExitCode } from '../errors.js';

const ACME_ERROR_PREFIX = 'urn:ietf:params:acme:error:';

export interface AcmeSubproblem {
  type: string;
  detail?: string;
  /** The identifier value the subproblem is about (RFC 8555 6.7.1). */
  identifier?: string;
}

/** An RFC 7807 problem document as an ACME server sends it. */
export interface AcmeProblem {
  /** Full type URN, e.g. `urn:ietf:params:acme:error:rateLimited`. */
  type: string;
  detail?: string;
  /** HTTP status the server put in the document (may differ from the response's). */
  status?: number;
  subproblems?: AcmeSubproblem[];
  /** e.g. the page a user must visit for `userActionRequired`. */
  instance?: string;
}

/** `urn:ietf:params:acme:error:badNonce` -> `badNonce`; other URNs unchanged. */
export function shortProblemType(type: string): string {
  return type.startsWith(ACME_ERROR_PREFIX) ? type.slice(ACME_ERROR_PREFIX.length) : type;
}

/** Base of every ACME failure. Exit code 1: the run failed; the user may not have done anything wrong. */
export class AcmeError extends CertfleetError {
  constructor(message: string, options: { code?: string; hint?: string; cause?: unknown; exitCode?: ExitCode } = {}) {
    super(options.code ?? 'acme', message, { exitCode: options.exitCode ?? ExitCode.findings, hint: options.hint, cause: options.cause });
    this.name = 'AcmeError';
  }
}

function problemHint(type: string, problem: AcmeProblem, retryAfterSeconds: number | undefined): string | undefined {
  switch (type) {
    case 'rateLimited':
      return retryAfterSeconds !== undefined
        ? `the CA rate-limits this request; it asks to wait ${retryAfterSeconds} s before trying again`
        : 'the CA rate-limits this request; certfleet backs off and tries again on a later run';
    case 'externalAccountRequired':
      return 'this CA requires External Account Binding: set acme.account.eab (kid and hmacKeyEnv) from the CA\'s dashboard';
    case 'userActionRequired':
      return problem.instance ? `visit ${problem.instance} (for example to accept new terms of service)` : undefined;
    case 'accountDoesNotExist':
      return 'the CA does not know this account key; `certfleet account register` creates the account';
    case 'invalidProfile':
      return 'the CA does not offer this profile (see its directory\'s meta.profiles); change acme.profile';
    case 'agreementRequired':
      return 'the CA requires agreeing to its terms of service (see meta.termsOfService in its directory)';
    case 'badCSR':
      return 'the CA rejected the key or names in the request; check the key type and the domains';
    case 'rejectedIdentifier':
      return 'the CA will not issue for one of the names (policy, CAA or a blocklist)';
    case 'caa':
      return 'a CAA record forbids this CA from issuing for the name';
    default:
      return undefined;
  }
}

function describeProblem(problem: AcmeProblem): string {
  const type = shortProblemType(problem.type);
  let text = problem.detail ? `${problem.detail} (${type})` : type;
  for (const sub of problem.subproblems ?? []) {
    text += `; ${sub.identifier ? `for ${sub.identifier}: ` : ''}${sub.detail ?? ''} (${shortProblemType(sub.type)})`;
  }
  return text;
}

/** The CA answered with an error document. */
export class AcmeProblemError extends AcmeError {
  readonly problem: AcmeProblem;
  /** HTTP status of the response. */
  readonly status: number;
  /** Short type: `rateLimited`, `badNonce`, `unauthorized`, ... (or the full URN for non-ACME types). */
  readonly type: string;
  readonly url: string;
  /** From the response's Retry-After header (rate limits, busy servers). */
  readonly retryAfterSeconds: number | undefined;

  constructor(action: string, url: string, status: number, problem: AcmeProblem, retryAfterSeconds?: number, hint?: string) {
    const type = shortProblemType(problem.type);
    super(`ACME server refused ${action} (HTTP ${status}): ${describeProblem(problem)}`, {
      code: `acme-${type}`,
      hint: hint ?? problemHint(type, problem, retryAfterSeconds),
      exitCode: type === 'invalidProfile' ? ExitCode.usage : ExitCode.findings,
    });
    this.name = 'AcmeProblemError';
    this.problem = problem;
    this.status = status;
    this.type = type;
    this.url = url;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The CA could not be reached or did not answer in time; `cause` is the real socket/TLS error. */
export class AcmeTransportError extends AcmeError {
  readonly url: string;
  /** Node's error code: ECONNREFUSED, ENOTFOUND, ETIMEDOUT, SELF_SIGNED_CERT_IN_CHAIN, ... */
  readonly causeCode: string | undefined;

  constructor(method: string, url: string, cause: unknown, hint?: string) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    const causeCode = typeof code === 'string' ? code : undefined;
    const text = cause instanceof Error ? cause.message : String(cause);
    // TLS errors' messages do not name their code ("unable to verify the first certificate"); add it.
    const reason = causeCode && !text.includes(causeCode) ? `${text} (${causeCode})` : text;
    super(`cannot reach the ACME server: ${method.toUpperCase()} ${url} failed: ${reason}`, { code: 'acme-transport', hint, cause });
    this.name = 'AcmeTransportError';
    this.url = url;
    this.causeCode = causeCode;
  }
}

/** We polled as long as we were willing to; the CA had not finished. */
export class AcmeTimeoutError extends AcmeError {
  readonly url: string;
  readonly lastStatus: string | undefined;

  constructor(what: string, url: string, timeoutMs: number, lastStatus: string | undefined) {
    super(`${what} ${url} was still ${lastStatus ?? 'unanswered'} after ${Math.round(timeoutMs / 1000)} s`, {
      code: 'acme-timeout',
      hint: 'the CA is slow or stuck; the next run tries again (the order may also be resumed by the CA)',
    });
    this.name = 'AcmeTimeoutError';
    this.url = url;
    this.lastStatus = lastStatus;
  }
}

/** An authorization ended other than valid: the CA could not validate a challenge. */
export class AcmeValidationError extends AcmeError {
  readonly identifier: string;
  readonly status: string;
  /** The failed challenge's type and error, when the CA said which one. */
  readonly challengeType: string | undefined;
  readonly problem: AcmeProblem | undefined;

  constructor(identifier: string, status: string, challengeType: string | undefined, problem: AcmeProblem | undefined) {
    const why = problem ? `: ${describeProblem(problem)}` : '';
    super(`validation of ${identifier} failed (authorization ${status}${challengeType ? `, ${challengeType}` : ''})${why}`, {
      code: 'acme-validation',
      hint: challengeType === 'dns-01'
        ? 'check that the TXT record is visible on every authoritative server for the name'
        : challengeType === 'dns-persist-01'
          ? 'check the _validation-persist record against the one `certfleet dns persist-record NAME` prints'
        : challengeType
          ? `check that the CA can reach this host for ${challengeType} (DNS points here, port open, nothing in between answers instead)`
          : undefined,
    });
    this.name = 'AcmeValidationError';
    this.identifier = identifier;
    this.status = status;
    this.challengeType = challengeType;
    this.problem = problem;
  }
}

/** An order ended `invalid` (after finalization, or because an authorization failed). */
export class AcmeOrderError extends AcmeError {
  readonly url: string;
  readonly problem: AcmeProblem | undefined;

  constructor(url: string, problem: AcmeProblem | undefined) {
    super(`order ${url} became invalid${problem ? `: ${describeProblem(problem)}` : ''}`, { code: 'acme-order-invalid' });
    this.name = 'AcmeOrderError';
    this.url = url;
    this.problem = problem;
  }
}

/** The configuration asks for a profile the CA does not offer (or the CA offers none). */
export class AcmeProfileError extends AcmeError {
  readonly requested: string;
  /** Profiles the CA offers (empty when its directory has no `meta.profiles`). */
  readonly available: string[];

  constructor(requested: string, available: string[], directoryUrl: string) {
    const message = available.length === 0
      ? `ACME profile "${requested}" requested, but the CA at ${directoryUrl} offers no profiles (its directory has no meta.profiles)`
      : `ACME profile "${requested}" is not offered by the CA at ${directoryUrl}; it offers: ${available.join(', ')}`;
    super(message, {
      code: 'acme-profile',
      exitCode: ExitCode.usage,
      hint: available.length === 0 ? 'remove acme.profile, or use a CA that supports ACME profiles' : `set acme.profile to one of: ${available.join(', ')}`,
    });
    this.name = 'AcmeProfileError';
    this.requested = requested;
    this.available = available;
  }
}

/** True when `err` is the CA's problem document of this short type. */
export function isAcmeProblem(err: unknown, type: string): err is AcmeProblemError {
  return err instanceof AcmeProblemError && err.type === type;
}
