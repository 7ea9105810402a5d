/**
 * IP addresses and CIDR blocks for EventBridge's `cidr` operator (IPv4 and IPv6, as AWS documents
 * under "IP address matching").
 */

/** A parsed IP address: 4 bytes for IPv4, 16 for IPv6. */
type Address = Uint8Array;

/** A CIDR block: the network's address and how many leading bits of it must match. */
export interface CidrBlock {
  readonly source: string;
  readonly network: Address;
  readonly bits: number;
}

/** Parses a dotted-quad IPv4 address ("10.0.0.33"), or `undefined`. */
function parseIPv4(text: string): Address | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (part.length === 0 || part.length > 3 || !/^[0-9]+$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

/** Parses an IPv6 address ("2001:db8::1", "::ffff:10.0.0.1"), or `undefined`. */
function parseIPv6(text: string): Address | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  // An embedded IPv4 address ("::ffff:10.0.0.1") may only end the address.
  const groupsOf = (part: string, last: boolean): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (last && i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIPv4(piece);
        if (v4 === undefined) return undefined;
        groups.push(((v4[0] as number) << 8) | (v4[1] as number));
        groups.push(((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        groups.push(Number.parseInt(piece, 16));
      }
    }
    return groups;
  };
  const left = groupsOf(halves[0] as string, halves.length === 1);
  const right = halves.length === 2 ? groupsOf(halves[1] as string, true) : [];
  if (left === undefined || right === undefined) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** Parses an IPv4 or IPv6 address, or returns `undefined` when the text is neither. */
export function parseIp(text: string): Address | undefined {
  return text.includes(":") ? parseIPv6(text) : parseIPv4(text);
}

/** Parses a CIDR block such as `10.0.0.0/24` or `2001:db8::/32`; returns the problem on failure. */
export function parseCidr(text: string): CidrBlock | { readonly problem: string } {
  const slash = text.indexOf("/");
  if (slash < 0 || slash !== text.lastIndexOf("/")) {
    return { problem: `"${text}" is not a CIDR block: it needs exactly one "/"` };
  }
  const address = parseIp(text.slice(0, slash));
  if (address === undefined) {
    return { problem: `"${text.slice(0, slash)}" is not an IPv4 or IPv6 address` };
  }
  const maskText = text.slice(slash + 1);
  const maxBits = address.length * 8;
  if (!/^[0-9]{1,3}$/.test(maskText) || Number(maskText) > maxBits) {
    return { problem: `the mask of "${text}" must be a whole number from 0 to ${maxBits}` };
  }
  return { source: text, network: address, bits: Number(maskText) };
}

/** Whether the address text is inside the block (an IPv4 block never holds an IPv6 address). */
export function cidrContains(block: CidrBlock, text: string): boolean {
  const address = parseIp(text);
  if (address === undefined || address.length !== block.network.length) return false;
  const whole = block.bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== block.network[i]) return false;
  const rest = block.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] as number) & mask) === ((block.network[whole] as number) & mask);
}
