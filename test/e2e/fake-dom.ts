/**
 * A minimal fake DOM for running the dashboard's browser script (/dashboard/app.js) in Node.
 *
 * Why it exists: no DOM library (happy-dom, jsdom, linkedom) is installed and there is no
 * network to add one, and workerd has no DOM either; yet the script must be executed by a test,
 * or a runtime error in it (a typo, a field renamed in the admin API) would ship unnoticed. So
 * this models exactly what src/dashboard/script*.ts uses, and nothing more:
 * - document: getElementById, createElement, createTextNode, addEventListener, dispatchEvent;
 * - nodes: appendChild, append, replaceChildren, textContent, parentNode, `instanceof Node`;
 * - elements: setAttribute/getAttribute/hasAttribute, className, hidden, disabled, checked,
 *   value (a <select>'s is its first option's, or the one set), focus(), addEventListener,
 *   dispatchEvent; `innerHTML`, `outerHTML`, `insertAdjacentHTML` THROW, so any HTML-parsing
 *   sink the script starts to use fails the test instead of being silently accepted;
 * - Event with preventDefault(); events do not bubble or capture, and listeners run in order.
 *   Errors thrown by listeners (or promises they return that reject) are recorded in
 *   `errors`, as a browser would report them, so a test can fail on them.
 * - the page's elements come from the served HTML: every tag with an id becomes an element
 *   (attributes kept, `hidden` honoured); nesting and text of the page are NOT modelled.
 * Not modelled: layout, CSS, focus state, default actions (a submit button does not submit:
 * the test dispatches "submit" on the form itself), query selectors, attributes-to-property
 * reflection beyond the few listed, HTML escaping (there is no HTML serialisation at all).
 */

/** What a listener may return: async listeners return a promise, which is tracked. */
type Listener = (ev: FakeEvent) => unknown;

export class FakeEvent {
  readonly type: string;
  defaultPrevented = false;
  constructor(type: string) {
    this.type = type;
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** Errors thrown or rejected by listeners; shared by one document's nodes. */
export interface ErrorSink {
  errors: unknown[];
  /** Promises returned by listeners that are still running. */
  pending: Set<Promise<unknown>>;
}

class EventTargetish {
  readonly #listeners = new Map<string, Listener[]>();
  protected readonly sink: ErrorSink;
  constructor(sink: ErrorSink) {
    this.sink = sink;
  }
  addEventListener(type: string, fn: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), fn]);
  }
  listenerCount(type: string): number {
    return this.#listeners.get(type)?.length ?? 0;
  }
  dispatchEvent(ev: FakeEvent): boolean {
    for (const fn of this.#listeners.get(ev.type) ?? []) {
      try {
        const out = fn.call(this, ev);
        if (out instanceof Object && typeof (out as Promise<unknown>).then === "function") {
          const p = Promise.resolve(out).catch((err: unknown) => {
            this.sink.errors.push(err);
          });
          this.sink.pending.add(p);
          void p.finally(() => this.sink.pending.delete(p));
        }
      } catch (err) {
        this.sink.errors.push(err);
      }
    }
    return !ev.defaultPrevented;
  }
}

export class FakeNode extends EventTargetish {
  parentNode: FakeElement | null = null;
  readonly childNodes: FakeNode[] = [];
  get textContent(): string {
    return this.childNodes.map((c) => c.textContent).join("");
  }
}

export class FakeText extends FakeNode {
  data: string;
  constructor(sink: ErrorSink, data: string) {
    super(sink);
    this.data = data;
  }
  override get textContent(): string {
    return this.data;
  }
}

const refuse = (what: string): never => {
  throw new Error(`fake DOM: ${what} is an HTML-parsing sink and must not be used by the dashboard`);
};

