// The Code screen's long poll: asks the backend, which asks hsm2fad, whether the phone has answered.
// Approved: the backend has signed the session in and the page moves to the start screen by itself.
"use strict";
(function () {
  const main = document.querySelector("main");
  const status = document.getElementById("push-status");
  function show(text, kind) {
    status.textContent = text;
    status.className = "message " + kind;
    status.setAttribute("role", "alert");
  }
  async function poll() {
    for (;;) {
      let answer;
      try {
        const response = await fetch("/code/wait", {
          method: "POST",
          headers: { "X-CSRF-Token": main.dataset.csrf },
          credentials: "same-origin",
        });
        answer = await response.json();
      } catch (e) {
        show("Lost contact with the server; retrying...", "error");
        await new Promise((resolve) => setTimeout(resolve, 2000));
        continue;
      }
      if (answer.state === "pending") continue;
      if (answer.state === "approved") {
        window.location.assign(answer.next);
        return;
      }
      show(answer.message, "error");
      if (answer.state === "unavailable") {  // hsm2fad unreachable: keep asking, nobody gets in
        await new Promise((resolve) => setTimeout(resolve, 3000));
        continue;
      }
      return;  // denied, expired or signed out: no more polling
    }
  }
  poll();
})();
