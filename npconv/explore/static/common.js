// npconv explore: what both modes share. Hand-written, no library: fetch JSON from the local server,
// draw one layer's explanation (the SVG npconv explain draws, its derivation and numeric trace) and let
// the user hover, step and play through the output positions.
"use strict";

const Explore = {};

// GET /api/... with the given query; resolves to the JSON answer (errors come back as {ok: false}).
Explore.api = async function (path, params) {
  const query = new URLSearchParams(params).toString();
  const response = await fetch(path + (query ? "?" + query : ""));
  return response.json();
};

Explore.element = function (tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  if (text !== undefined) node.textContent = text;
  return node;
};

Explore.number = function (value) {
  return value === null || value === undefined ? "–" : Number(value).toLocaleString("en-US");
};

// Every output position in the order the diagram draws its cells (last dimension fastest).
Explore.positions = function (sizes) {
  let positions = [[]];
  for (const size of sizes) {
    const next = [];
    for (const prefix of positions) for (let i = 0; i < size; i++) next.push(prefix.concat([i]));
    positions = next;
  }
  return positions;
};

// The view of one explained layer. `fetchAt(position or null)` returns a promise of the server's answer
// for that output position; `parts` names the elements to fill (diagram, derivation, trace, stats,
// code, error, player buttons, position label).
class ExplainView {
  constructor(parts, fetchAt) {
    this.parts = parts;
    this.fetchAt = fetchAt;
    this.cache = new Map();
    this.answer = null;
    this.positions = [];
    this.playing = null;
    this.requested = null;
    this.onPosition = null;   // called with the position after each change (URL state)
    parts.play.addEventListener("click", () => this.togglePlay());
    parts.next.addEventListener("click", () => this.step(1));
    parts.previous.addEventListener("click", () => this.step(-1));
    if (parts.copy) parts.copy.addEventListener("click", () => this.copyCode());
  }

  // A new layer (or input): forget cached positions, stop playing, show the answer at `position`.
  async load(position) {
    this.stop();
    this.cache = new Map();
    return this.show(position || null);
  }

  async show(position) {
    const key = position ? position.join(",") : "";
    this.requested = key;
    let answer = this.cache.get(key);
    if (!answer) {
      answer = await this.fetchAt(position);
      if (answer.ok && key) this.cache.set(key, answer);
    }
    if (this.requested !== key) return answer;   // a later hover won the race
    this.render(answer);
    return answer;
  }

  render(answer) {
    const parts = this.parts;
    this.answer = answer;
    parts.error.hidden = answer.ok;
    parts.error.textContent = answer.ok ? "" : answer.error;
    parts.body.classList.toggle("failed", !answer.ok);
    if (!answer.ok) {
      parts.diagram.replaceChildren();
      for (const name of ["derivation", "trace"]) parts[name].textContent = "";
      if (parts.code) parts.code.textContent = "# this combination raises in torch too:\n# " + answer.error;
      this.positions = [];
      return;
    }
    this.positions = Explore.positions(answer.output_spatial);
    parts.derivation.textContent = answer.derivation;
    parts.trace.textContent = answer.trace;
    if (parts.code && answer.code) parts.code.textContent = answer.code;
    if (parts.stats && answer.numbers) this.renderStats(answer.numbers);
    parts.position.textContent = "output [" + answer.at.join(", ") + "]";
    if (parts.note) { parts.note.textContent = answer.note || ""; parts.note.hidden = !answer.note; }
    this.renderDiagram(answer);
    if (this.onPosition) this.onPosition(answer.at);
  }

  renderStats(numbers) {
    const items = [["output", numbers.output_shape.split("  ")[0]], ["parameters", Explore.number(numbers.params)],
      ["MACs", Explore.number(numbers.macs)], ["receptive field", numbers.receptive_field || "–"],
      ["jump", numbers.jump || "–"]];
    this.parts.stats.replaceChildren(...items.map(([label, value]) => {
      const item = Explore.element("div", { className: "stat" });
      item.append(Explore.element("span", { className: "stat-label" }, label),
        Explore.element("span", { className: "stat-value", "data-stat": label }, value));
      return item;
    }));
  }

