// Needle review pages: keyboard shortcuts, one-at-a-time reveal, and the break reminder. Nothing else runs here.
(function () {
  "use strict";

  // ---- break reminder: minutes of continuous review (pages opened without a long gap) kept in this tab only.
  var GAP_MS = 10 * 60 * 1000;
  var body = document.body;
  var breakMinutes = parseInt(body.getAttribute("data-break-minutes") || "0", 10);
  var reminder = document.getElementById("break-reminder");
  function now() { return Date.now(); }
  function stretchStart() {
    var last = parseInt(sessionStorage.getItem("needle.lastSeen") || "0", 10);
    var start = parseInt(sessionStorage.getItem("needle.reviewStart") || "0", 10);
    if (!start || now() - last > GAP_MS) { start = now(); sessionStorage.setItem("needle.reviewStart", String(start)); }
    sessionStorage.setItem("needle.lastSeen", String(now()));
    return start;
  }
  if (breakMinutes > 0 && reminder) {
    var start = stretchStart();
    var check = function () {
      var minutes = Math.floor((now() - start) / 60000);
      if (minutes >= breakMinutes) {
        var elapsed = reminder.querySelector("[data-break-elapsed]");
        if (elapsed) { elapsed.textContent = minutes + " minutes"; }
        reminder.hidden = false;
      }
    };
    check();
    setInterval(check, 30000);
    var done = reminder.querySelector("[data-break-done]");
    if (done) {
      done.addEventListener("click", function () {
        start = now();
        sessionStorage.setItem("needle.reviewStart", String(start));
        reminder.hidden = true;
      });
    }
  }

  // ---- report page: current file, reveal one at a time, decide by key.
  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-file]"));
  if (cards.length === 0) { return; }
  var current = 0;

  function hide(card) {
    var img = card.querySelector("img[data-thumbnail]");
    if (img && img.getAttribute("data-state") === "revealed") {
      img.src = img.getAttribute("data-thumbnail");
      img.setAttribute("data-state", "blurred");
      card.classList.remove("revealed");
      var state = card.querySelector("[data-media-state]");
      if (state) { state.textContent = "Blurred"; }
      var button = card.querySelector("[data-reveal-button]");
      if (button) { button.innerHTML = "Reveal <kbd>r</kbd>"; }
    }
  }

  function reveal(card) {
    var img = card.querySelector("img[data-reveal]");
    if (!img) { return; }
    if (img.getAttribute("data-state") === "revealed") { hide(card); return; }
    // One at a time: every other file goes back to its blurred thumbnail first.
    cards.forEach(function (other) { if (other !== card) { hide(other); } });
    img.src = img.getAttribute("data-reveal");
    img.setAttribute("data-state", "revealed");
    card.classList.add("revealed");
    var state = card.querySelector("[data-media-state]");
    if (state) { state.textContent = "Revealed (recorded in the audit log)"; }
    var button = card.querySelector("[data-reveal-button]");
    if (button) { button.innerHTML = "Hide <kbd>Esc</kbd>"; }
  }

  function select(index, scroll) {
    if (index < 0 || index >= cards.length) { return; }
    if (cards[current] !== cards[index]) { hide(cards[current]); }
    cards[current].classList.remove("current");
    current = index;
    cards[current].classList.add("current");
    if (scroll) { cards[current].scrollIntoView({ block: "nearest", behavior: "smooth" }); cards[current].focus({ preventScroll: true }); }
  }

  function decide(key) {
    var form = cards[current].querySelector("form[data-decide]");
    if (!form) { return; }
    var radio = form.querySelector("input[name=category][value='" + key + "']");
    if (!radio) { return; }
    radio.checked = true;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  cards.forEach(function (card, index) {
    card.addEventListener("click", function () { select(index, false); });
    var button = card.querySelector("[data-reveal-button]");
    if (button) { button.addEventListener("click", function (e) { e.stopPropagation(); select(index, false); reveal(card); }); }
  });
  select(0, false);

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var target = e.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable)) {
      if (e.key === "Escape") { target.blur(); }
      return;
    }
    switch (e.key) {
      case "j": select(current + 1, true); break;
      case "k": select(current - 1, true); break;
      case "r": reveal(cards[current]); break;
      case "Escape": hide(cards[current]); break;
      case "0": case "1": case "2": case "3": case "4": case "e": decide(e.key); break;
      default: return;
    }
    e.preventDefault();
  });
})();
