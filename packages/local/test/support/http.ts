import { request as httpRequest } from "node:http";

/**
 * A request through node:http, which (unlike fetch) lets a test write `Host` and `Origin`: the
 * loopback services' DNS-rebinding guards read them.
 */
export function rawRequest(
  url: string,
  options: { readonly method?: string; readonly host?: string; readonly origin?: string } = {},
): Promise<{ status: number; cacheControl: string | undefined; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? "GET",
        headers: {
          ...(options.host === undefined ? {} : { host: options.host }),
          ...(options.origin === undefined ? {} : { origin: options.origin }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            cacheControl: res.headers["cache-control"],
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}
