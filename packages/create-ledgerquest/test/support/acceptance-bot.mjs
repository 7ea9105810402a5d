// Plays one player of the running local stack through @ledgerquest/client, as installed in this
// project: it asks the dashboard server for the WebSocket API and a dev token (as the browser
// client does), sends `move` commands and waits for the state pushes that show them applied.
// Prints one JSON line; exits 1 when something did not happen within its bounds.
import { connect } from "@ledgerquest/client/node";

const [dashboard, player] = process.argv.slice(2);
const WAIT_MS = 60_000;
const fail = (why) => {
  console.log(JSON.stringify({ ok: false, why }));
  process.exit(1);
};

const config = await (await fetch(new URL("config.json", dashboard))).json();
async function token() {
  const response = await fetch(new URL(`api/token?player=${player}`, dashboard));
  if (!response.ok) throw new Error(`token: ${response.status} ${await response.text()}`);
  return (await response.json()).token;
}
const client = await connect({
  url: config.websocketUrl,
  world: config.world,
  token,
  readyTimeoutMs: WAIT_MS,
});
if (client.status.state !== "connected") fail(`not connected: ${client.status.state}`);

/** Resolves with what `check` returns once a push makes it defined, or fails after WAIT_MS. */
function until(what, check) {
  const now = check();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve) => {
    const timer = setTimeout(() => fail(`no push showed ${what} within ${WAIT_MS} ms`), WAIT_MS);
    const stop = client.store.subscribe(() => {
      const seen = check();
      if (seen === undefined) return;
      clearTimeout(timer);
      stop();
      resolve(seen);
    });
  });
}

const me = () => client.store.byName(player);
const start = await until(`${player} in the store`, me);
const gold = () => client.store.you?.balances?.gold;
const goldBefore = await until("the player's balances", gold);
const moves = [];
for (const [dx, dy] of [
  [1, 0],
  [0, -1],
]) {
  const from = me();
  const ack = await client.send("move", { dx, dy });
  if (!ack.ok) fail(`move refused: ${ack.code} ${ack.message}`);
  const at = await until(`the move (${dx}, ${dy}) applied`, () => {
    const e = me();
    return e !== undefined && e.x === from.x + dx && e.y === from.y + dy ? e : undefined;
  });
  moves.push({ id: ack.id, result: ack.result, x: at.x, y: at.y, tick: client.store.tick });
}
// The first step east is onto the first gem: a reward through the ledger, shown in a push.
const goldAfter = await until("the gem's gold", () => (gold() > goldBefore ? gold() : undefined));
console.log(
  JSON.stringify({
    ok: true,
    player,
    start: { x: start.x, y: start.y },
    moves,
    goldBefore,
    goldAfter,
  }),
);
await client.close();