export class FakeElement extends FakeNode {
  readonly tagName: string;
  readonly attributes = new Map<string, string>();
  hidden = false;
  disabled = false;
  checked = false;
  focused = false;
  #value: string | null = null;
  constructor(sink: ErrorSink, tag: string) {
    super(sink);
    this.tagName = tag.toUpperCase();
  }
  override get textContent(): string {
    return super.textContent;
  }
  override set textContent(v: string) {
    this.#detachAll();
    if (v !== "") this.appendChild(new FakeText(this.sink, String(v)));
  }
  get className(): string {
    return this.attributes.get("class") ?? "";
  }
  set className(v: string) {
    this.attributes.set("class", String(v));
  }
  get id(): string {
    return this.attributes.get("id") ?? "";
  }
  get value(): string {
    if (this.#value !== null) return this.#value;
    if (this.tagName === "SELECT") {
      const options = this.childNodes.filter((c): c is FakeElement => c instanceof FakeElement && c.tagName === "OPTION");
      return options[0]?.value ?? "";
    }
    if (this.tagName === "OPTION") return this.attributes.get("value") ?? this.textContent;
    return this.attributes.get("value") ?? "";
  }
  set value(v: string) {
    this.#value = String(v);
  }
  set innerHTML(_v: string) {
    refuse("innerHTML");
  }
  get innerHTML(): string {
    return refuse("innerHTML");
  }
  set outerHTML(_v: string) {
    refuse("outerHTML");
  }
  get outerHTML(): string {
    return refuse("outerHTML");
  }
  insertAdjacentHTML(): never {
    return refuse("insertAdjacentHTML");
  }
  setAttribute(name: string, value: string): void {
    const v = String(value);
    this.attributes.set(name, v);
    if (name === "hidden") this.hidden = true;
    if (name === "disabled") this.disabled = true;
    if (name === "checked") this.checked = true;
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  hasAttribute(name: string): boolean {
    return this.attributes.has(name);
  }
  focus(): void {
    this.focused = true;
  }
  appendChild<T extends FakeNode>(kid: T): T {
    if (!(kid instanceof FakeNode)) throw new TypeError("fake DOM: appendChild takes a Node");
    if (kid.parentNode !== null) {
      const siblings = kid.parentNode.childNodes;
      siblings.splice(siblings.indexOf(kid), 1);
    }
    kid.parentNode = this;
    this.childNodes.push(kid);
    return kid;
  }
  append(...kids: (FakeNode | string)[]): void {
    for (const k of kids) this.appendChild(typeof k === "string" ? new FakeText(this.sink, k) : k);
  }
  replaceChildren(...kids: (FakeNode | string)[]): void {
    this.#detachAll();
    this.append(...kids);
  }
  #detachAll(): void {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes.length = 0;
  }
  /** Every element below this one, depth first (for the test's own lookups). */
  *descendants(): Generator<FakeElement> {
    for (const c of this.childNodes) {
      if (c instanceof FakeElement) {
        yield c;
        yield* c.descendants();
      }
    }
  }
}

/** The document: elements with ids from the served HTML, plus whatever the script creates. */
export class FakeDocument extends EventTargetish {
  readonly #byId = new Map<string, FakeElement>();
  readonly errorSink: ErrorSink;
  constructor(html: string) {
    const sink: ErrorSink = { errors: [], pending: new Set() };
    super(sink);
    this.errorSink = sink;
    // Start tags with an id attribute; attribute values are quoted in the page (no unquoted ones).
    for (const m of html.matchAll(/<([a-z][a-z0-9]*)\b([^>]*)>/gi)) {
      const attrs = [...m[2]!.matchAll(/([a-z-]+)(?:="([^"]*)")?/gi)];
      const id = attrs.find((a) => a[1] === "id")?.[2];
      if (id === undefined) continue;
      const e = new FakeElement(sink, m[1]!);
      for (const a of attrs) e.setAttribute(a[1]!, a[2] ?? "");
      this.#byId.set(id, e);
    }
  }
  getElementById(id: string): FakeElement | null {
    return this.#byId.get(id) ?? null;
  }
  /** The ids the page defined (for checking that the script found every one it needs). */
  ids(): string[] {
    return [...this.#byId.keys()];
  }
  createElement(tag: string): FakeElement {
    return new FakeElement(this.errorSink, tag);
  }
  createTextNode(text: string): FakeText {
    return new FakeText(this.errorSink, String(text));
  }
}

/** sessionStorage backed by a Map (the Storage methods the script uses, plus clear/length). */
export class FakeStorage {
  readonly #items = new Map<string, string>();
  getItem(k: string): string | null {
    return this.#items.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.#items.set(k, String(v));
  }
  removeItem(k: string): void {
    this.#items.delete(k);
  }
  clear(): void {
    this.#items.clear();
  }
  get length(): number {
    return this.#items.size;
  }
}

/**
 * Readable text of a subtree: text nodes joined with single spaces (elements are not otherwise
 * separated in `textContent`, which would glue "Valid" to "valid"). Hidden subtrees are skipped,
 * as an operator would not see them.
 */
export function visibleText(node: FakeNode): string {
  if (node instanceof FakeText) return node.data;
  if (node instanceof FakeElement && node.hidden) return "";
  return node.childNodes.map(visibleText).filter((t) => t !== "").join(" ");
}
