import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseMac, formatMac, parseIpv4, formatIpv4 } from './address.ts';

describe('addresses', () => {
  it('parses and formats MAC addresses', () => {
    expect(Array.from(parseMac('02:00:00:00:0a:FF'))).toEqual([2, 0, 0, 0, 10, 255]);
    expect(Array.from(parseMac('2-0-0-0-a-ff'))).toEqual([2, 0, 0, 0, 10, 255]);
    expect(formatMac(Uint8Array.of(9, 9, 0xde, 0xad, 0xbe, 0xef, 1, 2), 2)).toBe('de:ad:be:ef:01:02');
  });

  it('parses and formats IPv4 addresses', () => {
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIpv4(0xc0a80101)).toBe('192.168.1.1');
    expect(formatIpv4(0)).toBe('0.0.0.0');
  });

  it('throws a clear Error on bad text', () => {
    expect(() => parseMac('02:00:00:00:00')).toThrow('not a MAC address: "02:00:00:00:00"');
    expect(() => parseMac('02:00:00:00:00:0g')).toThrow('not a MAC address');
    expect(() => parseMac('')).toThrow('not a MAC address');
    expect(() => parseIpv4('10.0.0.256')).toThrow('not an IPv4 address: "10.0.0.256"');
    expect(() => parseIpv4('10.0.0')).toThrow('not an IPv4 address');
    expect(() => parseIpv4('10.0.0.01')).toThrow('not an IPv4 address');
    expect(() => parseIpv4(' 10.0.0.1')).toThrow('not an IPv4 address');
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (a) => {
        expect(parseIpv4(formatIpv4(a))).toBe(a);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (m) => {
        expect(parseMac(formatMac(m))).toEqual(m);
      }),
    );
  });
});
