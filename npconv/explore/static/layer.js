// npconv explore, layer mode: a control for every argument of the chosen layer and for the input size.
// The controls write the layer as text (as torch prints it); the server reads it with npconv explain's
// parser and answers with the diagram, the derivation, the numbers and the PyTorch code.
"use strict";

class LayerMode {
  constructor(root, schema) {
    this.root = root;
    this.schema = schema;
    this.layers = new Map(schema.layers.map((layer) => [layer.name, layer]));
    this.layerSelect = root.querySelector("#layer-name");
    this.argumentsBox = root.querySelector("#layer-arguments");
    this.inputBox = root.querySelector("#input-size");
    this.textBox = root.querySelector("#layer-text");
    this.values = {};
    this.input = [1, 1, 5, 5];
    this.view = new Explore.ExplainView(Explore.partsOf(root.querySelector("#layer-view")),
      (position) => Explore.api("/api/layer", this.query(position)));
    this.view.onPosition = () => this.saveState();
    for (const layer of schema.layers) this.layerSelect.append(Explore.element("option", { value: layer.name }, layer.name));
    this.layerSelect.addEventListener("change", () => this.chooseLayer(this.layerSelect.value));
    this.textBox.addEventListener("change", () => this.fromText(this.textBox.value, this.input));
    this.timer = null;
  }

  query(position) {
    const query = { layer: this.text(), input: this.input.join(",") };
    if (position) query.at = position.join(",");
    return query;
  }

  // ---- state <-> URL -------------------------------------------------------------------------------
  async start() {
    const state = Explore.readHash();
    if (state.get("layer")) {
      const input = (state.get("input") || "1,1,5,5").split(",").map(Number);
      const at = state.get("at") ? state.get("at").split(",").map(Number) : null;
      if (await this.fromText(state.get("layer"), input, at)) return;
    }
    const first = this.schema.first;   // the layer the server has already drawn into the page
    if (!(await this.fromText(first.layer, first.input.split(",").map(Number)))) this.chooseLayer("Conv2d");
  }

  saveState() {
    const state = Explore.readHash();
    state.set("mode", "layer");
    state.set("layer", this.text());
    state.set("input", this.input.join(","));
    if (this.view.answer && this.view.answer.ok) state.set("at", this.view.answer.at.join(","));
    else state.delete("at");
    Explore.writeHash(state);
  }

  // Set every control from a layer text (the URL's, or typed by the user): the server parses it.
  async fromText(text, input, at) {
    const answer = await Explore.api("/api/layer", { layer: text, input: input.join(","), ...(at ? { at: at.join(",") } : {}) });
    if (!answer.ok && !answer.name) {
      this.view.render(answer);
      return false;
    }
    this.layerSelect.value = answer.name;
    this.input = input;
    this.values = this.defaults(answer.name);
    Object.assign(this.values, answer.arguments);
    this.buildControls();
    this.textBox.value = this.text();
    await this.view.load(at);
    this.saveState();
    return true;
  }

  defaults(name) {
    const values = {};
    for (const control of this.layers.get(name).controls) values[control.name] = control.default;
    return values;
  }

  chooseLayer(name) {
    const layer = this.layers.get(name);
    this.layerSelect.value = name;
    const previous = this.values;
    this.values = this.defaults(name);
    for (const key of ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation"]) {
      if (key in previous && key in this.values && key !== "stride") this.values[key] = previous[key];
    }
    if (name === "Upsample") this.values.scale_factor = 2;
    const dims = layer.dims || Math.max(this.input.length - 2, 1);
    this.input = this.resizedInput(dims);
    this.values = this.fitDims(this.values, dims);
    this.buildControls();
    this.changed();
  }

  resizedInput(dims) {
    const spatial = this.input.slice(2);
    while (spatial.length < dims) spatial.unshift(spatial.length ? spatial[0] : 5);
    const channels = "in_channels" in this.values ? this.values.in_channels : this.input[1];
    return [this.input[0], channels].concat(spatial.slice(spatial.length - dims).map((n) => (dims === 3 ? Math.min(n, 5) : n)));
  }

  // Per-dimension values of another dimensionality become one number (the first), as a fresh start.
  fitDims(values, dims) {
    const fitted = { ...values };
    for (const [key, value] of Object.entries(values)) {
      if (Array.isArray(value) && value.length !== dims) fitted[key] = value[0];
    }
    return fitted;
  }

  dims() {
    const layer = this.layers.get(this.layerSelect.value);
    return layer.dims || Math.max(this.input.length - 2, 1);
  }

  // ---- controls ----------------------------------------------------------------------------------------
  buildControls() {
    const layer = this.layers.get(this.layerSelect.value);
    this.argumentsBox.replaceChildren(...layer.controls.map((control) => this.control(control)));
    this.buildInputControls(layer);
  }

  control(control) {
    const row = Explore.element("label", { className: "control", "data-argument": control.name });
    row.append(Explore.element("span", { className: "control-name" }, control.name));
    const value = this.values[control.name];
    const set = (newValue) => { this.values[control.name] = newValue; this.changed(); };
    const kind = control.kind;
    if (kind === "int" || kind === "optional_int") {
      row.append(this.numberInput(value, (v) => set(v), kind === "optional_int", control.name));
    } else if (kind === "ints" || kind === "optional_ints" || kind === "optional_floats") {
      row.append(this.perDimInputs(control, value, set));
    } else if (kind === "padding") {
      row.append(this.paddingControl(control, value, set));
    } else if (kind === "bool") {
      const box = Explore.element("input", { type: "checkbox", name: control.name });
      box.checked = Boolean(value);
      box.addEventListener("change", () => set(box.checked));
      row.append(box);
    } else {
      const choices = { padding_mode: this.schema.padding_modes, mode: this.schema.interpolation_modes,
        optional_bool: ["None", "True", "False"] }[kind];
      const select = Explore.element("select", { name: control.name });
      for (const choice of choices) select.append(Explore.element("option", { value: choice }, choice));
      select.value = kind === "optional_bool" ? String(value === null ? "None" : value ? "True" : "False") : value;
      select.addEventListener("change", () => set(kind === "optional_bool"
        ? { None: null, True: true, False: false }[select.value] : select.value));
      row.append(select);
    }
    return row;
  }

