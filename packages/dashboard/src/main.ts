/**
 * The dashboard: sign in, watch and play a world (the canvas), the HUD, the quest log, the ledger
 * feed with Verify, live charts and the operator tools, over one WebSocket to the world.
 */
import "./style.css";
import {
  chosenWorld,
  loadConfig,
  type Session,
  savedSession,
  saveSession,
  signInForm,
} from "./auth.js";
import { Charts } from "./charts.js";
import { Connection, type ConnectionStatus, FrameError } from "./connection.js";
import { h, replace } from "./dom.js";
import { Hud } from "./hud.js";
import { Input } from "./input.js";
import { LedgerFeed, message } from "./ledger-feed.js";
import { WorldModel } from "./model.js";
import { OperatorPanel } from "./operator.js";
import type {
  GameDescription,
  PageConfig,
  PlayerRecord,
  StatePushFrame,
  StateQueryResult,
} from "./protocol.js";
import { questBook } from "./protocol.js";
import { QuestLog } from "./quests.js";
import { kindColor, WorldView } from "./world-view.js";

const URL_KEY = "ledgerquest.websocketUrl";

/** What the e2e tests (and a curious developer) read of the page: `window.__lq`. */
export interface DebugHook {
  entities(): { id: number; kind: string; name?: string; x: number; y: number }[];
  me(): { x: number; y: number } | undefined;
  player(): PlayerRecord | undefined;
  status(): ConnectionStatus["state"] | "signed-out";
  game(): GameDescription | undefined;
  version(): number;
}

declare global {
  interface Window {
    __lq?: DebugHook;
  }
}

const app = document.getElementById("app") as HTMLElement;
const statusEl = document.getElementById("status") as HTMLElement;
const identityEl = document.getElementById("identity") as HTMLElement;
const worldLabel = document.getElementById("world-label") as HTMLElement;

let connection: Connection | undefined;
let countdown: ReturnType<typeof setInterval> | undefined;

async function boot(): Promise<void> {
  const { config, error } = await loadConfig();
  const world = chosenWorld(config, location.search);
  worldLabel.textContent = world === "" ? "no world" : world;
  const session = savedSession();
  const url = config.websocketUrl || sessionStorage.getItem(URL_KEY) || "";
  if (session !== undefined && url !== "" && world !== "") start(config, world, session, url);
  else showSignIn(config, world, error);
}

function showSignIn(
  config: PageConfig,
  world: string,
  notice?: string,
  status: { state: string; text: string } = { state: "signed-out", text: "Signed out" },
): void {
  const old = connection;
  connection = undefined;
  old?.close();
  clearInterval(countdown);
  setStatus(status.state, status.text);
  replace(identityEl);
  replace(
    app,
    h(
      "div",
      { class: "signin-wrap" },
      signInForm({
        config,
        world,
        ...(notice === undefined ? {} : { notice }),
        onSession: (session, url) => {
          saveSession(session);
          if (config.websocketUrl === "") sessionStorage.setItem(URL_KEY, url);
          start(config, world, session, url);
        },
      }),
    ),
  );
}

function setStatus(state: string, text: string, extra?: HTMLElement): void {
  statusEl.dataset.state = state;
  replace(statusEl, h("span", { class: "dot", "aria-hidden": "true" }), text, extra ?? null);
}

