// The presenter's keys: → and ← (and a clicker's page keys) move between steps, R runs the
// step's experiment, D opens the dashboard. No framework, no build step; without script the
// links still move between steps.
"use strict";

(() => {
  const step = document.getElementById("step");
  if (!step) return;
  const number = Number(step.dataset.step);
  const count = Number(step.dataset.count);
  let running = false;

  // The page's own words (data-running, data-server-answered, in the page's language), their
  // `{name}` holes filled here.
  function words(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, (hole, name) =>
      name in values ? String(values[name]) : hole,
    );
  }

  function go(n) {
    if (n >= 1 && n <= count && n !== number) window.location.assign(`/present?step=${n}`);
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
    say(
      words(step.dataset.running, body),
      "running",
    );
    try {
      const response = await fetch("/experiments", {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => null);
      if (!response.ok) {
        const refusal = words(step.dataset.serverAnswered, { status: response.status });
        throw new Error((data && data.message) || refusal);
      }
      window.location.assign(`/present?step=${number}&experiment=${data.id}`);
      return;
    } catch (error) {
      say(error.message, "bad");
    }
    running = false;
    if (button) button.disabled = false;
  }

  // The result belongs on the first screen: when a long title wraps the header onto a second
  // line (Vietnamese runs longer), the timeline is scaled down to the room that is left rather
  // than pushed below the fold. A screen too short for a readable picture (a phone on its side)
  // scrolls instead.
  function fitResult() {
    const figure = document.querySelector("#result .timeline-figure");
    const picture = figure && figure.querySelector("svg");
    if (!picture) return;
    picture.style.maxHeight = "";
    const box = picture.getBoundingClientRect();
    // What the figure adds below the picture (its border, the line an inline svg sits on).
    const below = figure.getBoundingClientRect().bottom - box.bottom;
    const room = window.innerHeight - (box.top + window.scrollY) - below - 4;
    if (box.height > room && room >= 200) picture.style.maxHeight = `${Math.floor(room)}px`;
  }
  fitResult();
  window.addEventListener("resize", fitResult);

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
