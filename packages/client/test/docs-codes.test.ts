// docs/reference/client-protocol.md lists every code the server answers with, and no other: the
// error frames' table against the SDK's SERVER_ERROR_CODES (whose type protocol-types.test.ts
// keeps equal to the runtime's union), and the `$connect` refusals against the connect use case's.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ConnectResult } from "@ledgerquest/runtime";
import { describe, expect, it } from "vitest";
import { SERVER_ERROR_CODES } from "../src/protocol.js";

const DOC = readFileSync(
  resolve(import.meta.dirname, "../../../docs/reference/client-protocol.md"),
  "utf8",
);
type ConnectRefusal = Extract<ConnectResult, { ok: false }>["code"];

/** Every code a `$connect` is refused with: the type-check fails when the runtime's union moves. */
const CONNECT_CODES = ["unknown_world", "invalid_request", "too_many_connections"] as const;
type Listed = (typeof CONNECT_CODES)[number];
const everyRefusalListed: [ConnectRefusal] extends [Listed]
  ? [Listed] extends [ConnectRefusal]
    ? true
    : false
  : false = true;

describe("docs/reference/client-protocol.md", () => {
  it("the error frames' table has a row for every code the server sends, and only those", () => {
    const table = DOC.slice(DOC.indexOf("| code | meaning | what to do |"));
    const rows = table.slice(0, table.indexOf("\n- ")).split("\n").slice(2);
    const documented = rows.flatMap((row) =>
      [...(row.split("|")[1] ?? "").matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string),
    );
    expect(documented.sort()).toEqual([...SERVER_ERROR_CODES].sort());
  });

  it("names every code a $connect is refused with", () => {
    expect(everyRefusalListed).toBe(true);
    const start = DOC.indexOf("## Connecting");
    const connecting = DOC.slice(start, DOC.indexOf("\n## ", start + 1));
    for (const code of CONNECT_CODES) expect(connecting, code).toContain(`\`${code}\``);
  });
});
