// Event extraction playground: calls the public API and shows its answer over the text.
//
// Offsets in the API are Unicode code points, while JavaScript strings index UTF-16 code units
// (an emoji is two). The text is therefore split with Array.from() into code points and every
// span is cut from that array, never from the string.
"use strict";

(() => {
  const KINDS = ["actors", "dates", "locations", "products"];
  const SINGULAR = { actors: "actor", dates: "date", locations: "location", products: "product" };
  // When two highlights cover exactly the same characters, the earlier kind here is the outer one.
  const NESTING = ["actor", "location", "product", "date", "trigger"];

  const $ = (id) => document.getElementById(id);
  const form = $("extract-form");
  const button = $("extract-button");
  const typesBox = $("event-types");

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  // ---- Event types --------------------------------------------------------------------------

  async function loadEventTypes() {
    const status = $("types-status");
    try {
      const response = await fetch(form.dataset.typesUrl, { headers: { Accept: "application/json" } });
      const body = await readBody(response);
      if (!response.ok) throw problemError(response, body);
      for (const type of body.event_types) {
        const id = `type-${type.type}`;
        const hintId = `${id}-hint`;
        typesBox.append(el("div", { class: "type-option" },
          el("input", { type: "checkbox", id, name: "event_types", value: type.type, checked: "", "aria-describedby": hintId }),
          el("label", { for: id, text: type.type }),
          el("span", { id: hintId, class: "hint", text: type.description })));
      }
      status.remove();
    } catch (error) {
      status.textContent = `Could not load the event types (${error.message}); every type will be searched.`;
    }
  }

  // ---- Request and errors -------------------------------------------------------------------

  async function readBody(response) {
    const raw = await response.text();
    try {
      return JSON.parse(raw);
    } catch {
      return { title: `${response.status} ${response.statusText}`, detail: raw.slice(0, 500) };
    }
  }

  function problemError(response, body) {
    const error = new Error(body.detail || body.title || `HTTP ${response.status}`);
    error.problem = { status: response.status, ...body };
    return error;
  }

  function showError(error) {
    const box = $("error");
    const problem = error.problem || { title: "The service could not be reached", detail: error.message };
    box.replaceChildren(el("h2", { text: problem.status ? `${problem.title} (${problem.status})` : problem.title }));
    if (problem.detail) box.append(el("p", { text: problem.detail }));
    if (problem.errors && typeof problem.errors === "object") {
      const list = el("ul");
      for (const [field, messages] of Object.entries(problem.errors)) {
        const text = Array.isArray(messages) ? messages.join(" ") : JSON.stringify(messages);
        list.append(el("li", {}, el("strong", { text: field === "_schema" ? "request" : field }), `: ${text}`));
      }
      box.append(list);
    }
    box.hidden = false;
  }

  async function extract(event) {
    event.preventDefault();
    const text = $("text").value;
    const boxes = [...typesBox.querySelectorAll("input[type=checkbox]")];
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    $("error").hidden = true;
    if (boxes.length && !chosen.length) {
      showError({ problem: { title: "No event type chosen", detail: "Tick at least one event type." } });
      return;
    }
    const body = { text, document_date: $("document-date").value || null };
    if (chosen.length < boxes.length) body.event_types = chosen;

    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    $("busy").textContent = "Extracting…";
    try {
      const response = await fetch(form.dataset.extractUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await readBody(response);
      if (!response.ok) throw problemError(response, answer);
      showAnswer(text, answer);
      $("busy").textContent = `Found ${answer.events.length} event${answer.events.length === 1 ? "" : "s"}.`;
    } catch (error) {
      $("results").hidden = true;
      $("busy").textContent = "";
      showError(error);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  // ---- Highlights ---------------------------------------------------------------------------

  // One highlight per distinct (kind, start, end); what each event says about it is gathered in notes.
  function collectHighlights(events) {
    const byKey = new Map();
    const add = (kind, span, note) => {
      const key = `${kind}:${span.start}:${span.end}`;
      if (!byKey.has(key)) byKey.set(key, { kind, start: span.start, end: span.end, notes: [] });
      byKey.get(key).notes.push(note);
    };
    for (const ev of events) {
      for (const mention of ev.mentions) {
        add("trigger", mention.trigger, { event: ev.id, label: ev.id, tip: `trigger of ${ev.id}: ${ev.type}, ${ev.stage}` });
      }
      for (const kind of KINDS) {
        for (const arg of ev[kind]) add(SINGULAR[kind], arg, argumentNote(ev.id, kind, arg));
      }
    }
    return [...byKey.values()];
  }

  function argumentNote(eventId, kind, arg) {
    switch (kind) {
      case "actors":
        return { event: eventId, role: arg.role, label: arg.role,
                 tip: `${arg.role} in ${eventId}: ${arg.name} (${arg.kind}, ${arg.label})` };
      case "dates":
        return { event: eventId, label: arg.value ?? "no value", tip: `date of ${eventId}: ${arg.value ?? "no calendar value"}` };
      case "locations":
        return { event: eventId, label: arg.country, tip: `location of ${eventId}: country ${arg.country}` };
      default:
        return { event: eventId, tip: `product in ${eventId}` };
    }
  }

  const unique = (values) => [...new Set(values.filter((v) => v !== undefined))];

  function byPosition(a, b) {
    return a.start - b.start || b.end - a.end || NESTING.indexOf(a.kind) - NESTING.indexOf(b.kind);
  }

  function markFor(h, part) {
    const roles = unique(h.notes.map((n) => n.role));
    const events = unique(h.notes.map((n) => n.event));
    const labels = unique(h.notes.map((n) => n.label));
    const tip = `${h.kind}: ${unique(h.notes.map((n) => n.tip)).join("; ")}`;
    const classes = ["hl", `kind-${h.kind}`, ...roles.slice(0, 1).map((r) => `role-${r}`)];
    if (part) classes.push(`part-${part}`);
    return el("mark", {
      class: classes.join(" "),
      tabindex: part === "end" ? undefined : "0",
      title: tip,
      "data-kind": h.kind,
      "data-start": String(h.start),
      "data-end": String(h.end),
      "data-roles": roles.length ? roles.join(" ") : undefined,
      "data-events": events.join(" "),
      // The label follows the last piece of a highlight that had to be split.
      "data-label": labels.length && part !== "start" ? labels.join(" · ") : undefined,
    });
  }

  // Highlights that nest become nested marks. One that starts inside another and ends after it
  // is cut in two at the outer one's end, both pieces carrying the whole span's data.
  function renderRange(parent, chars, from, to, highlights) {
    let pending = [...highlights].sort(byPosition);
    let pos = from;
    while (pending.length) {
      const outer = pending[0];
      const inner = [];
      const carried = [];
      let next = 1;
      for (; next < pending.length && pending[next].start < outer.end; next++) {
        const h = pending[next];
        if (h.end <= outer.end) {
          inner.push(h);
        } else {
          inner.push({ ...h, end: outer.end, part: "start", whole: h.whole || h });
          carried.push({ ...h, start: outer.end, part: "end", whole: h.whole || h });
        }
      }
      if (outer.start > pos) parent.append(chars.slice(pos, outer.start).join(""));
      const mark = markFor(outer.whole || outer, outer.part);
      renderRange(mark, chars, outer.start, outer.end, inner);
      parent.append(mark);
      pos = outer.end;
      pending = [...carried, ...pending.slice(next)].sort(byPosition);
    }
    if (pos < to) parent.append(chars.slice(pos, to).join(""));
  }

  function renderText(text, events) {
    const box = $("highlighted");
    const chars = Array.from(text);
    box.replaceChildren();
    renderRange(box, chars, 0, chars.length, collectHighlights(events));
  }

  // ---- Event cards --------------------------------------------------------------------------

  function argumentRows(ev) {
    const rows = [];
    for (const a of ev.actors) {
      rows.push([`role-${a.role}`, a.role, a.text, `${a.name} · ${a.kind}`]);
    }
    for (const d of ev.dates) rows.push(["kind-date", "date", d.text, d.value ?? "—"]);
    for (const l of ev.locations) rows.push(["kind-location", "location", l.text, l.country]);
    for (const p of ev.products) rows.push(["kind-product", "product", p.text, "—"]);
    return rows;
  }

  function card(ev) {
    const headingId = `card-${ev.id}-title`;
    const more = ev.mentions.length - 1;
    const attrs = el("dl", { class: "attrs" });
    for (const [name, value] of [["Stage", ev.stage], ["Polarity", ev.polarity], ["Modality", ev.modality],
                                 ["Confidence", ev.confidence.toFixed(2)]]) {
      attrs.append(el("dt", { text: name }), el("dd", { class: `value-${value}`, "data-field": name.toLowerCase(), text: value }));
    }
    const table = el("table", { class: "args" },
      el("caption", { class: "visually-hidden", text: `Arguments of ${ev.id}` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Argument" }), el("th", { scope: "col", text: "Text" }),
                       el("th", { scope: "col", text: "Normalised" }))));
    const tbody = el("tbody");
    for (const [cls, what, text, value] of argumentRows(ev)) {
      tbody.append(el("tr", { class: "arg" },
        el("td", { class: "arg-what" }, el("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), what),
        el("td", { class: "arg-text", text }),
        el("td", { class: "arg-value", text: value })));
    }
    table.append(tbody);
    return el("article", {
      class: "event-card", id: `card-${ev.id}`, tabindex: "0", "aria-labelledby": headingId,
      "data-event": ev.id, "data-type": ev.type,
    },
      el("h4", { id: headingId }, el("span", { class: "event-type", text: ev.type.replaceAll("_", " ") }),
         el("span", { class: "event-stage", text: `· ${ev.stage}` }), el("span", { class: "event-id", text: ev.id })),
      el("p", { class: "trigger-line" }, "Trigger ", el("mark", { class: "hl kind-trigger", text: ev.trigger.text }),
         more > 0 ? ` and ${more} more mention${more === 1 ? "" : "s"}` : ""),
      attrs, table);
  }

  function renderCards(events) {
    const box = $("events");
    box.replaceChildren(...(events.length ? events.map(card)
                                          : [el("p", { class: "no-events", text: "No events of the chosen types." })]));
  }

  // Pointing at a card or a highlight shows what belongs together.
  function setActive(eventIds, info) {
    const box = $("highlighted");
    box.classList.toggle("has-active", eventIds.length > 0);
    for (const mark of box.querySelectorAll("mark.hl")) {
      const mine = (mark.dataset.events || "").split(" ");
      mark.classList.toggle("active", eventIds.some((id) => mine.includes(id)));
    }
    for (const c of $("events").querySelectorAll(".event-card")) {
      c.classList.toggle("active", eventIds.includes(c.dataset.event));
    }
    $("span-info").textContent = info;
  }

  function wireActivity() {
    const onMark = (e) => {
      const mark = e.target.closest("mark.hl");
      if (mark) setActive(mark.dataset.events.split(" "), mark.title);
    };
    const onCard = (e) => {
      const c = e.target.closest(".event-card");
      if (c) setActive([c.dataset.event], "");
    };
    const clear = () => setActive([], "");
    $("highlighted").addEventListener("mouseover", onMark);
    $("highlighted").addEventListener("focusin", onMark);
    $("highlighted").addEventListener("mouseleave", clear);
    $("highlighted").addEventListener("focusout", clear);
    $("events").addEventListener("mouseover", onCard);
    $("events").addEventListener("focusin", onCard);
    $("events").addEventListener("mouseleave", clear);
    $("events").addEventListener("focusout", clear);
  }

  function showAnswer(text, answer) {
    const m = answer.meta;
    $("summary").textContent = `${m.event_count} event${m.event_count === 1 ? "" : "s"} in ${m.characters} characters · `
      + `${m.model} ${m.model_version} · ${m.elapsed_ms} ms`;
    renderText(text, answer.events);
    renderCards(answer.events);
    $("raw-json").textContent = JSON.stringify(answer, null, 2);
    $("results").hidden = false;
  }

  form.addEventListener("submit", extract);
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  wireActivity();
  loadEventTypes();
})();
