/** A few lines instead of a framework: elements from tags, attributes and children. */

type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** `h("button", {class: "x", onclick: f, "data-testid": "go"}, "Go")`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A hash shortened for display, whole in its title. */
export function shortHash(hash: string | undefined, n = 12): HTMLElement {
  const text = hash === undefined ? "—" : hash.length > n ? `${hash.slice(0, n)}…` : hash;
  return h("code", { class: "hash", title: hash ?? "" }, text);
}

export function formatNumber(n: number): string {
  return n.toLocaleString("en-US");
}

/** A panel: a titled section with an optional tool area in its heading. */
export function panel(
  id: string,
  title: string,
  tools: Child[] = [],
): { section: HTMLElement; body: HTMLElement } {
  const headingId = `${id}-title`;
  const body = h("div", { class: "panel-body" });
  const section = h(
    "section",
    { class: `panel panel-${id}`, "aria-labelledby": headingId, "data-testid": `panel-${id}` },
    h("header", { class: "panel-head" }, h("h2", { id: headingId }, title), ...tools),
    body,
  );
  return { section, body };
}

/** A failed query or command, as the page tells it: the code, the field, the server's words. */
export function failureText(f: Failure): string {
  return `${f.code}${f.path === undefined ? "" : ` at ${f.path}`}: ${f.message}`;
}

/** What a failed query or command answered. */
export interface Failure {
  readonly code: string;
  readonly message: string;
  readonly path?: string | undefined;
}

/** Shows in `el` that `what` failed, and marks it so (`data-ok="error"`). */
export function showFailure(el: HTMLElement, what: string, f: Failure): void {
  el.dataset.ok = "error";
  replace(el, h("p", { class: "bad" }, `${what} failed: ${failureText(f)}`));
}