  numberInput(value, onChange, optional, name, step) {
    const input = Explore.element("input", { type: "number", name: name, step: step || "1" });
    input.value = value === null || value === undefined ? "" : value;
    if (optional) input.placeholder = "None";
    input.addEventListener("input", () => {
      if (input.value === "" && optional) return onChange(null);
      const number = Number(input.value);
      if (input.value !== "" && Number.isFinite(number)) onChange(number);
    });
    return input;
  }

  // One number box per spatial dimension (kernel_size=(3, 5)); optional ones may be left empty (None).
  perDimInputs(control, value, set) {
    const dims = this.dims();
    const box = Explore.element("span", { className: "per-dim" });
    const optional = control.kind !== "ints";
    const floats = control.kind === "optional_floats";
    let values = value === null || value === undefined ? Array(dims).fill(null)
      : Array.isArray(value) ? value.slice() : Array(dims).fill(value);
    for (let d = 0; d < dims; d++) {
      box.append(this.numberInput(values[d], (v) => {
        values[d] = v;
        if (optional && values.every((x) => x === null)) return set(null);
        if (values.some((x) => x === null)) { values = values.map((x) => (x === null ? v : x)); }
        set(values.every((x) => x === values[0]) ? values[0] : values.slice());   // (3, 3) is written 3
      }, optional, `${control.name}[${d}]`, floats ? "0.25" : "1"));
    }
    return box;
  }

  paddingControl(control, value, set) {
    const box = Explore.element("span", { className: "padding" });
    const select = Explore.element("select", { name: "padding-kind" });
    for (const choice of ["numbers", "same", "valid"]) select.append(Explore.element("option", { value: choice }, choice));
    const isText = typeof value === "string";
    select.value = isText ? value : "numbers";
    const numbers = this.perDimInputs({ name: "padding", kind: "ints" }, isText ? 0 : value, set);
    numbers.hidden = isText;
    select.addEventListener("change", () => {
      numbers.hidden = select.value !== "numbers";
      set(select.value === "numbers" ? 0 : select.value);
      if (select.value === "numbers") numbers.querySelectorAll("input").forEach((i) => { i.value = 0; });
    });
    box.append(select, numbers);
    return box;
  }

  buildInputControls(layer) {
    const dims = this.dims();
    const names = { 1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"] }[dims];
    const rows = [];
    const labels = ["N", "C"].concat(names);
    labels.forEach((label, index) => {
      const row = Explore.element("label", { className: "control small" });
      row.append(Explore.element("span", { className: "control-name" }, label));
      row.append(this.numberInput(this.input[index], (v) => { this.input[index] = v; this.changed(); }, false, `input-${label}`));
      rows.push(row);
    });
    if (!layer.dims) {   // Upsample: the input decides 1-d, 2-d or 3-d
      const row = Explore.element("label", { className: "control small" });
      row.append(Explore.element("span", { className: "control-name" }, "dims"));
      const select = Explore.element("select", { name: "input-dims" });
      for (const d of [1, 2, 3]) select.append(Explore.element("option", { value: d }, d + "-d"));
      select.value = dims;
      select.addEventListener("change", () => {
        this.input = this.resizedInput(Number(select.value));
        this.values = this.fitDims(this.values, Number(select.value));
        this.values.mode = "nearest";
        this.buildControls();
        this.changed();
      });
      row.append(select);
      rows.unshift(row);
    }
    this.inputBox.replaceChildren(...rows);
  }

  // ---- text and updates --------------------------------------------------------------------------------
  text() {
    const layer = this.layers.get(this.layerSelect.value);
    const parts = [];
    for (const control of layer.controls) {
      const value = this.values[control.name];
      const positional = control.name === "in_channels" || control.name === "out_channels";
      if (!control.required && LayerMode.same(value, control.default)) continue;
      if (value === null && !control.required) continue;
      parts.push(positional ? LayerMode.literal(value) : `${control.name}=${LayerMode.literal(value)}`);
    }
    return `${layer.name}(${parts.join(", ")})`;
  }

  static same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  static literal(value) {
    if (value === null || value === undefined) return "None";
    if (value === true) return "True";
    if (value === false) return "False";
    if (typeof value === "string") return `'${value}'`;
    if (Array.isArray(value)) {
      const items = value.map(LayerMode.literal).join(", ");
      return value.length === 1 ? `(${items},)` : `(${items})`;
    }
    return String(value);
  }

  changed() {
    const channels = this.values.in_channels;
    if (channels !== undefined && this.input[1] !== channels && this.lastChannels !== channels) {
      this.input[1] = this.values.in_channels;   // the input's C follows in_channels (edit C to see the error)
      const box = this.inputBox.querySelector('input[name="input-C"]');
      if (box) box.value = this.input[1];
    }
    this.lastChannels = this.values.in_channels;
    this.textBox.value = this.text();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.view.load(null).then(() => this.saveState()), 120);
  }
}

Explore.LayerMode = LayerMode;
