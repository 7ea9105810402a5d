/**
 * One signed-in session of the page on one world, for any game: the client SDK's connection
 * (`createClient`: reconnects, commands applied once, the state store, the queries) wired to the
 * world view, the HUD, the game and command panel, the quest log, the ledger feed, the charts
 * and the operator tools. Steering with the keys or a pointer is on only where the game has a
 * `move` command (sent as `{dx, dy}`); every game is played through the command panel.
 *
 * The pushes bring the player the area near its own entity (the game's area of interest); an
 * operator sees the whole world besides (`WholeWorld`: the `state` query every few seconds, the
 * pushed area laid over it), unless they untick "Whole world".
 */
import {
  type Client,
  type ConnectionStatus,
  createClient,
  type EntityView,
  type Failure,
  type GameDescription,
  Interpolator,
  type PlayerRecord,
  type SendResult,
  type StateChange,
} from "@ledgerquest/client";
import type { PageConfig, Session } from "./auth.js";
import { Charts } from "./charts.js";
import { failureText, h, replace } from "./dom.js";
import { GamePanel } from "./game-panel.js";
import { Hud } from "./hud.js";
import { Input } from "./input.js";
import { tokenExpired } from "./jwt.js";
import { LedgerFeed } from "./ledger-feed.js";
import { kindColor, legendOf } from "./look.js";
import { OperatorPanel } from "./operator.js";
import { QuestLog, questBook } from "./quests.js";
import { canSteer, STEER_COMMAND } from "./steering.js";
import { WholeWorld } from "./whole-world.js";
import { WorldView } from "./world-view.js";

/** A jump longer than this (world units) between two pushes is drawn at once, not glided. */
export const TELEPORT_DISTANCE = 20;
/** Failed connection attempts, before one ever opened, after which the page says "refused". */
const REFUSE_AFTER = 2;

/** What the page's status line and `window.__lq.status()` say. */
export type PageState = ConnectionStatus["state"] | "expired" | "signed-out";

export interface PlayOptions {
  readonly config: PageConfig;
  readonly world: string;
  readonly session: Session;
  readonly url: string;
  readonly app: HTMLElement;
  readonly setStatus: (state: PageState, text: string, extra?: HTMLElement) => void;
  /** Sign out, with a notice for the sign-in form. */
  readonly signOut: (notice?: string, status?: { state: PageState; text: string }) => void;
  /** Start again with the same session (after a refusal). */
  readonly restart: () => void;
}

/** The page's elements around the canvas. */
interface Stage {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly overlay: HTMLElement;
  readonly banner: HTMLElement;
  readonly tick: HTMLElement;
  readonly legend: HTMLElement;
  readonly hint: HTMLElement;
  readonly pointer: HTMLElement;
  /** What the view shows (the player's area, the whole world), and the operator's switch. */
  readonly scope: HTMLElement;
  readonly wholeWorld: HTMLLabelElement;
}

export class Play {
  readonly client: Client;
  readonly #o: PlayOptions;
  readonly #interpolator = new Interpolator({ teleportDistance: TELEPORT_DISTANCE });
  readonly #stage: Stage;
  readonly #hud = new Hud();
  readonly #quests: QuestLog;
  readonly #ledger: LedgerFeed;
  readonly #charts = new Charts();
  readonly #operator: OperatorPanel;
  readonly #game: GamePanel;
  readonly #view: WorldView;
  readonly #input: Input;
  readonly #whole: WholeWorld;
  #state: PageState = "connecting";
  #everConnected = false;
  #stateLoaded = false;
  #watching = false;
  /** The game's `move` was refused as `{dx, dy}`: steering is off. */
  #moveRefused = false;
  #shownGame: GameDescription | undefined;
  #shownPlayer: PlayerRecord | undefined;
  #countdown: ReturnType<typeof setInterval> | undefined;
  #bannerTimer: ReturnType<typeof setTimeout> | undefined;

