/**
 * Serves the dashboard (the page `packages/dashboard` builds) on loopback, as CloudFront serves it
 * from S3 in AWS, plus the two things a page needs that a static site does not have locally:
 *
 * - `GET /config.json`: where the WebSocket API is and how to sign in (`{websocketUrl, world,
 *   auth: "dev"}`); the ApiStack writes the same file beside the page in the cloud, with
 *   `auth: "token"`.
 * - `GET /api/token?player=<id>[&operator=1]`: a dev token from the local identity provider, on
 *   the page's own origin (so the page needs no cross-origin call). The server listens on
 *   127.0.0.1 only, so only this machine can ask, and it answers only a request addressed to its
 *   own loopback host and port with no other page's `Origin` (`loopback-guard.ts`, the rule of the
 *   identity provider's `/token`), so a web page that rebinds its DNS name to 127.0.0.1 gets 403.
 */
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { type HttpResponse, type ListeningEndpoint, listen } from "@ledgerquest/emulators/protocol";
import { OPERATOR_GROUP } from "@ledgerquest/runtime";
import type { DevTokenResponse, TokenOptions } from "./idp.js";
import { foreignRequestReason } from "./loopback-guard.js";

/** What `/config.json` answers. */
export interface DashboardConfig {
  /** Where clients connect, without query string. */
  readonly websocketUrl: string;
  /** The world the page opens unless its URL names one (`?world=`). */
  readonly world: string;
  /** `dev`: sign in by name with `/api/token`; `token`: paste a Cognito token. */
  readonly auth: "dev" | "token";
}

export interface DashboardServerOptions {
  /** The built page (`buildDashboard`'s output folder). */
  readonly directory: string;
  readonly config: DashboardConfig;
  /** Mints a dev token (the local identity provider's `issue`). */
  readonly issueToken: (playerId: string, options: TokenOptions) => Promise<DevTokenResponse>;
  /** Default 0: a free port. */
  readonly port?: number;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

const json = (status: number, body: unknown, extra: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { "content-type": "application/json", "cache-control": "no-store", ...extra },
  body: JSON.stringify(body),
});

export async function startDashboardServer(
  options: DashboardServerOptions,
): Promise<ListeningEndpoint> {
  const root = resolve(options.directory);
  const index = join(root, "index.html");
  const found = await stat(index).catch(() => undefined);
  if (found === undefined || !found.isFile()) {
    throw new Error(
      `the dashboard is not built: ${index} is missing (build it with \`npm run build --workspace @ledgerquest/dashboard\`)`,
    );
  }
  // Known once the server listens, which is before any request can arrive.
  let ownPort: number | undefined;
  const endpoint = await listen(
    async (request) => {
      if (request.method !== "GET" && request.method !== "HEAD") {
        return json(405, { error: "method_not_allowed", message: "the dashboard serves GET only" });
      }
      if (request.path === "/config.json") return json(200, options.config);
      if (request.path === "/api/token") {
        const foreign =
          ownPort === undefined
            ? "the server is starting"
            : foreignRequestReason(request.headers, ownPort);
        if (foreign !== undefined) {
          return json(403, {
            error: "forbidden",
            message: `the dashboard's token endpoint serves its own page only, and ${foreign}`,
          });
        }
        const player = request.query.get("player") ?? "";
        const operator = ["1", "true"].includes(request.query.get("operator") ?? "");
        try {
          const issued = await options.issueToken(
            player,
            operator ? { groups: [OPERATOR_GROUP] } : {},
          );
          return json(200, issued);
        } catch (error) {
          return json(400, { error: "invalid_player", message: (error as Error).message });
        }
      }
      let path: string;
      try {
        path = decodeURIComponent(request.path);
      } catch {
        return json(400, { error: "bad_path", message: "the path is not valid percent-encoding" });
      }
      // Never outside the page's folder, whatever `..` the path holds.
      const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
      if (file !== root && !file.startsWith(root + sep)) {
        return json(404, { error: "not_found", message: "no such file" });
      }
      const body = await readFile(file).catch(() => undefined);
      if (body === undefined) return json(404, { error: "not_found", message: "no such file" });
      return {
        status: 200,
        headers: {
          "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
          // Vite names assets by content; the page itself must be fetched fresh.
          "cache-control": file.includes(`${sep}assets${sep}`)
            ? "public, max-age=31536000, immutable"
            : "no-cache",
        },
        ...(request.method === "HEAD" ? {} : { body }),
      };
    },
    { ...(options.port === undefined ? {} : { port: options.port }) },
  );
  ownPort = endpoint.port;
  return endpoint;
}
