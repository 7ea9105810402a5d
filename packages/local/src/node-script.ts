/**
 * How this package starts one of its own modules as a Node process (the DynamoDB Local watchdog,
 * the fault suite's stack): from the compiled package as plain JavaScript; from the TypeScript
 * sources (this repository's tests) through tsx, under the condition that makes the other
 * packages resolve to their sources too, so the child runs the same code as its parent.
 */
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LocalStackError } from "./errors.js";

/** `node` arguments that run the sibling module `name` (without extension) of `base`. */
export function nodeScriptArgs(base: string, name: string): string[] {
  const typescript = base.endsWith(".ts");
  const script = fileURLToPath(new URL(`./${name}.${typescript ? "ts" : "js"}`, base));
  if (!typescript) return [script];
  let tsx: string;
  try {
    tsx = pathToFileURL(createRequire(base).resolve("tsx")).href;
  } catch (cause) {
    throw new LocalStackError(
      `${name} runs from TypeScript sources with tsx, which was not found: run \`npm install\``,
      { cause },
    );
  }
  return ["--conditions=@ledgerquest/source", "--import", tsx, script];
}