  /** Builds the page and connects; throws `ClientOptionsError` for a URL that cannot work. */
  constructor(o: PlayOptions) {
    this.#o = o;
    this.client = createClient({
      url: o.url,
      world: o.world,
      token: () => this.#token(),
      reconnect: { refuseAfter: REFUSE_AFTER },
      // The page's clock: the interpolation draws at performance.now() too.
      now: () => performance.now(),
    });
    this.#stage = stage(o.world);
    this.#quests = new QuestLog((quest) => this.#claim(quest));
    this.#ledger = new LedgerFeed({
      ledger: () => this.client.ledger(100),
      verify: () => this.client.verify(),
      playerId: () => o.session.player,
    });
    this.#operator = new OperatorPanel({
      worlds: () => this.client.worlds(),
      replay: (fromTick, toTick) =>
        this.client.replay({
          ...(fromTick === undefined ? {} : { fromTick }),
          ...(toTick === undefined ? {} : { toTick }),
        }),
      currentWorld: () => o.world,
    });
    this.#game = new GamePanel({ send: (type, data) => this.#send(type, data) });
    this.#whole = new WholeWorld({
      state: () => this.client.state(),
      connected: () => this.#state === "connected",
      now: () => performance.now(),
      teleportDistance: TELEPORT_DISTANCE,
    });
    this.#view = new WorldView(this.#stage.canvas, {
      entitiesAt: (now) =>
        this.#whole.entitiesAt(
          now,
          this.#interpolator.entitiesAt(this.#interpolator.renderTimeMs(now)),
        ),
      game: () => this.client.store.game,
      me: () => o.session.player,
      target: () => (this.#steers() ? this.#input.target : undefined),
      faded: (e) => this.#whole.far(e.id),
    });
    this.#input = this.#makeInput();
    this.#layout();
    this.#wire();
  }

  /** What the page says of the connection. */
  get state(): PageState {
    return this.#state;
  }

  /** How many entities of each kind the last frame drew. */
  drawn(): Readonly<Record<string, number>> {
    return this.#view.drawn();
  }

  /**
   * What the view shows: `world` (every entity: pushed so, or the operator's whole world), `area`
   * (the player's area of interest), undefined before the first push.
   */
  viewScope(): "area" | "world" | undefined {
    return this.#whole.showing ? "world" : this.client.store.scope;
  }

  /** The player's own entity, if the world has one named after the player. */
  mine(): EntityView | undefined {
    return this.client.store.byName(this.#o.session.player);
  }

  /** Stops everything (sign-out, restart). */
  close(): void {
    this.#input.clear();
    this.#input.detach();
    this.#view.stop();
    this.#whole.stop();
    clearInterval(this.#countdown);
    clearTimeout(this.#bannerTimer);
    void this.client.close();
  }

  #layout(): void {
    const panels = h(
      "div",
      { class: "panels" },
      this.#hud.element,
      this.#game.element,
      this.#quests.element,
      this.#ledger.element,
      this.#charts.element,
      this.#operator.element,
    );
    replace(this.#o.app, h("div", { class: "layout" }, this.#stage.element, panels));
    this.#renderGame(undefined);
  }

  #wire(): void {
    this.#interpolator.follow(this.client.store);
    this.client.on("connection", (s) => this.#onStatus(s));
    this.client.on("state", (change) => this.#onState(change));
    this.client.on("push", (push) => this.#charts.onPush(Date.now(), push.batch, push.supply));
    this.client.on("problem", (p) => {
      if (p.kind === "server") this.#commandRefused(p.frame);
      else if (p.kind === "gateway") this.#showBanner(`Server: ${p.message}`);
    });
    this.#stage.wholeWorld.hidden = !this.#o.session.operator;
    const toggle = this.#stage.wholeWorld.querySelector("input") as HTMLInputElement;
    toggle.checked = this.#o.session.operator;
    toggle.addEventListener("change", () => this.#updateScope());
    this.#input.attach();
    this.#view.start();
    this.#onStatus(this.client.status);
  }

  /**
   * The operator's whole world is on while they want it and the pushes bring only an area; the
   * line under the view says what it shows.
   */
  #updateScope(): void {
    const store = this.client.store;
    const wanted = this.#o.session.operator && this.#wholeToggle().checked;
    this.#whole.setOn(wanted && store.scope === "area");
    const scope = this.viewScope();
    const text =
      scope === undefined
        ? ""
        : this.#whole.showing
          ? "Showing the whole world: your area live, the rest as of the last commit (faded)."
          : scope === "world"
            ? "Showing the whole world, live."
            : "Showing what is near you (the game's area of interest), live.";
    // Every push comes here: touch the page only when it changes.
    if (this.#stage.scope.textContent === text) return;
    this.#stage.scope.dataset.scope = scope ?? "";
    this.#stage.scope.textContent = text;
  }

  #wholeToggle(): HTMLInputElement {
    return this.#stage.wholeWorld.querySelector("input") as HTMLInputElement;
  }

  #makeInput(): Input {
    return new Input({
      canvas: this.#stage.canvas,
      toWorld: (x, y) => this.#view.toWorld(x, y),
      myPosition: () => {
        const e = this.mine();
        return e === undefined ? undefined : { x: e.x, y: e.y };
      },
      canSend: () =>
        this.#state === "connected" &&
        !this.#watching &&
        this.#steers() &&
        this.mine() !== undefined,
      send: (v) => {
        void this.client.send(STEER_COMMAND, v).then((r) => {
          if (r.ok) return;
          if (r.code === "invalid_data" || r.code === "unknown_command") this.#refuseSteering(r);
          else this.#commandRefused(r);
        });
      },
      onPointer: (p) => {
        this.#stage.pointer.textContent =
          p === undefined ? "—" : `${p.x.toFixed(1)}, ${p.y.toFixed(1)}`;
      },
    });
  }

  #steers(): boolean {
    return !this.#moveRefused && canSteer(this.client.store.game);
  }

  /** The token for each connection attempt; an expired one signs out instead. */
  #token(): string {
    const { token } = this.#o.session;
    if (!tokenExpired(token, Date.now())) return token;
    if (this.#state !== "expired") {
      this.#state = "expired";
      // Not now: the client is still being made, or is inside its attempt.
      setTimeout(
        () =>
          this.#o.signOut("Your session expired — sign in again.", {
            state: "expired",
            text: "Your session expired — sign in again",
          }),
        0,
      );
    }
    throw new Error("the session expired");
  }

  // ─── what the client tells ────────────────────────────────────────────────────────────────

  #onStatus(s: ConnectionStatus): void {
    if (this.#state === "expired" || this.#state === "signed-out") return;
    clearInterval(this.#countdown);
    this.#state = s.state;
    const connected = s.state === "connected";
    this.#ledger.setEnabled(connected);
    this.#operator.setConnected(connected);
    this.#quests.setPlayer(this.client.store.you, connected && this.#claims());
    this.#o.app.dataset.connection = s.state;
    this.#enableCommands();
    if (s.state === "connected") this.#connected();
    else if (s.state === "connecting") {
      const again = this.#everConnected || s.attempt > 1;
      this.#o.setStatus(
        "connecting",
        again ? `Reconnecting… (attempt ${s.attempt})` : "Connecting…",
      );
    } else if (s.state === "reconnecting") this.#reconnecting(s);
    else if (s.state === "refused") this.#refused();
    else this.#closed(s.reason);
  }

  #connected(): void {
    this.#everConnected = true;
    this.#o.setStatus("connected", `Connected to ${this.#o.world}`);
    this.#input.reset();
    this.#stage.overlay.hidden = true;
    void this.#operator.refresh();
  }

  #reconnecting(s: Extract<ConnectionStatus, { state: "reconnecting" }>): void {
    const retryAt = Date.now() + s.retryInMs;
    const tell = () => {
      const secs = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      this.#o.setStatus(
        "reconnecting",
        `Connection lost — reconnecting in ${secs}s (attempt ${s.attempt})`,
        h(
          "button",
          { type: "button", class: "link", onclick: () => this.client.reconnectNow() },
          "Retry now",
        ),
      );
    };
    tell();
    this.#countdown = setInterval(tell, 250);
  }

  #refused(): void {
    const { world } = this.#o;
    this.#o.setStatus("refused", "World not found or sign-in refused");
    this.#showOverlay(
      h(
        "div",
        { "data-testid": "refused" },
        h("p", {}, `Could not join world “${world}”.`),
        h("p", { class: "muted" }, "It does not exist (404), or your sign-in was refused (401)."),
        this.#retryButtons(),
      ),
    );
  }

  #closed(reason: string): void {
    if (reason === "closed by the client") return;
    this.#o.setStatus("closed", "Disconnected");
    this.#showOverlay(
      h(
        "div",
        { "data-testid": "closed" },
        h("p", {}, `Disconnected: ${reason}.`),
        this.#retryButtons(),
      ),
    );
  }

  #retryButtons(): HTMLElement {
    return h(
      "div",
      { class: "row" },
      h("button", { type: "button", onclick: () => this.#o.restart() }, "Try again"),
      h("button", { type: "button", onclick: () => this.#o.signOut() }, "Sign in again"),
    );
  }

  #onState(change: StateChange): void {
    const store = this.client.store;
    this.#stage.tick.textContent = store.tick.toLocaleString("en-US");
    if (change.full) this.#stateLoaded = true;
    // A `state` result says whether the player is in the world (it has `player`, or not).
    if (change.source === "query") this.#watching = store.you === undefined;
    if (store.game !== this.#shownGame) this.#renderGame(store.game);
    if (store.you !== this.#shownPlayer || change.source === "query") {
      this.#shownPlayer = store.you;
      this.#hud.render(store.you, this.#o.session.player);
      this.#quests.setPlayer(store.you, this.#state === "connected" && this.#claims());
    }
    if (store.ledger !== undefined) this.#ledger.onDigest(store.ledger.count, store.ledger.head);
    this.#updateScope();
    this.#enableCommands();
    this.#refreshOverlay();
  }

  /** Everything that comes from the game's description: legend, quests, commands, hint. */
  #renderGame(game: GameDescription | undefined): void {
    this.#shownGame = game;
    this.#quests.setBook(questBook(game?.quests));
    this.#game.setGame(game);
    replace(
      this.#stage.legend,
      h("li", {}, h("span", { class: "swatch me" }), "you"),
      ...legendOf(game).map((l) =>
        h(
          "li",
          { "data-kind": l.kind, title: l.kind },
          h("span", { class: `swatch ${l.shape}`, style: `--swatch: ${kindColor(l.kind)}` }),
          l.label,
        ),
      ),
    );
    this.#renderHint();
  }

  #renderHint(): void {
    const game = this.client.store.game;
    this.#stage.hint.textContent =
      game === undefined
        ? "Waiting for the game's description…"
        : this.#steers()
          ? "Move: WASD / arrow keys, or press on the map (touch works). Other commands: the Game panel."
          : "Play with the Game panel's commands (this game has no move {dx, dy} to steer with).";
    this.#stage.hint.dataset.steering = String(this.#steers());
  }

  // ─── commands ─────────────────────────────────────────────────────────────────────────────

  #send(type: string, data: unknown): Promise<SendResult> {
    return this.client.send(type, data).then((r) => {
      if (!r.ok) this.#commandRefused(r);
      return r;
    });
  }

  #claims(): boolean {
    return !this.#watching && this.client.store.game?.commands.includes("quest.claim") !== false;
  }

  async #claim(quest: string): Promise<void> {
    const r = await this.#send("quest.claim", { quest });
    if (!r.ok) this.#showBanner(`Claim failed: ${failureText(r)}`);
  }

  /** A command the server refused: not a member means watching. */
  #commandRefused(r: Pick<Failure, "code" | "message">): void {
    if (r.code === "not_a_member" || r.code === "not_in_world") {
      this.#watching = true;
      this.#enableCommands();
      this.#refreshOverlay();
    }
  }

  #refuseSteering(r: Failure): void {
    this.#moveRefused = true;
    this.#input.clear();
    this.#renderHint();
    this.#showBanner(
      `Steering is off: this game's ${STEER_COMMAND} does not take {dx, dy} (${failureText(r)}).`,
    );
  }

  #enableCommands(): void {
    const connected = this.#state === "connected";
    this.#game.setEnabled(
      connected && !this.#watching,
      this.#watching
        ? "You are watching: only the world's players send commands."
        : "Commands go out once you are connected.",
    );
  }

  // ─── the stage's notices ──────────────────────────────────────────────────────────────────

  #showBanner(text: string): void {
    const { banner } = this.#stage;
    banner.textContent = text;
    banner.hidden = false;
    clearTimeout(this.#bannerTimer);
    this.#bannerTimer = setTimeout(() => {
      banner.hidden = true;
    }, 6000);
  }

  #showOverlay(content: HTMLElement): void {
    this.#stage.overlay.hidden = false;
    replace(this.#stage.overlay, content);
  }

  #refreshOverlay(): void {
    const { overlay, banner } = this.#stage;
    // An empty area is not an empty world (a watcher of a game that sends watchers nothing).
    const empty =
      this.#stateLoaded &&
      this.viewScope() !== "area" &&
      this.client.store.entities.size === 0 &&
      !this.#whole.showing;
    if (this.#stateLoaded && !empty && (this.#watching || this.mine() === undefined)) {
      clearTimeout(this.#bannerTimer);
      banner.textContent = `${this.#o.session.player} is not in this world: you are watching.`;
      banner.hidden = false;
    }
    if (this.#state !== "connected") return;
    overlay.hidden = !empty;
    overlay.textContent = empty ? "This world is empty: there is nothing in it yet." : "";
  }
}

