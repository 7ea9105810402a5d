import { existsSync } from "node:fs";

/**
 * Whether the browser a test drives is installed. Where it is not, a developer's run says so in
 * one line and skips those tests (`npm install && npm test` needs only Node and Java); CI's run
 * fails instead, since `.ci/run` installs the browsers and CI must run everything.
 */
export function browserInstalled(path: string, aptPackage: string): boolean {
  if (existsSync(path)) return true;
  const why = `${path} is missing (apt-get install -y ${aptPackage})`;
  if (process.env.CI) throw new Error(`${why}: .ci/run installs it, and CI runs every test`);
  console.log(`browser tests not run: ${why}`);
  return false;
}
