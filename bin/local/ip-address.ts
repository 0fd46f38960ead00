// Textual IPv4 and IPv6 addresses as numbers, for the event-pattern matcher's `cidr` operator. Accepts dotted
// quads (each octet 0..255, no sign or hex) and RFC 4291 colon forms: one `::` at most, 1..4 hex digits a group,
// and an embedded dotted IPv4 as the last two groups. Anything else is undefined (not an address), never thrown:
// a non-address event value simply does not match.

/** An address as its bit width (32 for IPv4, 128 for IPv6) and its value, most significant bit first. */
export interface IpAddress {
  readonly bits: 32 | 128;
  readonly value: bigint;
}

export function parseIpAddress(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { bits: 128, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { bits: 32, value };
}

function parseIpv4(text: string): bigint | undefined {
  const octets = text.split('.');
  if (octets.length !== 4) return undefined;
  let result = 0n;
  for (const octet of octets) {
    if (!/^\d{1,3}$/.test(octet)) return undefined;
    const number = Number(octet);
    if (number > 255) return undefined;
    result = (result << 8n) | BigInt(number);
  }
  return result;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;

  const head = parseIpv6Groups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseIpv6Groups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;

  const explicitGroups = head.length + tail.length;
  if (halves.length === 2 ? explicitGroups > 7 : explicitGroups !== 8) return undefined;

  const groups = [...head, ...new Array<number>(8 - explicitGroups).fill(0), ...tail];
  return groups.reduce((result, group) => (result << 16n) | BigInt(group), 0n);
}

/** Parses colon-separated 16-bit groups; a trailing dotted IPv4 counts as two groups. */
function parseIpv6Groups(text: string): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (i === parts.length - 1 && part.includes('.')) {
      const ipv4 = parseIpv4(part);
      if (ipv4 === undefined) return undefined;
      groups.push(Number(ipv4 >> 16n), Number(ipv4 & 0xffffn));
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}
