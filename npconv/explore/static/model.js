// npconv explore, model mode: a model's layer table (npconv.summary) beside each layer's activation maps
// for one image; a click on a layer explains it with the model's real weights.
"use strict";

// value 0..255 -> a colour from dark blue through teal to pale yellow (readable for low and high values)
Explore.colour = function (value) {
  const stops = [[12, 22, 58], [33, 120, 150], [120, 200, 120], [250, 240, 170]];
  const t = (value / 255) * (stops.length - 1);
  const i = Math.min(Math.floor(t), stops.length - 2);
  const f = t - i;
  return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f));
};

Explore.bytes = function (base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
};

// One map as a canvas shown at `scale` pixels per value; `look` is "colour" (activations), "grey" (an
// input image) or "rgb" (three maps: a colour input image).
Explore.mapCanvas = function (maps, height, width, scale, look) {
  const canvas = Explore.element("canvas", { width: width, height: height, className: "map" });
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const channels = maps.map(Explore.bytes);
  for (let p = 0; p < width * height; p++) {
    const colour = look === "rgb" ? [channels[0][p], channels[1][p], channels[2][p]]
      : look === "grey" ? [channels[0][p], channels[0][p], channels[0][p]] : Explore.colour(channels[0][p]);
    image.data.set([colour[0], colour[1], colour[2], 255], 4 * p);
  }
  context.putImageData(image, 0, 0);
  canvas.style.width = Math.round(width * scale) + "px";
  canvas.style.height = Math.round(height * scale) + "px";
  return canvas;
};

// Small bars for a few values (a classifier's logits); the largest is highlighted.
Explore.barsCanvas = function (values) {
  const width = 12 * values.length, height = 36;
  const canvas = Explore.element("canvas", { width: width, height: height, className: "bars" });
  const context = canvas.getContext("2d");
  const low = Math.min(0, ...values), high = Math.max(0, ...values);
  const span = high - low || 1;
  const zero = height - ((0 - low) / span) * height;
  const best = values.indexOf(Math.max(...values));
  values.forEach((v, i) => {
    const top = height - ((v - low) / span) * height;
    context.fillStyle = i === best ? "#2e8b57" : "#2f6db5";
    context.fillRect(i * 12 + 1, Math.min(top, zero), 10, Math.max(Math.abs(zero - top), 1));
  });
  return canvas;
};

class ModelMode {
  constructor(root) {
    this.root = root;
    this.modelSelect = root.querySelector("#model-name");
    this.sourceSelect = root.querySelector("#image-source");
    this.digitBox = root.querySelector("#digit-index");
    this.table = root.querySelector("#model-table tbody");
    this.title = root.querySelector("#model-view-title");
    this.answer = null;
    this.row = null;
    this.view = new Explore.ExplainView(Explore.partsOf(root.querySelector("#model-view")),
      (position) => Explore.api("/api/model/layer",
        { ...this.query(), row: this.row, ...(position ? { at: position.join(",") } : {}) }));
    this.view.onPosition = () => this.saveState();
    this.modelSelect.addEventListener("change", () => { this.row = null; this.load(); });
    this.sourceSelect.addEventListener("change", () => this.load());
    this.digitBox.addEventListener("change", () => this.load());
    root.querySelector("#digit-previous").addEventListener("click", () => this.nextDigit(-1));
    root.querySelector("#digit-next").addEventListener("click", () => this.nextDigit(1));
  }

  query() {
    const image = this.sourceSelect.value === "file" ? "file" : "digit:" + (this.digitBox.value || 0);
    return { model: this.modelSelect.value || "", image: image };
  }

  async start() {
    const state = Explore.readHash();
    if (state.get("model")) this.modelSelect.append(Explore.element("option", { value: state.get("model") }, state.get("model")));
    this.modelSelect.value = state.get("model") || "";
    const image = state.get("image") || "";
    if (image.startsWith("digit:")) { this.sourceSelect.value = "digit"; this.digitBox.value = image.slice(6); }
    if (image === "file") this.sourceSelect.value = "file";
    this.row = state.get("row") || null;
    await this.load(state.get("at") ? state.get("at").split(",").map(Number) : null);
  }

  saveState() {
    const state = Explore.readHash();
    state.set("mode", "model");
    const query = this.query();
    state.set("model", this.answer ? this.answer.model : query.model);
    state.set("image", this.answer && this.answer.ok ? this.answer.image.key : query.image);
    if (this.row) state.set("row", this.row); else state.delete("row");
    if (this.row && this.view.answer && this.view.answer.ok) state.set("at", this.view.answer.at.join(",")); else state.delete("at");
    Explore.writeHash(state);
  }

