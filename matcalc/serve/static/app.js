// The page: read the form, ask /api/derive, show the answer. The URL's query string holds the
// whole query (the same keys as the API), so a reload or a shared link shows the same answer.
"use strict";

(function () {
  const FIELDS = ["command", "expr", "let", "wrt", "v", "at", "input"];
  const FLAGS = ["steps", "check"];
  const DEBOUNCE_MS = 350;
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let asked = 0;
  let controller = null;

  function layout() {
    const picked = document.querySelector('input[name="layout"]:checked');
    return picked ? picked.value : "mixed";
  }

  function readForm() {
    const params = new URLSearchParams();
    for (const name of FIELDS) {
      const value = $(name).value;
      if (value !== "" || name === "expr") params.set(name, value);
    }
    params.set("layout", layout());
    for (const name of FLAGS) if ($(name).checked) params.set(name, "1");
    return params;
  }

  function fillForm(params) {
    for (const name of FIELDS) if (params.has(name)) $(name).value = params.get(name);
    if (params.has("layout")) {
      const radio = document.querySelector(`input[name="layout"][value="${CSS.escape(params.get("layout"))}"]`);
      if (radio) radio.checked = true;
    }
    for (const name of FLAGS) if (params.has(name)) $(name).checked = params.get(name) === "1";
  }

  function typeset(latex, element) {
    element.textContent = "";
    if (!latex) return;
    try {
      temml.render(latex, element, { displayMode: true, throwOnError: true });
    } catch (err) {
      const pre = document.createElement("pre");
      pre.textContent = latex;
      element.appendChild(pre);
    }
  }

  function setCopy(name, text) {
    $("out-" + name).value = text === undefined ? "" : text;
  }

  function showError(message) {
    $("error").hidden = false;
    $("error-text").textContent = message;
  }

  function clear() {
    $("error").hidden = true;
    $("error-text").textContent = "";
    $("result").textContent = "";
    $("notes").textContent = "";
    $("steps-box").hidden = true;
    $("chain-box").hidden = true;
    for (const name of ["latex", "numpy", "python", "torch", "jax", "text"]) setCopy(name, "");
  }

  function showChain(result) {
    const parts = result.results ? result.results : [result];
    const body = $("factors").tBodies[0];
    body.textContent = "";
    $("adjoints").textContent = "";
    for (const part of parts) {
      for (const f of part.factors || []) {
        const row = body.insertRow();
        row.insertCell().textContent = f.name;
        row.insertCell().textContent = f.shape + (f.vec ? " (vec)" : "");
        typeset(f.latex, row.insertCell());
      }
      for (const a of part.adjoints || []) {
        const item = document.createElement("li");
        item.textContent = `${a.name.replace("delta_", "δ_")} = ${a.text}`;
        $("adjoints").appendChild(item);
      }
    }
    $("chain-box").hidden = false;
  }

  function show(answer) {
    clear();
    $("command-line").textContent = answer.argv ? "$ " + answer.argv.map(quoted).join(" ") : "";
    if (!answer.ok) {
      showError(answer.error);
      return;
    }
    const out = answer.outputs;
    // With steps, the LaTeX output is the derivation (shown below): the result is the last line.
    const alone = answer.steps && answer.result && answer.result.latex;
    typeset(alone ? answer.result.latex : out.latex, $("result"));
    for (const name of ["latex", "numpy", "python", "torch", "jax", "text"]) {
      setCopy(name, out[name] !== undefined ? out[name] : answer.format_errors[name]);
    }
    for (const note of answer.notes) {
      const item = document.createElement("li");
      item.textContent = "note: " + note;
      $("notes").appendChild(item);
    }
    if (answer.steps) {
      typeset(answer.steps.latex, $("steps-math"));
      $("steps-text").textContent = answer.steps.text;
      $("steps-box").hidden = false;
    }
    if (answer.query.command === "chain" && answer.result) showChain(answer.result);
  }

  function quoted(arg) {
    if (/^[A-Za-z0-9_.,:=\/-]+$/.test(arg)) return arg;
    if (!/["$`\\!]/.test(arg)) return '"' + arg + '"';
    return "'" + arg.replace(/'/g, "'\\''") + "'";
  }

  async function derive() {
    clearTimeout(timer);
    const params = readForm();
    const query = params.toString();
    history.replaceState(null, "", "?" + query);
    $("json-link").href = "/api/derive?" + query;
    showV();
    const mine = ++asked;
    if (controller) controller.abort();
    controller = new AbortController();
    $("answer").setAttribute("aria-busy", "true");
    try {
      const reply = await fetch("/api/derive?" + query, { signal: controller.signal });
      const answer = await reply.json();
      if (mine === asked) show(answer);
    } catch (err) {
      if (err.name !== "AbortError" && mine === asked) {
        clear();
        showError("error: no answer from the server (" + err.message + ")");
      }
    } finally {
      if (mine === asked) $("answer").setAttribute("aria-busy", "false");
    }
  }

  function showV() {
    $("v-row").hidden = !["vjp", "jvp", "hvp"].includes($("command").value);
  }

  function later() {
    showV();
    clearTimeout(timer);
    timer = setTimeout(derive, DEBOUNCE_MS);
  }

  function start() {
    fillForm(new URLSearchParams(location.search));
    $("query").addEventListener("submit", (event) => {
      event.preventDefault();
      derive();
    });
    $("query").addEventListener("input", later);
    $("query").addEventListener("change", later);
    for (const button of document.querySelectorAll("button[data-copy]")) {
      button.addEventListener("click", async () => {
        const area = $(button.dataset.copy);
        try {
          await navigator.clipboard.writeText(area.value);
        } catch (err) {
          area.select();
          document.execCommand("copy");
        }
        button.dataset.copied = "1";
      });
    }
    derive();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
