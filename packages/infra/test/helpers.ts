// What the infra tests share: stand-in bundles (template assertions need a folder per handler,
// not esbuild's output; one test bundles for real), a built dashboard, and IAM policy walking.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLedgerQuestApp, type LedgerQuestApp, type LedgerQuestAppProps } from "../src/app.js";
import { HANDLER_NAMES, type HandlerBundles, handlerFolders } from "../src/bundles.js";
import { CONTEXT_KEYS } from "../src/contract.js";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `ledgerquest-infra-${prefix}-`));
}

/** One `index.mjs` per handler, exporting `handler`. */
export function stubBundles(): HandlerBundles {
  const dir = tempDir("bundles");
  const bundles = handlerFolders(dir);
  for (const handler of HANDLER_NAMES) {
    mkdirSync(bundles[handler], { recursive: true });
    writeFileSync(
      join(bundles[handler], "index.mjs"),
      `export const handler = async () => ${JSON.stringify(handler)};\n`,
    );
  }
  return bundles;
}

/** A folder standing in for the built dashboard. */
export function siteDir(): string {
  const dir = tempDir("site");
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>LedgerQuest</title>\n");
  return dir;
}

/**
 * The app over stand-in bundles and dashboard, synthesized to a fresh folder, without cdk-nag:
 * `context` adds context values, `props` changes the rest.
 */
export function stubApp(
  context: Record<string, string> = {},
  props: Partial<LedgerQuestAppProps> = {},
): LedgerQuestApp {
  return createLedgerQuestApp({
    bundles: stubBundles(),
    context: { [CONTEXT_KEYS.siteAssetPath]: siteDir(), ...context },
    outdir: tempDir("cdk-out"),
    nag: false,
    ...props,
  });
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: unknown;
}

export interface FoundStatement {
  readonly stack: string;
  readonly policy: string;
  readonly statement: PolicyStatement;
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every statement of every IAM policy (inline or attached) in a template. */
export function policyStatements(
  stack: string,
  template: { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> },
): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const props = resource.Properties ?? {};
    const docs: unknown[] = [];
    if (resource.Type === "AWS::IAM::Policy" || resource.Type === "AWS::IAM::ManagedPolicy") {
      docs.push(props.PolicyDocument);
    }
    if (resource.Type === "AWS::IAM::Role" || resource.Type === "AWS::IAM::User") {
      for (const p of list(props.Policies as { PolicyDocument: unknown }[] | undefined)) {
        docs.push(p.PolicyDocument);
      }
    }
    for (const doc of docs) {
      for (const statement of list((doc as { Statement?: PolicyStatement[] }).Statement)) {
        found.push({ stack, policy: id, statement });
      }
    }
  }
  return found;
}

export function actionsOf(statement: PolicyStatement): string[] {
  return list(statement.Action);
}

export function resourcesOf(statement: PolicyStatement): unknown[] {
  return list(statement.Resource as unknown[] | undefined);
}

/** The arena example's project configuration: the game the tests' bundles are made for. */
export const ARENA_CONFIG = fileURLToPath(
  new URL("../../../examples/arena/ledgerquest.config.ts", import.meta.url),
);
