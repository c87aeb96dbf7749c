/** Per-IP accounting of relay reservations (net/relay-reservations.ts), without a network. */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { IpQuota, ipKey } from '../../src/net/relay-reservations.js'

describe('IpQuota', () => {
  it('caps peers per IP; a refresh keeps the slot; a release frees it; other IPs are independent', () => {
    const q = new IpQuota(2)
    expect(q.take('a', '10.0.0.1')).toBe(true)
    expect(q.take('b', '10.0.0.1')).toBe(true)
    expect(q.take('c', '10.0.0.1')).toBe(false)
    expect(q.take('a', '10.0.0.1')).toBe(true) // refresh, not a new slot
    expect(q.take('c', '10.0.0.2')).toBe(true)
    expect(q.count('10.0.0.1')).toBe(2)
    q.release('b')
    q.release('b') // twice: no effect
    expect(q.count('10.0.0.1')).toBe(1)
    expect(q.take('d', '10.0.0.1')).toBe(true)
    expect(q.size).toBe(3)
  })

  it('a peer that moves to another IP gives up its old slot', () => {
    const q = new IpQuota(1)
    expect(q.take('a', '10.0.0.1')).toBe(true)
    expect(q.take('a', '10.0.0.2')).toBe(true)
    expect(q.count('10.0.0.1')).toBe(0)
    expect(q.take('b', '10.0.0.1')).toBe(true)
  })
})

describe('ipKey', () => {
  it('is the IPv4 address, the /64 of an IPv6 address, null without an IP', () => {
    expect(ipKey(multiaddr('/ip4/127.0.0.2/tcp/4001/p2p/12D3KooWCwAbNbPp1sHKkJUPqEzoiHSfodYhMpWHHh7Y6GkmZ4jn'))).toBe('127.0.0.2')
    const a = ipKey(multiaddr('/ip6/2001:db8:1:2::1/tcp/1'))
    expect(a).toBe(ipKey(multiaddr('/ip6/2001:db8:1:2:ffff:1:2:3/tcp/1')))
    expect(a).not.toBe(ipKey(multiaddr('/ip6/2001:db8:1:3::1/tcp/1')))
    expect(ipKey(multiaddr('/ip6/::1/tcp/1'))).toBe('0:0:0:0::/64')
    expect(ipKey(multiaddr('/dns4/example.com/tcp/1'))).toBeNull()
  })
})
