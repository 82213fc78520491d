import { describe, expect, it } from 'vitest';
import {
  addrString,
  isGlobalUnicast,
  isLinkLocalMulticast,
  isLinkLocalUnicast,
  isLoopback,
  parseAddr,
  parsePrefix,
  prefixContains,
  prefixMasked,
  prefixOverlaps,
  prefixString,
} from './netip.ts';

describe('parseAddr and addrString (Go net/netip)', () => {
  const ok: { reason: string; in: string; want: string }[] = [
    { reason: 'IPv4', in: '1.2.3.4', want: '1.2.3.4' },
    { reason: 'IPv6 is lowercased and compressed (RFC 5952)', in: '2001:DB8:0:0:0:0:0:1', want: '2001:db8::1' },
    { reason: 'the unspecified IPv6 address', in: '::', want: '::' },
    { reason: 'the longest zero run is compressed, the first on a tie', in: '1:0:0:1:0:0:0:1', want: '1:0:0:1::1' },
    { reason: 'a single zero group is not compressed', in: '1:2:3:4:5:6:0:8', want: '1:2:3:4:5:6:0:8' },
    { reason: 'an embedded IPv4 tail prints as hex unless IPv4-mapped', in: '64:ff9b::1.2.3.4', want: '64:ff9b::102:304' },
    { reason: 'IPv4-mapped addresses keep the dotted tail', in: '::ffff:1.2.3.4', want: '::ffff:1.2.3.4' },
    { reason: 'zones are kept', in: 'fe80::1%eth0', want: 'fe80::1%eth0' },
  ];
  it.each(ok)('$reason', (c) => expect(addrString(parseAddr(c.in))).toBe(c.want));

  const bad: { reason: string; in: string; want: string }[] = [
    {
      reason: 'leading zeros are refused (unlike the sloppy parser)',
      in: '01.2.3.4',
      want: 'ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero',
    },
    { reason: 'three fields', in: '1.2.3', want: 'ParseAddr("1.2.3"): IPv4 address too short' },
    { reason: 'a field over 255', in: '1.2.3.256', want: 'ParseAddr("1.2.3.256"): IPv4 field has value >255' },
    { reason: 'two ::', in: '1::2::3', want: 'ParseAddr("1::2::3"): multiple :: in address' },
    { reason: 'five hex digits', in: '12345::', want: 'ParseAddr("12345::"): each colon-separated field must have at most 4 hex digits' },
    { reason: 'not an address', in: 'x', want: 'ParseAddr("x"): unable to parse IP' },
  ];
  it.each(bad)('refuses: $reason', (c) => expect(() => parseAddr(c.in)).toThrow(c.want));
});

describe('prefixes', () => {
  const cases: { reason: string; in: string; string?: string; masked?: string; error?: string }[] = [
    { reason: 'host bits are kept, masked() clears them', in: '10.1.2.3/8', string: '10.1.2.3/8', masked: '10.0.0.0/8' },
    { reason: 'IPv6', in: '2001:db8::1/32', string: '2001:db8::1/32', masked: '2001:db8::/32' },
    { reason: 'a length beyond the family', in: '10.0.0.0/33', error: 'netip.ParsePrefix("10.0.0.0/33"): prefix length out of range' },
    { reason: 'a length with a leading zero', in: '10.0.0.0/08', error: 'netip.ParsePrefix("10.0.0.0/08"): bad bits after slash: "08"' },
    { reason: 'no length', in: '10.0.0.0', error: 'netip.ParsePrefix("10.0.0.0"): no \'/\'' },
    { reason: 'a zone', in: 'fe80::1%eth0/64', error: 'netip.ParsePrefix("fe80::1%eth0/64"): IPv6 zones cannot be present in a prefix' },
  ];
  it.each(cases)('$reason', (c) => {
    if (c.error !== undefined) {
      expect(() => parsePrefix(c.in)).toThrow(c.error);
      return;
    }
    const p = parsePrefix(c.in);
    expect(prefixString(p)).toBe(c.string);
    expect(prefixString(prefixMasked(p))).toBe(c.masked);
  });

  it('contains and overlaps only within one family', () => {
    const p = parsePrefix('10.0.0.0/8');
    expect(prefixContains(p, parseAddr('10.255.0.1'))).toBe(true);
    expect(prefixContains(p, parseAddr('11.0.0.1'))).toBe(false);
    expect(prefixContains(p, parseAddr('::ffff:10.0.0.1'))).toBe(false);
    expect(prefixOverlaps(p, parsePrefix('10.1.0.0/16'))).toBe(true);
    expect(prefixOverlaps(p, parsePrefix('0.0.0.0/0'))).toBe(true);
    expect(prefixOverlaps(p, parsePrefix('::/0'))).toBe(false);
  });
});

describe('address classes', () => {
  const cases: { in: string; loopback: boolean; global: boolean; linkLocal: boolean; linkLocalMulticast: boolean }[] = [
    { in: '127.0.0.2', loopback: true, global: false, linkLocal: false, linkLocalMulticast: false },
    { in: '10.0.0.1', loopback: false, global: true, linkLocal: false, linkLocalMulticast: false },
    { in: '255.255.255.255', loopback: false, global: false, linkLocal: false, linkLocalMulticast: false },
    { in: '169.254.1.1', loopback: false, global: false, linkLocal: true, linkLocalMulticast: false },
    { in: '224.0.0.5', loopback: false, global: false, linkLocal: false, linkLocalMulticast: true },
    { in: '::1', loopback: true, global: false, linkLocal: false, linkLocalMulticast: false },
    { in: 'fe80::1', loopback: false, global: false, linkLocal: true, linkLocalMulticast: false },
    { in: 'ff02::1', loopback: false, global: false, linkLocal: false, linkLocalMulticast: true },
    { in: '2001:db8::1', loopback: false, global: true, linkLocal: false, linkLocalMulticast: false },
  ];
  it.each(cases)('$in', (c) => {
    const a = parseAddr(c.in);
    expect([isLoopback(a), isGlobalUnicast(a), isLinkLocalUnicast(a), isLinkLocalMulticast(a)]).toEqual([
      c.loopback,
      c.global,
      c.linkLocal,
      c.linkLocalMulticast,
    ]);
  });
});
