/**
 * The parts of DNS messages we write ourselves: RFC 2136 UPDATE messages (read back with
 * dns-packet's decoder) and TSIG records (layout per RFC 8945, MAC recomputed here from the
 * RFC's list of what it covers). BIND accepting them is tested in the integration suite.
 */
import { createHmac } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { signRequest, verifyResponse, type TsigKey } from '../../../src/challenges/dns/tsig.js';
import { challengeRecordName } from '../../../src/challenges/dns/zone.js';
import { encodeRecord, encodeUpdate, lastAdditional, txtValues, decodeMessage } from '../../../src/challenges/dns/wire.js';

const key: TsigKey = { name: 'Update-Key', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 9) };

describe('UPDATE messages', () => {
  it('adds in class IN with the TTL, deletes one exact RR in class NONE with TTL 0', () => {
    const message = encodeUpdate(0x1234, 'Example.TEST', [
      { action: 'add', name: '_acme-challenge.www.example.test.', ttl: 60, txt: 'value-1' },
      { action: 'delete', name: '_acme-challenge.www.example.test.', ttl: 0, txt: 'value-2' },
    ]);
    expect(message.readUInt16BE(2) >> 11).toBe(5); // opcode UPDATE
    const decoded = dnsPacket.decode(message);
    expect(decoded.id).toBe(0x1234);
    // dns-packet reads the zone section as the question section, the (empty) prerequisites as
    // answers and the updates as the authority section.
    expect(decoded.questions).toEqual([{ name: 'example.test', type: 'SOA', class: 'IN' }]);
    expect(decoded.answers).toEqual([]);
    const [add, del] = decoded.authorities as Array<{ name: string; type: string; class: string; ttl: number; data: Buffer[] }>;
    expect(add).toMatchObject({ name: '_acme-challenge.www.example.test', type: 'TXT', class: 'IN', ttl: 60 });
    expect(add?.data.map(String)).toEqual(['value-1']);
    expect(del).toMatchObject({ type: 'TXT', class: 'UNKNOWN_254', ttl: 0 });
    expect(del?.data.map(String)).toEqual(['value-2']);
  });

  it('makes the challenge name of a domain, wildcard or not', () => {
    expect(challengeRecordName('WWW.Example.test')).toBe('_acme-challenge.www.example.test.');
    expect(challengeRecordName('*.example.test')).toBe('_acme-challenge.example.test.');
  });
});

describe('TSIG', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  it('appends a TSIG record whose MAC covers the message and the TSIG variables', () => {
    const unsigned = encodeUpdate(7, 'example.test', [{ action: 'add', name: '_acme-challenge.example.test', ttl: 60, txt: 'v' }]);
    const { message, mac } = signRequest(unsigned, key, now);
    expect(message.readUInt16BE(10)).toBe(1); // ARCOUNT
    const record = lastAdditional(message);
    expect(record).toMatchObject({ offset: unsigned.length, name: 'update-key', type: 250, klass: 255 });
    const rdata = record?.rdata as Buffer;
    const algorithm = Buffer.from('\x0bhmac-sha256\x00', 'latin1');
    expect(rdata.subarray(0, algorithm.length)).toEqual(algorithm);
    const time = rdata.readUIntBE(algorithm.length, 6);
    expect(time).toBe(now.getTime() / 1000);
    expect(rdata.readUInt16BE(algorithm.length + 6)).toBe(300); // fudge
    expect(rdata.readUInt16BE(algorithm.length + 8)).toBe(32); // MAC size
    expect(rdata.subarray(algorithm.length + 10, algorithm.length + 42)).toEqual(mac);
    expect(rdata.readUInt16BE(algorithm.length + 42)).toBe(7); // original ID

    // RFC 8945 section 4.3.3: key name (canonical: lower case), class ANY, TTL 0, algorithm,
    // time signed, fudge, error, other len.
    const variables = Buffer.concat([
      Buffer.from('\x0aupdate-key\x00', 'latin1'),
      Buffer.from([0, 255, 0, 0, 0, 0]),
      algorithm,
      rdata.subarray(algorithm.length, algorithm.length + 8),
      Buffer.from([0, 0, 0, 0]),
    ]);
    expect(mac).toEqual(createHmac('sha256', key.secret).update(unsigned).update(variables).digest());
  });

  function response(id: number, tsigRdata: Buffer): Buffer {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(0x8000 | (5 << 11) | 9, 2); // response, UPDATE, NOTAUTH
    header.writeUInt16BE(1, 10);
    return Buffer.concat([header, encodeRecord('update-key', 250, 255, 0, tsigRdata)]);
  }

  it('reads the TSIG error of a refused request (BADKEY) from an unsigned TSIG record', () => {
    const algorithm = Buffer.from('\x0bhmac-sha256\x00', 'latin1');
    const rdata = Buffer.concat([algorithm, Buffer.from([0, 0, 0x69, 0xa4, 0x2a, 0xc0]), Buffer.from([1, 44, 0, 0, 0, 7, 0, 17, 0, 0])]);
    expect(verifyResponse(response(7, rdata), key, Buffer.alloc(32), now)).toEqual({ status: 'error', error: 17, errorName: 'BADKEY' });
  });

  it('calls a response without TSIG unsigned, and refuses a response signed by another key', () => {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(0x8000, 2);
    expect(verifyResponse(header, key, Buffer.alloc(32), now)).toEqual({ status: 'unsigned' });
    const other = signRequest(header, { ...key, name: 'other-key' }, now).message;
    expect(() => verifyResponse(other, key, Buffer.alloc(32), now)).toThrow('response signed with another key');
  });

  it('reads multi-string TXT answers as one value', () => {
    const message = dnsPacket.encode({
      type: 'response',
      id: 1,
      answers: [{ type: 'TXT', name: '_acme-challenge.example.test', data: ['abc', 'def'] }, { type: 'TXT', name: 'other.example.test', data: 'x' }],
    });
    expect(txtValues(decodeMessage(message), '_acme-challenge.Example.test.')).toEqual(['abcdef']);
  });
});
