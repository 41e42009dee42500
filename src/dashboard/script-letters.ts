/**
 * The dead-letter part of the dashboard's script (see script.ts for the rules it follows: DOM
 * APIs and textContent only, every call from the API table). Dead letters are one store for the
 * whole deployment, listed oldest first with counts; the page reads to the end of the listing
 * (a few pages at most: dead letters are rare) and shows the newest few, newest first, with
 * redrive and purge of the selected ones after a confirm().
 */

/** Dead letters shown; pages of the listing read at most (PAGE each) before giving up on "newest". */
export const LETTERS_SHOWN = 25;
const PAGE = 500;
const MAX_PAGES = 20;

export const DASHBOARD_LETTERS_JS = String.raw`
const LETTERS_SHOWN = ${LETTERS_SHOWN};
const UNKNOWN_APP = "_unknown";

/** The listing for a filter ("" = all apps), read to its end; the newest LETTERS_SHOWN kept. */
async function readLetters(filter) {
  let cursor = null, counts = null, newest = [], complete = false;
  for (let i = 0; i < ${MAX_PAGES}; i++) {
    const query = { limit: ${PAGE}, cursor };
    const page = filter === "" ? await api("deadLetters", {}, query)
      : filter === UNKNOWN_APP ? await api("deadLetters", {}, { ...query, app: UNKNOWN_APP })
      : await api("appDeadLetters", { app: filter }, query);
    counts = page.counts;
    newest = newest.concat(page.entries).slice(-LETTERS_SHOWN);
    cursor = page.cursor;
    if (cursor === null) { complete = true; break; }
  }
  return { counts, entries: newest.reverse(), complete };
}

function countsText(byKey) {
  const parts = Object.entries(byKey || {}).map(([k, n]) => k + ": " + n);
  return parts.length ? parts.join(", ") : "-";
}

function lettersSection(appNames) {
  const section = $("letters");
  const select = el("select", null,
    el("option", { value: "", text: "All apps" }),
    appNames.map((n) => el("option", { value: n, text: n })),
    el("option", { value: UNKNOWN_APP, text: "Unknown shape (" + UNKNOWN_APP + ")" }));
  const body = el("div");
  const detail = el("div");
  const result = el("div");
  const load = () => { detail.replaceChildren(); body.replaceChildren(asyncBox(() => lettersView(select.value, result, detail, load))); };
  select.addEventListener("change", () => { result.replaceChildren(); load(); });
  fill(section, el("h2", { text: "Dead letters" }), el("div", { class: "controls" }, field("Show", select)), result, body, detail);
  load();
}

async function lettersView(filter, result, detail, reload) {
  const { counts, entries, complete } = await readLetters(filter);
  const picked = new Set();
  const act = (label, call, question, describe) => actionButton(label, async () => {
    const ids = [...picked];
    if (ids.length === 0) { result.replaceChildren(el("p", { class: "error", text: "Select dead letters first." })); return; }
    if (!confirm(question(ids.length))) return;
    try {
      const r = await api(call, {}, null, { ids });
      result.replaceChildren(el("p", { class: "ok", text: describe(r) }));
      reload();
    } catch (err) { showError(result, err); }
  });
  const boxes = [];
  const rows = entries.map((e) => {
    const box = el("input", { type: "checkbox", "aria-label": "Select " + e.id });
    box.addEventListener("change", () => { if (box.checked) picked.add(e.id); else picked.delete(e.id); });
    boxes.push(box);
    return { ...e, box };
  });
  return [
    kv([["Total", counts.total], ["By app", countsText(counts.by_app)], ["By origin", countsText(counts.by_from)]]),
    el("p", { class: "muted", text: entries.length === 0 ? "" : complete ? "Newest " + entries.length + ", newest first."
      : "The listing is too long to read to its end: these are the last " + entries.length + " of the first " + (${PAGE} * ${MAX_PAGES}) + " (oldest first), shown newest first." }),
    table(rows, [
      ["", (r) => r.box], ["At", (r) => when(r.at)], ["App", "app"], ["From", "from"], ["Reason", "reason"], ["Summary", "summary"],
      ["", (r) => actionButton("Show", async () => {
        try { detail.replaceChildren(el("h3", { text: "Dead letter " + r.id }), el("pre", { text: pretty(await api("deadLetter", { id: r.id })) })); }
        catch (err) { showError(detail, err); }
      })],
    ], "No dead letters.", "Dead letters"),
    entries.length === 0 ? null : el("p", null,
      actionButton("Select all shown", async () => { for (const b of boxes) { b.checked = true; b.dispatchEvent(new Event("change")); } }),
      act("Redrive selected", "redrive", (n) => "Redrive " + n + " dead letter(s)? Each goes back to its queue and is removed from this list.",
        (r) => "Redriven: " + r.redriven.length + ". Skipped (gone or not redrivable): " + r.skipped.length + "."),
      act("Purge selected", "purge", (n) => "Permanently delete " + n + " dead letter(s)? This cannot be undone.",
        (r) => "Purged: " + r.purged + ".")),
  ];
}
`;
