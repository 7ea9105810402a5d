/**
 * Signing in: the page's config (`./config.json`), dev tokens from the local server
 * (`./api/token`), a pasted token in the cloud, and the session kept in sessionStorage so that a
 * reload stays signed in (and a closed tab does not).
 */
import { h } from "./dom.js";
import { tokenExpiresAtMs, tokenIdentity } from "./jwt.js";

/** `/config.json`: where the WebSocket API is and how players sign in (client-protocol.md). */
export interface PageConfig {
  readonly websocketUrl: string;
  readonly world: string;
  readonly auth: "dev" | "token";
}

const SESSION_KEY = "ledgerquest.session";

export interface Session {
  readonly token: string;
  readonly player: string;
  readonly operator: boolean;
}

/** The page's config; a page served without one asks for the WebSocket URL and a token. */
export async function loadConfig(): Promise<{ config: PageConfig; error?: string }> {
  try {
    const res = await fetch("./config.json", { cache: "no-store" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const json = (await res.json()) as Partial<PageConfig>;
    return {
      config: {
        websocketUrl: String(json.websocketUrl ?? ""),
        world: String(json.world ?? ""),
        auth: json.auth === "dev" ? "dev" : "token",
      },
    };
  } catch (error) {
    return {
      config: { websocketUrl: "", world: "", auth: "token" },
      error: `could not load config.json (${(error as Error).message})`,
    };
  }
}

/** The world to show: `?world=` overrides the config's. */
export function chosenWorld(config: PageConfig, search: string): string {
  const fromUrl = new URLSearchParams(search).get("world");
  return fromUrl !== null && fromUrl !== "" ? fromUrl : config.world;
}

export function sessionFromToken(token: string): Session | undefined {
  const id = tokenIdentity(token);
  if (id.player === undefined) return undefined;
  return { token, player: id.player, operator: id.operator };
}

export function savedSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (raw === null) return undefined;
    const { token } = JSON.parse(raw) as { token?: unknown };
    return typeof token === "string" ? sessionFromToken(token) : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  try {
    if (session === undefined) sessionStorage.removeItem(SESSION_KEY);
    else sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token: session.token }));
  } catch {
    // Storage refused (private mode): the session lasts as long as the page.
  }
}

/** A dev token from the local server. */
export async function devToken(player: string, operator: boolean): Promise<string> {
  const q = new URLSearchParams({ player });
  if (operator) q.set("operator", "1");
  const res = await fetch(`./api/token?${q}`, { cache: "no-store" });
  if (!res.ok) {
    const text = await res.text().catch(() => "");
    throw new Error(`the local server refused a token (HTTP ${res.status}) ${text}`.trim());
  }
  const { token } = (await res.json()) as { token?: unknown };
  if (typeof token !== "string") throw new Error("the local server answered no token");
  return token;
}

export interface SignInFormOptions {
  readonly config: PageConfig;
  readonly world: string;
  readonly notice?: string;
  readonly onSession: (session: Session, websocketUrl: string) => void;
}

/** The form's credential inputs: a player name and an operator box (dev), a token (cloud). */
function credentialInputs(): {
  player: HTMLInputElement;
  operator: HTMLInputElement;
  token: HTMLTextAreaElement;
} {
  const player = h("input", {
    id: "signin-player",
    name: "player",
    value: "player_0001",
    required: true,
    pattern: "[A-Za-z0-9_.:\\-]{1,64}",
    autocomplete: "username",
    "data-testid": "signin-player",
  });
  const operator = h("input", {
    id: "signin-operator",
    type: "checkbox",
    "data-testid": "signin-operator",
  });
  const token = h("textarea", {
    id: "signin-token",
    rows: 4,
    required: true,
    spellcheck: "false",
    placeholder: "eyJraWQiOi…",
    "data-testid": "signin-token",
  });
  return { player, operator, token };
}

/** The sign-in form: a player name and an operator box (dev), or a token to paste (cloud). */
export function signInForm(o: SignInFormOptions): HTMLElement {
  const error = h("p", { class: "bad", role: "alert", "data-testid": "signin-error" });
  const needsUrl = o.config.websocketUrl === "";
  const urlInput = h("input", {
    id: "signin-url",
    type: "url",
    required: true,
    placeholder: "wss://…/prod",
    "data-testid": "signin-url",
  });
  const fields: HTMLElement[] = [];
  if (needsUrl) {
    fields.push(h("label", { for: "signin-url" }, "WebSocket API URL"), urlInput);
  }
  const { player, operator, token } = credentialInputs();
  if (o.config.auth === "dev") {
    fields.push(
      h("label", { for: "signin-player" }, "Player"),
      player,
      h("label", { class: "inline", for: "signin-operator" }, operator, " Sign in as an operator"),
    );
  } else {
    fields.push(
      h("label", { for: "signin-token" }, "Access token (from your Cognito sign-in)"),
      token,
    );
  }
  const submit = h(
    "button",
    { type: "submit", class: "primary", "data-testid": "signin-submit" },
    "Sign in",
  );
  const form = h(
    "form",
    {
      class: "signin",
      "data-testid": "signin-form",
      "aria-labelledby": "signin-title",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.textContent = "";
        submit.disabled = true;
        try {
          const raw =
            o.config.auth === "dev"
              ? await devToken(player.value.trim(), operator.checked)
              : token.value.trim();
          const session = sessionFromToken(raw);
          if (session === undefined) throw new Error("that is not a token with a subject (sub)");
          const exp = tokenExpiresAtMs(raw);
          if (exp !== undefined && exp <= Date.now()) throw new Error("that token has expired");
          o.onSession(session, needsUrl ? urlInput.value.trim() : o.config.websocketUrl);
        } catch (err) {
          error.textContent = (err as Error).message;
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "signin-title" }, "Sign in"),
    h(
      "p",
      { class: "muted" },
      o.world === "" ? "No world chosen: add ?world=<id> to the address." : `World “${o.world}”`,
    ),
    o.notice === undefined ? null : h("p", { class: "notice", role: "status" }, o.notice),
    ...fields,
    submit,
    error,
  );
  return form;
}
