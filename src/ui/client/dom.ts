/**
 * A tiny element builder. Text always goes in through `textContent` and attributes through
 * `setAttribute` (never `style` or `on*`), so no user string is ever parsed as HTML or script.
 *
 * @packageDocumentation
 */

/** What {@link h} accepts as a child: nodes, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Properties of {@link h}. */
export interface Props {
  /** CSS classes. */
  readonly class?: string;
  /** Attributes (names starting with `on` and `style` are refused). */
  readonly attrs?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Event listeners. */
  readonly on?: Readonly<Record<string, (ev: Event) => void>>;
}

/**
 * Creates an element with properties and children.
 * @example `h("td", { class: "num" }, "0.91")`
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props?.class) el.className = props.class;
  for (const [name, value] of Object.entries(props?.attrs ?? {})) {
    if (/^on/i.test(name) || name.toLowerCase() === "style") throw new Error(`attribute ${name} is not allowed`);
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [type, fn] of Object.entries(props?.on ?? {})) el.addEventListener(type, fn);
  append(el, ...children);
  return el;
}

/**
 * Appends children (strings as text nodes).
 * @example `append(td, "x")`
 */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/**
 * Replaces an element's children.
 * @example `replace(main, h("h1", null, "Runs"))`
 */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/**
 * A link to a dashboard route.
 * @example `link("#/run/abc", "my run")`
 */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h("a", { attrs: { href } }, ...children);
}

/**
 * A table with a header row, in a horizontally scrolling box (so a phone scrolls the table, not the page).
 * @example `table(["Model", "Versions"], rows)`
 */
export function table(head: readonly string[], rows: readonly HTMLElement[]): HTMLElement {
  return h("div", { class: "scroll" }, h("table", null, h("thead", null, h("tr", null, ...head.map((t) => h("th", null, t)))), h("tbody", null, ...rows)));
}
