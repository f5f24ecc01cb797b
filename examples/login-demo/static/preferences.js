// "Show pairing code for authenticator apps": the code (and its QR image) is fetched only when the
// box is ticked, and removed from the page when it is cleared.
"use strict";
(function () {
  const main = document.querySelector("main");
  const box = document.getElementById("show-pairing");
  const panel = document.getElementById("pairing");
  const secret = document.getElementById("pairing-secret");
  const qr = document.getElementById("pairing-qr");
  const message = document.getElementById("message");
  function clear() {
    panel.hidden = true;
    secret.textContent = "";
    qr.removeAttribute("src");
    qr.hidden = true;
  }
  box.addEventListener("change", async () => {
    clear();
    message.hidden = true;
    if (!box.checked) return;
    let answer;
    try {
      const response = await fetch("/preferences/pairing", {
        method: "POST",
        headers: { "X-CSRF-Token": main.dataset.csrf },
        credentials: "same-origin",
      });
      answer = await response.json();
    } catch (e) {
      answer = { error: "The server could not be reached." };
    }
    if (answer.error) {
      message.textContent = answer.error;
      message.className = "message error";
      message.hidden = false;
      box.checked = false;
      return;
    }
    secret.textContent = answer.secret;
    if (answer.qr) {
      qr.src = answer.qr;
      qr.hidden = false;
    }
    panel.hidden = false;
  });
})();
