// The presenter's keys: → and ← (and a clicker's page keys) move between steps, R runs the
// step's experiment, D opens the dashboard. No framework, no build step; without script the
// links still move between steps.
"use strict";

(() => {
  const step = document.getElementById("step");
  if (!step) return;
  const number = Number(step.dataset.step);
  const count = Number(step.dataset.count);
  // The page's language, kept in every link the keys follow; the words come from the page
  // (locales/*/present.ftl) with {name} placeholders, filled in here.
  const lang = step.dataset.lang || "en";
  const words = (template, values) =>
    template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));

  function go(n) {
    if (n >= 1 && n <= count && n !== number) window.location.assign(`/present?step=${n}&lang=${lang}`);
  }

  function say(text, tone) {
    const status = document.getElementById("run-status");
    if (!status) return;
    status.textContent = text;
    status.className = tone || "";
  }

  async function run() {
    if (running || !step.dataset.run) return;
    running = true;
    const button = document.getElementById("run-step");
    if (button) button.disabled = true;
    const body = JSON.parse(step.dataset.run);
    say(words(step.dataset.running, { requests: body.requests, strategy: body.strategy }), "running");
    try {
      const response = await fetch("/experiments", {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => null);
      if (!response.ok) throw new Error((data && data.message) || words(step.dataset.serverAnswered, { status: response.status }));
      window.location.assign(`/present?step=${number}&experiment=${data.id}&lang=${lang}`);
      return;
    } catch (error) {
      say(error.message, "bad");
    }
    running = false;
    if (button) button.disabled = false;
  }

  const button = document.getElementById("run-step");
  if (button) button.addEventListener("click", run);

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    switch (e.key) {
      case "ArrowRight":
      case "PageDown":
      case " ":
        e.preventDefault();
        go(number + 1);
        break;
      case "ArrowLeft":
      case "PageUp":
        e.preventDefault();
        go(number - 1);
        break;
      case "r":
      case "R":
      case "Enter":
        e.preventDefault();
        run();
        break;
      case "d":
      case "D":
        window.location.assign("/");
        break;
      default:
    }
  });
})();
