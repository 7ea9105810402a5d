/**
 * Route selection: which route a message goes to. The one-source `ROUTE_SELECTION_EXPRESSION`
 * (`$request.body.action`) is evaluated on the message's JSON body; a string value equal to a
 * configured route key picks that route, anything else (no such route, not JSON, no `action`)
 * goes to `$default`.
 */
import { COMMAND_ROUTES, QUERY_ROUTE, ROUTE_SELECTION_EXPRESSION } from "@ledgerquest/runtime";
import { WebSocketGatewayError } from "../errors.js";

/** A custom route of the API: one per action, from the one-source definitions. */
export type CommandRouteKey = (typeof COMMAND_ROUTES)[number] | typeof QUERY_ROUTE;

/** Every custom route, as the ApiStack deploys them. */
export const CUSTOM_ROUTES: readonly CommandRouteKey[] = [...COMMAND_ROUTES, QUERY_ROUTE];

/** The JSON path that `$request.body.<path>` names. */
export function selectionPath(expression: string): readonly string[] {
  const match = /^\$request\.body\.([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)$/.exec(expression);
  if (match?.[1] === undefined) {
    throw new WebSocketGatewayError(
      `the local gateway supports route selection expressions of the form $request.body.<field>, got ${JSON.stringify(expression)}`,
    );
  }
  return match[1].split(".");
}

/** The value the selection expression yields on `body`, if it is a string. */
export function selectedValue(path: readonly string[], body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const key of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === "string" ? value : undefined;
}

/**
 * The API's routes: the custom routes that have an integration (a route without a handler does
 * not exist), selected by the one-source expression.
 */
export class RouteSelection {
  readonly #routes: ReadonlySet<string>;
  readonly #selectionPath: readonly string[];

  constructor(handlers: { readonly [K in CommandRouteKey]?: unknown }) {
    this.#routes = new Set(CUSTOM_ROUTES.filter((route) => handlers[route] !== undefined));
    this.#selectionPath = selectionPath(ROUTE_SELECTION_EXPRESSION);
  }

  /** The route `body` goes to. */
  select(body: string): "$default" | CommandRouteKey {
    const selected = selectedValue(this.#selectionPath, body);
    return selected !== undefined && this.#routes.has(selected)
      ? (selected as CommandRouteKey)
      : "$default";
  }
}
