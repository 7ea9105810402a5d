/**
 * Who may call the local endpoints that hand out tokens (the dev identity provider's `/token`, the
 * dashboard's `/api/token`). Anyone who can call them can act as any player, so they answer only a
 * request that this machine addresses to the endpoint itself.
 *
 * Listening on 127.0.0.1 keeps other machines out, but not web pages: a page whose DNS name is
 * rebound to 127.0.0.1 makes the visitor's browser send its requests there, from loopback, with
 * the page's own name in `Host` (`evil.example:5173`); a page on another local origin can send
 * requests carrying its `Origin`. So the rule is: `Host` is one of the endpoint's own loopback
 * names with the endpoint's own port, and `Origin`, when a browser sends one, is that same origin.
 * (A browser sends no `Origin` on a same-origin GET, and Node's `fetch` sends none.)
 */

/** Whether a socket's remote address is this machine: 127.0.0.0/8 or ::1, IPv4-mapped or not. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  return /^127(?:\.\d{1,3}){3}$/.test(v4) || address === "::1";
}

/** The names this machine's browsers and tools use for a loopback listener. */
const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"] as const;

/** The `Host` values that address a loopback listener on `port`: `127.0.0.1:<port>`, ... */
export function ownLoopbackHosts(port: number): readonly string[] {
  // Without a port, `Host` means the scheme's default, which only a listener on 80 has.
  return LOOPBACK_NAMES.flatMap((name) =>
    port === 80 ? [`${name}:80`, name] : [`${name}:${port}`],
  );
}

/** The parts of a request the rule reads: its `Host` and `Origin` headers. */
export interface LoopbackRequestHeaders {
  readonly host?: string | readonly string[] | undefined;
  readonly origin?: string | readonly string[] | undefined;
}

/**
 * Why a request to the loopback listener on `port` is not one it should answer, or `undefined`
 * when it is: its `Host` is not one of `ownLoopbackHosts(port)`, or it carries an `Origin` other
 * than the origin of that host (`http://localhost:<port>` for `localhost:<port>`). The caller
 * checks the peer's address (`isLoopbackAddress`) where it can see it.
 */
export function foreignRequestReason(
  headers: LoopbackRequestHeaders,
  port: number,
): string | undefined {
  const { host, origin } = headers;
  const ownHost =
    typeof host === "string" && ownLoopbackHosts(port).includes(host.toLowerCase())
      ? host.toLowerCase()
      : undefined;
  if (ownHost === undefined) {
    return `its Host (${host === undefined ? "none" : JSON.stringify(host)}) is not this server's own: call it on 127.0.0.1:${port} or localhost:${port}`;
  }
  // A browser writes an origin without the scheme's default port.
  const ownOrigin = `http://${port === 80 ? ownHost.replace(/:80$/, "") : ownHost}`;
  if (origin !== undefined && (typeof origin !== "string" || origin.toLowerCase() !== ownOrigin)) {
    return `it comes from a page on another origin (${JSON.stringify(origin)}), not from ${ownOrigin}`;
  }
  return undefined;
}
