/**
 * The dashboard, for any game: sign in, then watch and play a world (the canvas, drawn from the
 * game's description), the HUD, the game and its commands, the quest log, the ledger feed with
 * Verify, live charts and the operator tools, over one connection made by the client SDK
 * (`@ledgerquest/client`). `window.__lq` is what tests read of it.
 */
import "./style.css";
import { ClientOptionsError, type GameDescription, type PlayerRecord } from "@ledgerquest/client";
import {
  chosenWorld,
  loadConfig,
  type PageConfig,
  type Session,
  savedSession,
  saveSession,
  signInForm,
} from "./auth.js";
import { h, replace } from "./dom.js";
import { type PageState, Play } from "./play.js";

const URL_KEY = "ledgerquest.websocketUrl";

/** What the e2e tests (and a curious developer) read of the page: `window.__lq`. */
export interface DebugHook {
  /** Every entity as the store has it (the newest push), not as drawn. */
  entities(): { id: number; kind: string; name?: string; x: number; y: number }[];
  /** The player's own entity's position (the entity named after the player). */
  me(): { x: number; y: number } | undefined;
  player(): PlayerRecord | undefined;
  status(): PageState;
  game(): GameDescription | undefined;
  version(): number;
  /** How many entities of each kind the view's last frame drew. */
  drawn(): Readonly<Record<string, number>>;
  /** What the view shows: `area` (near the player, as pushed), `world` (every entity). */
  scope(): "area" | "world" | undefined;
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

let play: Play | undefined;

window.__lq = {
  entities: () =>
    [...(play?.client.store.entities.values() ?? [])].map((e) => ({
      id: e.id,
      kind: e.kind,
      ...(e.name === undefined ? {} : { name: e.name }),
      x: e.x,
      y: e.y,
    })),
  me: () => {
    const e = play?.mine();
    return e === undefined ? undefined : { x: e.x, y: e.y };
  },
  player: () => play?.client.store.you,
  status: () => play?.state ?? "signed-out",
  game: () => play?.client.store.game,
  version: () => play?.client.store.version ?? -1,
  drawn: () => play?.drawn() ?? {},
  scope: () => play?.viewScope(),
};

async function boot(): Promise<void> {
  const { config, error } = await loadConfig();
  const world = chosenWorld(config, location.search);
  worldLabel.textContent = world === "" ? "no world" : world;
  const session = savedSession();
  const url = config.websocketUrl || sessionStorage.getItem(URL_KEY) || "";
  if (session !== undefined && url !== "" && world !== "") start(config, world, session, url);
  else showSignIn(config, world, error);
}

function stop(): void {
  const old = play;
  play = undefined;
  old?.close();
}

function showSignIn(
  config: PageConfig,
  world: string,
  notice?: string,
  status: { state: PageState; text: string } = { state: "signed-out", text: "Signed out" },
): void {
  stop();
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

function setStatus(state: PageState, text: string, extra?: HTMLElement): void {
  statusEl.dataset.state = state;
  replace(statusEl, h("span", { class: "dot", "aria-hidden": "true" }), text, extra ?? null);
}

function start(config: PageConfig, world: string, session: Session, url: string): void {
  stop();
  const signOut = (notice?: string, status?: { state: PageState; text: string }) => {
    saveSession(undefined);
    showSignIn(config, world, notice, status);
  };
  showIdentity(session, () => signOut());
  try {
    play = new Play({
      config,
      world,
      session,
      url,
      app,
      setStatus,
      signOut,
      restart: () => start(config, world, session, url),
    });
  } catch (error) {
    if (!(error instanceof ClientOptionsError)) throw error;
    if (config.websocketUrl === "") sessionStorage.removeItem(URL_KEY);
    signOut(`Cannot connect: ${error.message}`);
  }
}

function showIdentity(session: Session, signOut: () => void): void {
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
}

void boot();
