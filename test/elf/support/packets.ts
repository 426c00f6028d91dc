/* Minimal packet builders for the fixture tests: Ethernet, IPv4, IPv6, TCP, UDP, ARP. */

const MAC_A = [0x02, 0, 0, 0, 0, 0xaa];
const MAC_B = [0x02, 0, 0, 0, 0, 0xbb];

function eth(type: number, payload: number[]): Uint8Array {
  return Uint8Array.from([...MAC_B, ...MAC_A, type >> 8, type & 0xff, ...payload]);
}

function be16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function ipv4(src: string, dst: string, proto: number, payload: number[]): number[] {
  const a = src.split('.').map(Number);
  const b = dst.split('.').map(Number);
  return [0x45, 0, ...be16(20 + payload.length), 0, 1, 0x40, 0, 64, proto, 0, 0, ...a, ...b, ...payload];
}

function ipv6(proto: number, payload: number[]): number[] {
  const addr = (last: number) => [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), last];
  return [0x60, 0, 0, 0, ...be16(payload.length), proto, 64, ...addr(1), ...addr(2), ...payload];
}

function tcp(dport: number, flags: number): number[] {
  return [...be16(40000), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0];
}

function udp(dport: number, data: number[] = []): number[] {
  return [...be16(40000), ...be16(dport), ...be16(8 + data.length), 0, 0, ...data];
}

/** Named test packets. */
export const PACKETS = {
  tcpSyn80: eth(0x0800, ipv4('10.1.2.3', '10.9.9.9', 6, tcp(80, 0x02))),
  tcpAck23: eth(0x0800, ipv4('192.168.0.1', '10.9.9.9', 6, tcp(23, 0x10))),
  udp9: eth(0x0800, ipv4('192.168.0.7', '10.9.9.9', 17, udp(9, [1, 2, 3, 4]))),
  udp53: eth(0x0800, ipv4('172.16.0.1', '10.9.9.9', 17, udp(53, new Array<number>(40).fill(7)))),
  ipv6Udp9: eth(0x86dd, ipv6(17, udp(9))),
  ipv6Tcp443: eth(0x86dd, ipv6(6, tcp(443, 0x02))),
  arp: eth(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]),
  big: eth(0x0800, ipv4('10.200.0.1', '10.9.9.9', 17, udp(5000, new Array<number>(1200).fill(0x5a)))),
  short: eth(0x88b5, [1, 2]),
} as const;

/** A packet whose first byte is `b` (for the tail-call fixture, which jumps by it). */
export function firstByte(b: number): Uint8Array {
  const p = new Uint8Array(PACKETS.udp53);
  p[0] = b;
  return p;
}
