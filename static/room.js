// Room mode: the projector's board stays live, the instructor's round form posts as JSON, and
// the phone's Book button books without leaving the page. Every word shown comes from the
// server's templates; this script only fetches and swaps. No framework, no build step; without
// script the forms post and come back.
"use strict";

(() => {
  const BOARD_EVERY_MS = 1000;

  // The projector: the board is re-rendered by the server and swapped in.
  const board = document.getElementById("board");
  if (board && board.dataset.live) {
    const refresh = async () => {
      try {
        const response = await fetch(board.dataset.live, { credentials: "same-origin" });
        if (response.ok) {
          const html = await response.text();
          if (board.dataset.html !== html) {
            board.dataset.html = html;
            board.innerHTML = html;
          }
        }
      } catch (_) {
        // The instance may be restarting; the next poll tries again.
      }
      setTimeout(refresh, BOARD_EVERY_MS);
    };
    setTimeout(refresh, BOARD_EVERY_MS);
  }

  // The instructor's form: JSON to /room/rounds, the server's message on a refusal.
  const roundForm = document.querySelector("form.round-form[data-api]");
  if (roundForm) {
    roundForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const status = document.getElementById("round-status");
      const body = {};
      for (const [name, value] of new FormData(roundForm).entries()) {
        const input = roundForm.elements.namedItem(name);
        body[name] = input && input.type === "number" ? Number(value) : value;
      }
      const response = await fetch(roundForm.dataset.api, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok && status) {
        const data = await response.json().catch(() => null);
        status.textContent = (data && data.message) || String(response.status);
        status.className = "bad";
      } else if (status) {
        status.textContent = "";
      }
    });
  }

  // The phone: the tap is sent with fetch, then the page shows what the server recorded.
  const book = document.getElementById("book");
  if (book) {
    book.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = document.getElementById("book-button");
      if (button) button.disabled = true;
      const now = document.getElementById("booking-now");
      if (now) now.hidden = false;
      try {
        await fetch("/join/tap", {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
          body: "",
        });
      } catch (_) {
        // Whatever happened, the page below says what the server recorded.
      }
      window.location.reload();
    });
  }

  // The phone waits for a round, or for its booking's answer.
  const join = document.getElementById("join");
  if (join && join.dataset.refresh) {
    setTimeout(() => window.location.reload(), Number(join.dataset.refresh));
  }
})();
