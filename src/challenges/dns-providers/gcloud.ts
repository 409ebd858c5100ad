/**
 * Google Cloud DNS: API v1 with a service account's key. The key signs an RS256 JWT (node:crypto)
 * that is exchanged for an access token at Google's token endpoint (the OAuth2 JWT bearer grant),
 * kept for its lifetime. All TXT values at a name are one record set; a change names the set as it
 * was (deletions) and as it must be (additions), and Google refuses it (412/409) when the set changed
 * in between, so another writer's value is never dropped: we read again and retry.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { defineProvider, type ProviderDeps, type ProviderZone } from './descriptor.js';
import { DnsProviderError, providerRequest, type ProviderResponse } from './http.js';
import { cachedToken, readTokenResponse } from './oauth.js';
import { keyedQueue, quoteTxt, unquoteTxt } from './txt-set.js';
import { plainName, zoneCandidates } from './zone-match.js';

const PROVIDER = 'gcloud';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const DNS_API = 'https://dns.googleapis.com/dns/v1';
const SCOPE = 'https://www.googleapis.com/auth/ndev.clouddns.readwrite';
const ASSERTION_LIFETIME_S = 3600;
/** How often a change refused because the set moved underneath it is read and tried again. */
const CONFLICT_RETRIES = 3;

interface ServiceAccount {
  clientEmail: string;
  privateKeyId?: string;
  key: KeyObject;
  projectId?: string;
}

interface ResourceRecordSet {
  name: string;
  type: string;
  ttl: number;
  rrdatas: string[];
}

export const gcloudProvider = defineProvider({
  name: 'gcloud',
  title: 'Google Cloud DNS',
  apiReference: 'https://cloud.google.com/dns/docs/reference/rest/v1',
  options: z.object({
    /** The project that holds the zones (default: the service account's project_id). */
    project: z.string().min(1).optional(),
  }),
  plainOptions: [{ key: 'project', legoEnv: ['GCE_PROJECT'], description: "project ID (default: the service account key's project_id)" }],
  secrets: [{ key: 'serviceAccount', legoEnv: ['GCE_SERVICE_ACCOUNT'], description: 'the service account key (JSON, as downloaded; serviceAccountFile: its path)' }],
  create({ options, secrets }, deps) {
    const account = readServiceAccount(secrets.serviceAccount ?? '');
    const project = options.project ?? account.projectId;
    if (project === undefined) throw new ConfigError(`${PROVIDER}: no project: the service account key names none`, 'set project (GCE_PROJECT)');
    const token = cachedToken((signal) => requestToken(account, deps, signal), deps.now);
    const serialised = keyedQueue();
    const zonesUrl = `${DNS_API}/projects/${encodeURIComponent(project)}/managedZones`;

    async function call(method: 'GET' | 'POST', url: string, about: string, signal: AbortSignal, body?: unknown, accept?: number[]): Promise<ProviderResponse> {
      const headers = { authorization: `Bearer ${await token(signal)}` };
      const response = await providerRequest(PROVIDER, { method, url, headers, body, about }, deps, signal, { accept: [401, 403, 404, ...(accept ?? [])] });
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        throw new DnsProviderError(PROVIDER, `${about}: HTTP ${response.status}: ${googleMessage(response)}`, { status: response.status, hint: refusalHint(response.status, account.clientEmail) });
      }
      return response;
    }

    async function readSet(zone: ProviderZone, name: string, about: string, signal: AbortSignal): Promise<ResourceRecordSet | undefined> {
      const query = new URLSearchParams({ name: `${name}.`, type: 'TXT' });
      const response = await call('GET', `${zonesUrl}/${encodeURIComponent(zone.id)}/rrsets?${query}`, about, signal);
      const set = ((response.body as { rrsets?: ResourceRecordSet[] } | undefined)?.rrsets ?? []).find((s) => s.type === 'TXT' && plainName(s.name) === plainName(name));
      // Only the fields a change names: a deletion must match the set, and these are what it is.
      return set && { name: set.name, type: set.type, ttl: set.ttl, rrdatas: set.rrdatas };
    }

    /** Read the set, let `next` say what it must become (undefined: nothing to do), write it; again if the set moved. */
    async function update(zone: ProviderZone, name: string, about: string, signal: AbortSignal, next: (set: ResourceRecordSet | undefined) => ResourceRecordSet | null | undefined): Promise<void> {
      for (let attempt = 0; ; attempt++) {
        const set = await readSet(zone, name, about, signal);
        const wanted = next(set);
        if (wanted === undefined) return;
        const change = { ...(set ? { deletions: [set] } : {}), ...(wanted ? { additions: [wanted] } : {}) };
        const response = await call('POST', `${zonesUrl}/${encodeURIComponent(zone.id)}/changes`, about, signal, change, [409, 412]);
        if (response.status < 400) return;
        if (attempt >= CONFLICT_RETRIES) throw new DnsProviderError(PROVIDER, `${about}: HTTP ${response.status}: the record set kept changing underneath us: ${googleMessage(response)}`, { status: response.status });
        deps.logger?.info(`${PROVIDER}: the record set changed while we wrote it, reading it again`, { about });
      }
    }

    return {
      async findZone(name, signal) {
        for (const candidate of zoneCandidates(name)) {
          const about = `finding the zone of ${name} (asking for ${candidate})`;
          let pageToken: string | undefined;
          do {
            const query = new URLSearchParams({ dnsName: `${candidate}.`, ...(pageToken ? { pageToken } : {}) });
            const body = (await call('GET', `${zonesUrl}?${query}`, about, signal)).body as { managedZones?: Array<{ name: string; dnsName: string; visibility?: string }>; nextPageToken?: string } | undefined;
            // A private zone of the same name answers only inside its VPC, never to the CA.
            const zone = body?.managedZones?.find((z) => plainName(z.dnsName) === candidate && z.visibility !== 'private');
            if (zone) return { id: zone.name, name: candidate };
            pageToken = body?.nextPageToken;
          } while (pageToken);
        }
        throw new DnsProviderError(PROVIDER, `no public managed zone holding ${name} in project ${project}`, { hint: 'check the project (GCE_PROJECT) and that the service account may list its zones (dns.managedZones.list)' });
      },

      async createTxt(record, signal) {
        const about = `creating TXT ${record.name} in zone ${record.zone.name}`;
        await serialised(record.name.toLowerCase(), () =>
          update(record.zone, record.name, about, signal, (set) => {
            if (set?.rrdatas.some((r) => unquoteTxt(r) === record.value)) return undefined;
            return { name: `${record.name}.`, type: 'TXT', ttl: record.ttl, rrdatas: [...(set?.rrdatas ?? []), quoteTxt(record.value)] };
          }),
        );
        return { ...record };
      },

      async deleteTxt(record, signal) {
        const about = `deleting TXT ${record.name} in zone ${record.zone.name}`;
        await serialised(record.name.toLowerCase(), () =>
          update(record.zone, record.name, about, signal, (set) => {
            const rest = set?.rrdatas.filter((r) => unquoteTxt(r) !== record.value);
            if (!set || !rest || rest.length === set.rrdatas.length) return undefined;
            return rest.length === 0 ? null : { ...set, rrdatas: rest };
          }),
        );
      },
    };
  },
});

