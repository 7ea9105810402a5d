/**
 * A minimal browser client on @ledgerquest/client: it asks the local stack where its WebSocket
 * API is and for a dev token, connects as a player (`?player=player_0002` picks another), draws
 * the world from the client's store, and sends `move` on the arrow keys or WASD.
 */
import { connect, Interpolator } from "@ledgerquest/client";
import type { Commands } from "../src/game.js";

const params = new URLSearchParams(location.search);
const player = params.get("player") ?? "player_0001";

const canvas = document.querySelector<HTMLCanvasElement>("#world") as HTMLCanvasElement;
const hud = document.querySelector<HTMLElement>("#hud") as HTMLElement;
const status = document.querySelector<HTMLElement>("#status") as HTMLElement;
const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;

/** `/config.json` of the dashboard server (proxied by vite.config.ts): the API and the world. */
const config = (await (await fetch("/config.json")).json()) as {
  websocketUrl: string;
  world: string;
};
const world = params.get("world") ?? config.world;

async function devToken(): Promise<string> {
  const response = await fetch(`/api/token?player=${encodeURIComponent(player)}`);
  if (!response.ok) throw new Error(`no token for ${player}: ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

const client = await connect<Commands>({ url: config.websocketUrl, world, token: devToken });
client.on("connection", (s) => {
  status.textContent = `${player} in ${world}: ${s.state}`;
});
status.textContent = `${player} in ${world}: ${client.status.state}`;

const KEYS: Readonly<Record<string, Commands["move"]>> = {
  ArrowUp: { dx: 0, dy: -1 },
  ArrowDown: { dx: 0, dy: 1 },
  ArrowLeft: { dx: -1, dy: 0 },
  ArrowRight: { dx: 1, dy: 0 },
  w: { dx: 0, dy: -1 },
  s: { dx: 0, dy: 1 },
  a: { dx: -1, dy: 0 },
  d: { dx: 1, dy: 0 },
};

addEventListener("keydown", async (event) => {
  const move = KEYS[event.key];
  if (move === undefined) return;
  event.preventDefault();
  const ack = await client.send("move", move);
  if (!ack.ok) status.textContent = `move refused: ${ack.code} ${ack.message}`;
});

const view = new Interpolator({ teleportDistance: 3 });
view.follow(client.store);

function draw(): void {
  const bounds = client.store.game?.bounds ?? { minX: 0, minY: 0, maxX: 16, maxY: 12 };
  const scale = Math.min(
    canvas.width / (bounds.maxX - bounds.minX),
    canvas.height / (bounds.maxY - bounds.minY),
  );
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const e of view.entitiesAt(view.renderTimeMs(Date.now()))) {
    const x = (e.x - bounds.minX) * scale;
    const y = (e.y - bounds.minY) * scale;
    if (e.kind === "gem") {
      ctx.fillStyle = "#5ee0c8";
      ctx.fillRect(x - scale * 0.3, y - scale * 0.3, scale * 0.6, scale * 0.6);
      continue;
    }
    ctx.fillStyle = e.name === player ? "#ffcc4d" : "#7aa2ff";
    ctx.beginPath();
    ctx.arc(x, y, scale * 0.4, 0, Math.PI * 2);
    ctx.fill();
  }
  const you = client.store.you;
  hud.textContent =
    you === undefined
      ? "waiting for the first push..."
      : `gold ${you.balances.gold ?? 0} | xp ${you.xp} | level ${you.level} | tick ${client.store.tick}`;
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);