function start(config: PageConfig, world: string, session: Session, url: string): void {
  const model = new WorldModel();
  let game: GameDescription | undefined;
  let player: PlayerRecord | undefined;
  let stateLoaded = false;
  let watching = false;

  const signOut = (notice?: string, status?: { state: string; text: string }) => {
    input.clear();
    input.detach();
    view.stop();
    saveSession(undefined);
    showSignIn(config, world, notice, status);
  };
  replace(
    identityEl,
    h("span", { "data-testid": "identity-player" }, session.player),
    session.operator ? h("span", { class: "tag" }, "operator") : null,
    h(
      "a",
      {
        href: "#",
        class: "signout",
        "data-testid": "signout",
        onclick: (e: Event) => {
          e.preventDefault();
          signOut();
        },
      },
      "Sign out",
    ),
  );

  // The stage: the canvas with an overlay for "empty world" and the like.
  const canvas = h("canvas", {
    class: "world",
    "data-testid": "world-canvas",
    role: "img",
    "aria-label": `World ${world}: a top-down view. Use WASD or the arrow keys, or press on the map, to move.`,
    tabindex: 0,
  });
  const overlay = h("div", { class: "overlay", "data-testid": "world-overlay", hidden: true });
  const banner = h("div", {
    class: "banner",
    "data-testid": "world-banner",
    role: "status",
    hidden: true,
  });
  const tickEl = h("span", { "data-testid": "world-tick" }, "—");
  const legend = h("ul", { class: "legend", "aria-label": "Legend" });
  const stage = h(
    "section",
    { class: "stage", "aria-label": "World view" },
    h("div", { class: "canvas-wrap" }, canvas, overlay),
    banner,
    legend,
    h(
      "p",
      { class: "hint muted" },
      "Move: WASD / arrow keys, or press on the map (touch works). Tick ",
      tickEl,
    ),
  );

  const hud = new Hud();
  const quests = new QuestLog(async (quest) => {
    try {
      await connection?.command("quest.claim", { quest });
    } catch (error) {
      showBanner(`Claim failed: ${message(error)}`);
    }
  });
  const ledger = new LedgerFeed({
    ledger: () => need().query("ledger", { limit: 100 }),
    verify: () => need().query("verify"),
    playerId: () => session.player,
  });
  const charts = new Charts();
  const operator = new OperatorPanel({
    worlds: () => need().query("worlds"),
    replay: (fromTick, toTick) =>
      need().query("replay", {
        ...(fromTick === undefined ? {} : { fromTick }),
        ...(toTick === undefined ? {} : { toTick }),
      }),
    currentWorld: () => world,
  });
  const panels = h(
    "div",
    { class: "panels" },
    hud.element,
    quests.element,
    ledger.element,
    charts.element,
    operator.element,
  );
  replace(app, h("div", { class: "layout" }, stage, panels));

  const view = new WorldView(canvas, {
    model,
    game: () => game,
    me: () => session.player,
    target: () => input.target,
  });
  const myBody = () => model.byName(session.player);
  const input = new Input({
    canvas,
    toWorld: (x, y) => view.toWorld(x, y),
    myPosition: () => {
      const e = myBody();
      return e === undefined ? undefined : { x: e.x1, y: e.y1 };
    },
    canSend: () => connection?.connected === true && !watching && myBody() !== undefined,
    send: (v) => {
      connection?.command("move", v).catch((error: unknown) => {
        if (error instanceof FrameError && error.code === "not_in_world") {
          watching = true;
          refreshOverlay();
        }
      });
    },
  });
  input.attach();
  view.start();

  function need(): Connection {
    if (connection === undefined) throw new FrameError("not_connected", "not connected");
    return connection;
  }

  let bannerTimer: ReturnType<typeof setTimeout> | undefined;
  function showBanner(text: string): void {
    banner.textContent = text;
    banner.hidden = false;
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(() => {
      banner.hidden = true;
    }, 6000);
  }

  function refreshOverlay(): void {
    let text: string | undefined;
    if (stateLoaded && model.entities.size === 0) {
      text = "This world is empty: there is nothing in it yet.";
    } else if (stateLoaded && (watching || myBody() === undefined)) {
      text = undefined;
      banner.textContent = `${session.player} is not in this world: you are watching.`;
      banner.hidden = false;
    }
    overlay.hidden = text === undefined;
    overlay.textContent = text ?? "";
  }

  function setPlayer(p: PlayerRecord | undefined): void {
    player = p;
    hud.render(p, session.player);
    quests.setPlayer(p, connection?.connected === true);
  }

  function applyState(s: StateQueryResult): void {
    game = s.game;
    if (s.game !== undefined) {
      quests.setBook(questBook(s.game.quests));
      replace(
        legend,
        h("li", {}, h("span", { class: "swatch me" }), "you"),
        ...Object.entries(s.game.kinds).map(([kind, look]) =>
          h(
            "li",
            {},
            h("span", {
              class: `swatch ${look.shape}`,
              style: `--swatch: ${kindColor(kind)}`,
            }),
            look.label || kind,
          ),
        ),
      );
    }
    model.replaceAll(s.entities, performance.now(), s.version);
    model.tick = s.tick;
    tickEl.textContent = s.tick.toLocaleString("en-US");
    watching = s.player === undefined;
    setPlayer(s.player);
    ledger.onDigest(s.ledger.count, s.ledger.head);
    stateLoaded = true;
    refreshOverlay();
  }

  function onPush(push: StatePushFrame): void {
    const now = performance.now();
    if (!model.applyPush(push, now)) return;
    tickEl.textContent = push.tick.toLocaleString("en-US");
    if (push.full) stateLoaded = true;
    if (push.you !== undefined) setPlayer(push.you);
    ledger.onDigest(push.ledger.count, push.ledger.head);
    charts.onPush(Date.now(), push.batch, push.supply);
    refreshOverlay();
  }

  async function loadState(): Promise<void> {
    try {
      applyState(await need().query("state"));
    } catch (error) {
      // An older server without queries: the first (full) push still fills the view.
      if (error instanceof FrameError && error.code === "not_connected") return;
      showBanner(`Could not load the world's state: ${message(error)}`);
    }
  }

  const onStatus = (status: ConnectionStatus) => {
    clearInterval(countdown);
    const connected = status.state === "connected";
    ledger.setEnabled(connected);
    operator.setConnected(connected);
    quests.setPlayer(player, connected);
    app.dataset.connection = status.state;
    switch (status.state) {
      case "connecting":
        setStatus(
          "connecting",
          status.attempt > 1 ? `Reconnecting… (attempt ${status.attempt})` : "Connecting…",
        );
        break;
      case "connected":
        setStatus("connected", `Connected to ${world}`);
        break;
      case "lost": {
        const tell = () => {
          const s = Math.max(0, Math.ceil((status.retryAt - Date.now()) / 1000));
          setStatus(
            "lost",
            `Connection lost — reconnecting in ${s}s (attempt ${status.attempt})`,
            h(
              "button",
              { type: "button", class: "link", onclick: () => connection?.retryNow() },
              "Retry now",
            ),
          );
        };
        tell();
        countdown = setInterval(tell, 250);
        break;
      }
      case "expired":
        signOut("Your session expired — sign in again.", {
          state: "expired",
          text: "Your session expired — sign in again",
        });
        break;
      case "refused":
        setStatus("refused", `World not found or sign-in refused`);
        overlay.hidden = false;
        replace(
          overlay,
          h(
            "div",
            { "data-testid": "refused" },
            h("p", {}, `Could not join world “${world}”.`),
            h(
              "p",
              { class: "muted" },
              "It does not exist (404), or your sign-in was refused (401).",
            ),
            h(
              "div",
              { class: "row" },
              h("button", { type: "button", onclick: () => connection?.retryNow() }, "Try again"),
              h("button", { type: "button", onclick: () => signOut() }, "Sign in again"),
            ),
          ),
        );
        break;
      case "closed":
        break;
    }
  };

  connection = new Connection({
    url,
    world,
    token: session.token,
    onStatus,
    onPush,
    onOpen: () => {
      input.reset();
      overlay.hidden = true;
      void loadState();
      void operator.refresh();
    },
    onStrayError: (e) => {
      if (e.code === "not_in_world") {
        watching = true;
        refreshOverlay();
      } else showBanner(`Server: ${e.message}`);
    },
  });
  connection.start();

  window.__lq = {
    entities: () =>
      [...model.entities.values()].map((e) => ({
        id: e.id,
        kind: e.kind,
        ...(e.name === undefined ? {} : { name: e.name }),
        x: e.x1,
        y: e.y1,
      })),
    me: () => {
      const e = myBody();
      return e === undefined ? undefined : { x: e.x1, y: e.y1 };
    },
    player: () => player,
    status: () => connection?.status.state ?? "signed-out",
    game: () => game,
    version: () => model.version,
  };
}

void boot();
