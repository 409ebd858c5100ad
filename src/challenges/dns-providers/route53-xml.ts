/**
 * Route 53's XML, both ways: the few response shapes certfleet reads (hosted zones, record sets,
 * errors), parsed with fast-xml-parser into plain objects, and the ChangeBatch request written by
 * hand (one shape, every text escaped). API version 2013-04-01 is the only one Route 53 has.
 */
import { XMLParser } from 'fast-xml-parser';

export const ROUTE53_NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

export interface HostedZone {
  /** Without the "/hostedzone/" prefix: "Z1D633PJN98FT9". */
  id: string;
  /** As Route 53 writes it: absolute with the trailing dot, lower case. */
  name: string;
  privateZone: boolean;
}

export interface TxtSet {
  name: string;
  ttl: number;
  /** The rdata as Route 53 holds it: zone-file form, quoted. */
  values: string[];
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (tag) => tag === 'HostedZone' || tag === 'ResourceRecordSet' || tag === 'ResourceRecord',
});

type Node = Record<string, unknown>;

function parse(xml: string): Node {
  return parser.parse(xml) as Node;
}

function node(value: unknown): Node {
  return typeof value === 'object' && value !== null ? (value as Node) : {};
}

function list(value: unknown): Node[] {
  return Array.isArray(value) ? value.map(node) : [];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function hostedZone(zone: Node): HostedZone {
  return {
    id: text(zone.Id).replace(/^\/hostedzone\//, ''),
    name: text(zone.Name),
    privateZone: text(node(zone.Config).PrivateZone) === 'true',
  };
}

export function parseHostedZonesByName(xml: string): { zones: HostedZone[]; next?: { dnsName: string; hostedZoneId: string } } {
  const root = node(parse(xml).ListHostedZonesByNameResponse);
  const zones = list(node(root.HostedZones).HostedZone).map(hostedZone);
  const truncated = text(root.IsTruncated) === 'true';
  return truncated ? { zones, next: { dnsName: text(root.NextDNSName), hostedZoneId: text(root.NextHostedZoneId) } } : { zones };
}

export function parseGetHostedZone(xml: string): HostedZone {
  // HostedZone is parsed as a list everywhere (isArray); GetHostedZone has exactly one.
  return hostedZone(list(node(parse(xml).GetHostedZoneResponse).HostedZone)[0] ?? {});
}

/** The first set of ListResourceRecordSets, if it is the TXT set at `name` (the list starts there but runs on past it). */
export function parseTxtSet(xml: string, name: string): TxtSet | undefined {
  const sets = list(node(node(parse(xml).ListResourceRecordSetsResponse).ResourceRecordSets).ResourceRecordSet);
  const set = sets.find((s) => text(s.Name).toLowerCase() === `${name.toLowerCase()}.` && text(s.Type) === 'TXT' && s.SetIdentifier === undefined);
  if (!set) return undefined;
  return { name: text(set.Name), ttl: Number(text(set.TTL)), values: list(node(set.ResourceRecords).ResourceRecord).map((r) => text(r.Value)) };
}

/** Route 53's error: `<ErrorResponse><Error><Code>…</Code><Message>…</Message></Error>` (or `<InvalidChangeBatch><Messages>` for a refused batch). */
export function parseError(xml: string): { code: string; message: string } | undefined {
  let root: Node;
  try {
    root = parse(xml);
  } catch {
    return undefined;
  }
  const error = node(node(root.ErrorResponse).Error);
  if (error.Code !== undefined) return { code: text(error.Code), message: text(error.Message) };
  const batch = node(root.InvalidChangeBatch);
  if (batch.Messages !== undefined) {
    const messages = node(batch.Messages).Message;
    return { code: 'InvalidChangeBatch', message: (Array.isArray(messages) ? messages.map(text) : [text(messages)]).join('; ') };
  }
  return undefined;
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * One change of a TXT set: DELETE names the set exactly as it is (Route 53 refuses the batch when it
 * is not), CREATE the set as it must be (refused when one exists). A batch applies all or nothing.
 */
export interface TxtChange {
  action: 'CREATE' | 'DELETE';
  set: TxtSet;
}

/** A ChangeBatch of these changes, in order. */
export function changeBatchXml(changes: readonly TxtChange[], comment: string): string {
  const change = ({ action, set }: TxtChange) =>
    `<Change><Action>${action}</Action><ResourceRecordSet><Name>${escape(set.name)}</Name><Type>TXT</Type><TTL>${set.ttl}</TTL>` +
    `<ResourceRecords>${set.values.map((v) => `<ResourceRecord><Value>${escape(v)}</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet></Change>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<ChangeResourceRecordSetsRequest xmlns="${ROUTE53_NS}"><ChangeBatch><Comment>${escape(comment)}</Comment><Changes>${changes.map(change).join('')}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`
  );
}