/** The canvas with its overlay, banner, legend and hint line. */
function stage(world: string): Stage {
  const canvas = h("canvas", {
    class: "world",
    "data-testid": "world-canvas",
    role: "img",
    "aria-label": `World ${world}: a top-down view of every entity, drawn as the game describes it.`,
    tabindex: 0,
  });
  const overlay = h("div", { class: "overlay", "data-testid": "world-overlay", hidden: true });
  const banner = h("div", {
    class: "banner",
    "data-testid": "world-banner",
    role: "status",
    hidden: true,
  });
  const tick = h("span", { "data-testid": "world-tick" }, "—");
  const pointer = h("span", { "data-testid": "pointer-at" }, "—");
  const legend = h("ul", { class: "legend", "aria-label": "Legend", "data-testid": "legend" });
  const hint = h("span", { "data-testid": "steering-hint" });
  const scope = h("span", { "data-testid": "view-scope" });
  const wholeWorld = h(
    "label",
    { class: "inline whole-world", hidden: true },
    h("input", { type: "checkbox", "data-testid": "whole-world" }),
    " Whole world (operator)",
  );
  const element = h(
    "section",
    { class: "stage", "aria-label": "World view" },
    h("div", { class: "canvas-wrap" }, canvas, overlay),
    banner,
    legend,
    h("p", { class: "hint muted" }, hint, " Tick ", tick, " · pointer at ", pointer),
    h("p", { class: "hint muted" }, scope, " ", wholeWorld),
  );
  return { element, canvas, overlay, banner, tick, legend, hint, pointer, scope, wholeWorld };
}