function readServiceAccount(json: string): ServiceAccount {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new ConfigError(`${PROVIDER}: the service account key is not JSON`, 'give the key file as downloaded from Google Cloud (serviceAccountFile: PATH, or GCE_SERVICE_ACCOUNT with its content)');
  }
  const { client_email: clientEmail, private_key: privateKey, private_key_id: privateKeyId, project_id: projectId } = parsed;
  if (typeof clientEmail !== 'string' || typeof privateKey !== 'string') throw new ConfigError(`${PROVIDER}: the service account key lacks client_email or private_key`, 'give a service account key (type "service_account"), not another kind of credential');
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKey);
  } catch (err) {
    throw new ConfigError(`${PROVIDER}: the service account key's private_key cannot be read: ${(err as Error).message}`, undefined, err);
  }
  return { clientEmail, key, ...(typeof privateKeyId === 'string' ? { privateKeyId } : {}), ...(typeof projectId === 'string' ? { projectId } : {}) };
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** The service account's signed assertion (RFC 7523), as Google documents for server-to-server OAuth. */
function serviceAccountAssertion(account: ServiceAccount, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(account.privateKeyId ? { kid: account.privateKeyId } : {}) };
  const claims = { iss: account.clientEmail, scope: SCOPE, aud: GOOGLE_TOKEN_URL, iat, exp: iat + ASSERTION_LIFETIME_S };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(sign('sha256', Buffer.from(input), account.key))}`;
}

async function requestToken(account: ServiceAccount, deps: ProviderDeps, signal: AbortSignal) {
  const about = `getting an access token for ${account.clientEmail}`;
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: serviceAccountAssertion(account, deps.now()) }).toString();
  const response = await providerRequest(PROVIDER, { method: 'POST', url: GOOGLE_TOKEN_URL, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, about }, deps, signal, { accept: [400, 401, 403] });
  const issued = response.status < 400 ? readTokenResponse(response.body) : undefined;
  if (issued) return issued;
  const { error, error_description: description } = (response.body ?? {}) as { error?: string; error_description?: string };
  throw new DnsProviderError(PROVIDER, `${about}: HTTP ${response.status}: ${error ?? 'no access token in the answer'}${description ? `: ${description}` : ''}`, {
    status: response.status,
    hint: 'the service account key was refused: check that the key is current (not deleted or disabled in IAM) and the clock is right',
  });
}

function googleMessage(response: ProviderResponse): string {
  const error = (response.body as { error?: { message?: string; errors?: Array<{ reason?: string }> } } | undefined)?.error;
  if (error?.message) return `${error.message}${error.errors?.[0]?.reason ? ` (${error.errors[0].reason})` : ''}`;
  return response.text.slice(0, 300);
}

function refusalHint(status: number, clientEmail: string): string {
  if (status === 404) return 'no such project or managed zone as this service account sees it: check project (GCE_PROJECT)';
  return `grant ${clientEmail} the DNS Administrator role (or dns.changes.create and dns.resourceRecordSets.list) on the project or zone`;
}
