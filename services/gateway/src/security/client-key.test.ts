// The rate limit's client key: IPv4 as it is, IPv6 per /64, IPv4-mapped IPv6 as the IPv4 address,
// ports dropped, anything else no key.
import { describe, expect, it } from 'vitest';
import { rateLimitKey } from './client-key.js';

describe('rateLimitKey', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::ffff:c000:207', '192.0.2.7'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:0000:0000:0000:0009', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.7', '64:ff9b:0:0::/64'],
    ['192.0.2.7:51234', '192.0.2.7'],
    ['[2001:db8:1:2::1]:443', '2001:db8:1:2::/64'],
    ['[::ffff:192.0.2.7]', '192.0.2.7'],
    ['unknown', undefined],
    ['', undefined],
    ['evil.example:80', undefined],
  ])('when the client address is %s, then the key is %s', (address, key) => {
    expect(rateLimitKey(address)).toBe(key);
  });

  it('when two addresses share a /64, then they share a key; another /64 does not', () => {
    expect(rateLimitKey('2001:db8:5:6::a')).toBe(rateLimitKey('2001:db8:5:6:ffff::b'));
    expect(rateLimitKey('2001:db8:5:7::a')).not.toBe(rateLimitKey('2001:db8:5:6::a'));
  });
});
