// The key a client address is counted under by the rate limits (src/http/rateLimits.ts).
import { describe, expect, it } from 'vitest';
import { clientAddressKey } from '../../src/http/rateLimits.ts';

describe('clientAddressKey', () => {
  it('counts an IPv4 address as itself, also when written IPv4-mapped', () => {
    expect(clientAddressKey('198.51.100.7')).toBe('198.51.100.7');
    expect(clientAddressKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });

  it('counts an IPv6 address by its /64, however it is written', () => {
    const key = clientAddressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(key);
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(key);
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('gives an unknown address one key rather than none', () => {
    expect(clientAddressKey(undefined)).toBe('unknown');
  });
});
