/**
 * Where a command's AWS SDK clients point. `ledgerquest dev` writes the local stack's environment
 * to `<data dir>/endpoints.json` while it runs; commands use it unless told to use the ambient AWS
 * environment (`--aws`), so `ledgerquest verify` talks to the local stack by default and to a
 * deployment with a profile.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ENDPOINTS_FILE = "endpoints.json";

export interface LocalTarget {
  /** The handlers' environment: endpoints, table names, the identity provider. */
  readonly env: Readonly<Record<string, string>>;
  /** The WebSocket URL clients connect to. */
  readonly websocket: string;
  /** The dev identity provider's base URL. */
  readonly idp: string;
  readonly pid: number;
}

export function writeLocalTarget(dataDir: string, target: LocalTarget): string {
  const file = join(resolve(dataDir), ENDPOINTS_FILE);
  writeFileSync(file, `${JSON.stringify(target, null, 2)}\n`);
  return file;
}

export function removeLocalTarget(dataDir: string): void {
  rmSync(join(resolve(dataDir), ENDPOINTS_FILE), { force: true });
}

export class NoLocalStackError extends Error {
  override readonly name = "NoLocalStackError";
}

/** The running local stack's target, or a clear error saying how to start one. */
export function readLocalTarget(dataDir: string): LocalTarget {
  const file = join(resolve(dataDir), ENDPOINTS_FILE);
  if (!existsSync(file)) {
    throw new NoLocalStackError(
      `no local stack is running (no ${file}): start one with \`npm start\` (or \`ledgerquest dev\`) in another terminal (commands that take --aws can target a deployment instead)`,
    );
  }
  const target = JSON.parse(readFileSync(file, "utf8")) as LocalTarget;
  try {
    process.kill(target.pid, 0);
  } catch {
    throw new NoLocalStackError(
      `the local stack that wrote ${file} (pid ${target.pid}) is not running: start it with \`npm start\``,
    );
  }
  return target;
}

/** Points this process's SDK clients at the target (before any client is made). */
export function useTarget(target: LocalTarget): void {
  Object.assign(process.env, target.env);
}