  renderDiagram(answer) {
    const diagram = this.parts.diagram;
    if (!answer.svg) {
      diagram.replaceChildren(Explore.element("p", { className: "note" }, answer.diagram_error));
      return;
    }
    diagram.innerHTML = answer.svg;
    const cells = diagram.querySelectorAll("rect.out-cell");
    if (cells.length !== this.positions.length) return;   // cannot map cells to positions: no hover
    cells.forEach((cell, index) => {
      const position = this.positions[index];
      cell.dataset.position = position.join(",");
      cell.addEventListener("mouseenter", () => {
        cell.classList.add("hovered");
        if (position.join(",") !== answer.at.join(",")) { this.stop(); this.show(position); }
      });
      cell.addEventListener("mouseleave", () => cell.classList.remove("hovered"));
    });
  }

  currentIndex() {
    if (!this.answer || !this.answer.ok) return -1;
    const key = this.answer.at.join(",");
    return this.positions.findIndex((p) => p.join(",") === key);
  }

  step(direction) {
    if (!this.positions.length) return Promise.resolve(null);
    const count = this.positions.length;
    const index = (this.currentIndex() + direction + count) % count;
    return this.show(this.positions[index]);
  }

  togglePlay() {
    if (this.playing) return this.stop();
    this.parts.play.textContent = "❚❚ pause";
    this.parts.play.classList.add("active");
    const tick = async () => {
      if (!this.playing) return;
      await this.step(1);
      if (this.playing) this.playing = setTimeout(tick, 650);
    };
    this.playing = setTimeout(tick, 0);
  }

  stop() {
    if (this.playing) clearTimeout(this.playing);
    this.playing = null;
    this.parts.play.textContent = "▶ play";
    this.parts.play.classList.remove("active");
  }

  async copyCode() {
    const text = this.parts.code.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {   // no clipboard permission (e.g. plain http in some browsers): select the text
      const range = document.createRange();
      range.selectNodeContents(this.parts.code);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    this.parts.copy.textContent = "copied";
    setTimeout(() => { this.parts.copy.textContent = "copy"; }, 1200);
  }
}

Explore.ExplainView = ExplainView;

// The parts of an explain view inside `root` (elements marked with data-part="...").
Explore.partsOf = function (root) {
  const parts = { body: root };
  root.querySelectorAll("[data-part]").forEach((node) => { parts[node.dataset.part] = node; });
  return parts;
};

// The URL's #hash as a Map, and back (the page's state lives there so that a link reproduces it).
Explore.readHash = function () {
  return new Map(new URLSearchParams(location.hash.slice(1)));
};

Explore.writeHash = function (state) {
  const hash = "#" + new URLSearchParams([...state.entries()].filter(([, v]) => v !== null && v !== "")).toString();
  if (hash !== location.hash) history.replaceState(null, "", hash);
};

// Start the page: fetch the controls' schema, then the mode the URL names (layer mode by default).
Explore.start = async function () {
  const schema = await Explore.api("/api/schema");
  const tabs = document.querySelectorAll("[data-mode-tab]");
  const sections = document.querySelectorAll("[data-mode]");
  const modes = {};
  const show = async (name) => {
    tabs.forEach((tab) => tab.classList.toggle("active", tab.dataset.modeTab === name));
    sections.forEach((section) => { section.hidden = section.dataset.mode !== name; });
    if (!modes[name]) {
      modes[name] = name === "model" ? new Explore.ModelMode(document.querySelector('[data-mode="model"]'))
        : new Explore.LayerMode(document.querySelector('[data-mode="layer"]'), schema);
      await modes[name].start();
    } else {
      modes[name].saveState();
    }
  };
  tabs.forEach((tab) => tab.addEventListener("click", () => show(tab.dataset.modeTab)));
  const wanted = Explore.readHash().get("mode");
  await show(wanted === "model" && Explore.ModelMode ? "model" : "layer");
  document.body.dataset.ready = "true";
};

// A link pasted into this tab changes only the #hash: start again from it (the page writes its own state
// with history.replaceState, which fires no hashchange).
window.addEventListener("hashchange", () => location.reload());
