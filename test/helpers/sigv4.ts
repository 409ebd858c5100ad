/**
 * An AWS Signature Version 4 checker for recorded exchanges, written from AWS's description of the
 * algorithm and independent of the signer the client uses (aws4): it rebuilds the canonical request
 * and the string to sign from what was actually sent and recomputes the signature. Its tests run it
 * on AWS's published SigV4 test suite vectors first, so a pass here means "signed as AWS documents".
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac } from 'node:crypto';

export interface SentRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

export interface SigV4Check {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  canonicalRequest: string;
  stringToSign: string;
  /** What the signature must be for this request and secret. */
  expectedSignature: string;
  /** What the request carried. */
  signature: string;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), as SigV4 wants. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function checkSigV4(request: SentRequest, secretAccessKey: string): SigV4Check {
  const authorization = request.headers.get('authorization') ?? '';
  const match = AUTHORIZATION.exec(authorization);
  if (!match) throw new Error(`not a SigV4 Authorization header: ${authorization}`);
  const [, accessKeyId, date, region, service, signedList, signature] = match as unknown as [string, string, string, string, string, string, string];
  const url = new URL(request.url);
  const amzDate = request.headers.get('x-amz-date') ?? '';
  const signedHeaders = signedList.split(';');
  // Non-S3 services: each path segment encoded (again), the query sorted by encoded name then value.
  const canonicalUri = url.pathname.split('/').map((segment) => uriEncode(decodeURIComponent(segment))).join('/');
  const canonicalQuery = [...url.searchParams.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerValue = (name: string) => (name === 'host' ? (request.headers.get('host') ?? url.host) : (request.headers.get(name) ?? '')).trim().replace(/\s+/g, ' ');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${headerValue(h)}\n`).join('');
  const canonicalRequest = [request.method, canonicalUri, canonicalQuery, canonicalHeaders, signedList, sha256(request.body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  const expectedSignature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return { accessKeyId, date, region, service, signedHeaders, canonicalRequest, stringToSign, expectedSignature, signature };
}