  nextDigit(direction) {
    const count = this.answer && this.answer.ok ? this.answer.image.digits : 1;
    this.sourceSelect.value = "digit";
    this.digitBox.value = ((Number(this.digitBox.value) || 0) + direction + count) % count;
    this.load();
  }

  async load(position) {
    const status = this.root.querySelector("#model-status");
    status.textContent = `running ${this.modelSelect.value || "the model"} on the image…`;
    const answer = await Explore.api("/api/model", this.query());
    status.textContent = "";
    this.answer = answer;
    const error = this.root.querySelector("#model-error");
    error.hidden = answer.ok;
    error.textContent = answer.ok ? "" : answer.error;
    if (!answer.ok) return;
    this.renderChoices(answer);
    this.renderImage(answer);
    this.renderTable(answer.rows);
    const wanted = answer.rows.find((row) => row.name === this.row && row.explainable)
      || answer.rows.find((row) => row.explainable);
    if (wanted) await this.select(wanted.name, position);
    this.saveState();
  }

  renderChoices(answer) {
    this.modelSelect.replaceChildren(...answer.models.map((name) => Explore.element("option", { value: name }, name)));
    this.modelSelect.value = answer.model;
    this.sourceSelect.querySelector('option[value="file"]').disabled = !answer.image.has_file;
    this.sourceSelect.value = answer.image.key === "file" ? "file" : "digit";
    this.digitBox.max = answer.image.digits - 1;
    if (answer.image.key.startsWith("digit:")) this.digitBox.value = answer.image.key.slice(6);
  }

  renderImage(answer) {
    const map = answer.image.map;
    const box = this.root.querySelector("#model-image");
    const rgb = map.maps.length === 3;
    const canvas = Explore.mapCanvas(rgb ? map.maps : [map.maps[0]], map.height, map.width,
      112 / Math.max(map.height, map.width), rgb ? "rgb" : "grey");
    box.replaceChildren(canvas);
    const lines = [answer.image.about + (answer.image.label !== null ? ` — label ${answer.image.label}` : "")];
    lines.push(`${answer.class}: ${Explore.number(answer.total_params)} parameters, ${Explore.number(answer.total_mult_adds)} MACs, input ${JSON.stringify(answer.input_shape)}`);
    lines.push(answer.weights);
    this.root.querySelector("#model-about").replaceChildren(...lines.map((line) => Explore.element("p", {}, line)));
    const prediction = this.root.querySelector("#model-prediction");
    prediction.textContent = answer.prediction
      ? "predicted class " + answer.prediction.map((p) => `${p.class} (${(100 * p.probability).toFixed(1)}%)`).join(", ")
      : "";
  }

  renderTable(rows) {
    this.table.replaceChildren(...rows.map((row) => {
      const tr = Explore.element("tr", { "data-row": row.name });
      if (row.explainable) {
        tr.classList.add("explainable");
        tr.title = "click: explain this layer with the model's weights";
        tr.addEventListener("click", () => this.select(row.name));
      }
      const name = Explore.element("td", { className: "layer-name" }, row.name || "(model)");
      name.style.paddingLeft = 6 + 12 * Math.max(row.depth - 1, 0) + "px";
      const cells = [name, Explore.element("td", {}, row.type),
        Explore.element("td", { className: "shape" }, row.output_size ? "[" + row.output_size.join(", ") + "]" : "–"),
        Explore.element("td", { className: "number" }, row.num_params ? Explore.number(row.num_params) : "–"),
        Explore.element("td", { className: "number" }, row.mult_adds ? Explore.number(row.mult_adds) : "–"),
        Explore.element("td", { className: "shape" }, row.receptive_field ? row.receptive_field.join("x") : "–"),
        this.activationCell(row.activation)];
      tr.append(...cells);
      return tr;
    }));
  }

  activationCell(activation) {
    const cell = Explore.element("td", { className: "activations" });
    if (!activation) return cell;
    if (activation.values) {
      cell.append(Explore.barsCanvas(activation.values));
    } else {
      const strip = activation.height === 1;
      const scale = strip ? Math.max(1, Math.min(4, 256 / activation.width)) : 36 / Math.max(activation.height, activation.width);
      for (const map of activation.maps) {
        const canvas = Explore.mapCanvas([map], activation.height, activation.width, scale, "colour");
        if (strip) canvas.style.height = "10px";
        cell.append(canvas);
      }
    }
    const more = activation.channels > activation.maps.length ? ` of ${activation.channels}` : "";
    cell.title = `${activation.maps.length}${more} channels, values ${activation.min.toPrecision(3)} .. ${activation.max.toPrecision(3)}`;
    return cell;
  }

  async select(name, position) {
    this.row = name;
    this.table.querySelectorAll("tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.row === name));
    this.title.textContent = name;
    await this.view.load(position || null);
    this.saveState();
  }
}

Explore.ModelMode = ModelMode;
