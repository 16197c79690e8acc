/**
 * IP address ranges for the `ips` requirement: IPv4 and IPv6 CIDR blocks, compared in one
 * 128-bit space. An IPv4 address is read as its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`,
 * RFC 4291 §2.5.5.2), so `192.0.2.7` and `::ffff:192.0.2.7` are the same client and meet the
 * same blocks, whichever way Cloudflare or the operator wrote them.
 *
 * Parsing is strict, because a permissive parser is a way around a block: no leading zeros in
 * an IPv4 octet (`010.0.0.1` is octal to some parsers), no zone index (`fe80::1%eth0`), no
 * host bits set below the prefix (`10.0.0.1/8` is refused as a probable mistake).
 */

export interface IpRange {
  /** The network address, as a 128-bit number. */
  readonly network: bigint;
  /** How many leading bits must match (IPv4 prefixes count from bit 96). */
  readonly prefixBits: number;
}

const ALL_BITS = (1n << 128n) - 1n;
const IPV4_MAPPED = 0xffffn << 32n;

/** A CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or one address; a string saying why not otherwise. */
export function parseIpRange(text: string): IpRange | string {
  const slash = text.indexOf("/");
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseIp(addressText);
  if (address === null) return `is not an IPv4 or IPv6 address or CIDR block`;
  const isV4 = !addressText.includes(":");
  const maxPrefix = isV4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > maxPrefix) return `has a prefix length that is not 0–${maxPrefix}`;
    prefix = Number(prefixText);
  }
  const prefixBits = isV4 ? 96 + prefix : prefix;
  const network = address & maskOf(prefixBits);
  if (network !== address) return `has bits set after the /${prefix} prefix (the block starts at ${formatNetwork(network, isV4)}/${prefix})`;
  return { network, prefixBits };
}

export function ipInRange(address: bigint, range: IpRange): boolean {
  return (address & maskOf(range.prefixBits)) === range.network;
}

/** An address as a 128-bit number (IPv4 as IPv4-mapped IPv6), or null when it is not one. */
export function parseIp(text: string): bigint | null {
  if (!text.includes(":")) {
    const v4 = parseIpv4(text);
    return v4 === null ? null : IPV4_MAPPED | v4;
  }
  return parseIpv6(text);
}

function maskOf(prefixBits: number): bigint {
  return prefixBits === 0 ? 0n : (ALL_BITS << BigInt(128 - prefixBits)) & ALL_BITS;
}

function parseIpv4(text: string): bigint | null {
  const octets = text.split(".");
  if (octets.length !== 4) return null;
  let value = 0n;
  for (const octet of octets) {
    if (!/^(0|[1-9]\d{0,2})$/.test(octet) || Number(octet) > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  if (text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (half: string): bigint[] | null => {
    if (half === "") return [];
    const parts = half.split(":");
    const groups: bigint[] = [];
    for (const [index, part] of parts.entries()) {
      if (part.includes(".")) {
        // An embedded IPv4 address, only as the last 32 bits (RFC 4291 §2.2, form 3).
        const v4 = index === parts.length - 1 ? parseIpv4(part) : null;
        if (v4 === null) return null;
        groups.push(v4 >> 16n, v4 & 0xffffn);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(part)) return null;
        groups.push(BigInt(`0x${part}`));
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return null;
  // An embedded IPv4 address may end only the whole address, never the part before `::`.
  if (halves.length === 2 && halves[0]!.includes(".")) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail];
  return groups.reduce((value, group) => (value << 16n) | group, 0n);
}

function formatNetwork(network: bigint, isV4: boolean): string {
  if (isV4) return [24n, 16n, 8n, 0n].map((shift) => String((network >> shift) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, index) => ((network >> BigInt(112 - index * 16)) & 0xffffn).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}
