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

  // ---- keys: each person's own (data-keys, by action), or none at all ("off", WCAG 2.1.4).
  var keysAttr = body.getAttribute("data-keys") || "";
  var actionOf = {};
  if (keysAttr && keysAttr !== "off") {
    try {
      var keys = JSON.parse(keysAttr);
      Object.keys(keys).forEach(function (action) { actionOf[keys[action]] = action; });
    } catch (ignored) { actionOf = {}; }
  }
  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
  }

  // ---- queue: j/k move through the reports, Enter opens the one with focus (a link).
  var queue = document.querySelector("[data-queue]");
  if (queue) {
    var rows = Array.prototype.slice.call(queue.querySelectorAll("[data-report]"));
    var row = -1;
    var moveRow = function (index) {
      if (index < 0 || index >= rows.length) { return; }
      if (row >= 0) { rows[row].classList.remove("current"); }
      row = index;
      rows[row].classList.add("current");
      var link = rows[row].querySelector("a[data-open]");
      if (link) { link.focus(); }
    };
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
      var action = actionOf[e.key];
      if (action === "next") { moveRow(row + 1); }
      else if (action === "previous") { moveRow(row - 1); }
      else if (e.key === "Enter" && row >= 0 && !(e.target && e.target.closest && e.target.closest("a, button"))) {
        var open = rows[row].querySelector("a[data-open]");
        if (open) { open.click(); }
      } else { return; }
      e.preventDefault();
    });
    return;
  }

  // ---- report page: tiles, selection, reveal one at a time, decisions without reloading, undo.
  var tiles = Array.prototype.slice.call(document.querySelectorAll("[data-file]"));
  var batch = document.querySelector("form[data-batch]");
  var undoPanel = document.getElementById("undo-panel");
  var undoForm = document.querySelector("form[data-undo]");
  var message = document.createElement("p");
  message.className = "notice";
  message.setAttribute("role", "status");
  message.id = "page-message";
  message.hidden = true;
  var filesPanel = document.querySelector("section.files");
  if (filesPanel) { filesPanel.insertBefore(message, filesPanel.firstChild.nextSibling); }
  if (tiles.length === 0) { return; }
  var current = -1;
  var anchor = -1;

  function say(text, error) {
    message.textContent = text;
    message.className = error ? "notice notice-error" : "notice";
    message.setAttribute("role", error ? "alert" : "status");
    message.hidden = false;
  }
  function pick(tile) { return tile.querySelector("input[data-pick]"); }
  function isOpen(tile) { return !tile.classList.contains("decided"); }
  function selected() { return tiles.filter(function (t) { var p = pick(t); return p && p.checked && isOpen(t); }); }
  function refreshSelection() {
    var chosen = selected();
    tiles.forEach(function (t) { t.classList.toggle("selected", chosen.indexOf(t) >= 0); });
    var count = document.querySelector("[data-selection-count]");
    if (count) { count.textContent = chosen.length === 0 ? "No file selected" : chosen.length + " selected"; }
  }
  function setPicked(tile, on) { var p = pick(tile); if (p && isOpen(tile)) { p.checked = on; } }

  // The button that reveals an image: its own (a video keyframe's), else the tile's.
  function buttonOf(tile, img) {
    var frame = img.closest("[data-keyframe]");
    return (frame || tile.querySelector(".tile-buttons") || tile).querySelector("[data-reveal-button]");
  }
  function hideImage(tile, img) {
    if (img.getAttribute("data-state") !== "revealed") { return; }
    img.src = img.getAttribute("data-thumbnail");
    img.setAttribute("data-state", "blurred");
    img.alt = img.getAttribute("data-alt") + ", blurred";
    var button = buttonOf(tile, img);
    if (button) { button.innerHTML = img.closest("[data-keyframe]") ? "Reveal" : "Reveal <kbd>r</kbd>"; }
  }
  function hide(tile) {
    Array.prototype.slice.call(tile.querySelectorAll("img[data-thumbnail]")).forEach(function (img) { hideImage(tile, img); });
    tile.classList.remove("revealed");
    var state = tile.querySelector("[data-media-state]");
    if (state) { state.textContent = "Blurred"; }
    var colour = tile.querySelector("[data-colour-button]");
    if (colour) { colour.hidden = true; colour.setAttribute("aria-pressed", "false"); }
  }
  function reveal(tile, inColour, img) {
    img = img || tile.querySelector("img[data-reveal][data-state=revealed]") || tile.querySelector("img[data-reveal]");
    if (!img || !isOpen(tile)) { return; }
    if (img.getAttribute("data-state") === "revealed" && inColour === undefined) { hide(tile); return; }
    // One at a time: every other file, and every other frame of this one, goes back to its blurred thumbnail first.
    tiles.forEach(function (other) { if (other !== tile) { hide(other); } });
    Array.prototype.slice.call(tile.querySelectorAll("img[data-thumbnail]")).forEach(function (other) { if (other !== img) { hideImage(tile, other); } });
    img.src = img.getAttribute("data-reveal") + (inColour ? "?colour=1" : "");
    img.setAttribute("data-state", "revealed");
    img.alt = img.getAttribute("data-alt") + ", revealed" + (inColour ? " in colour" : "");
    img.removeAttribute("width");
    img.removeAttribute("height");
    tile.classList.add("revealed");
    var state = tile.querySelector("[data-media-state]");
    if (state) { state.textContent = "Revealed" + (inColour ? " in colour" : "") + " (recorded in the audit log)"; }
    var button = buttonOf(tile, img);
    if (button) { button.innerHTML = "Hide <kbd>Esc</kbd>"; }
    var colour = tile.querySelector("[data-colour-button]");
    if (colour) { colour.hidden = false; colour.setAttribute("aria-pressed", inColour ? "true" : "false"); }
  }

  function moveTo(index, focus) {
    if (index < 0 || index >= tiles.length) { return; }
    if (current >= 0 && tiles[current] !== tiles[index]) { hide(tiles[current]); tiles[current].classList.remove("current"); }
    current = index;
    tiles[current].classList.add("current");
    if (focus) { tiles[current].scrollIntoView({ block: "nearest" }); tiles[current].focus({ preventScroll: true }); }
  }
  function step(delta) {
    var i = current;
    do { i += delta; } while (i >= 0 && i < tiles.length && !isOpen(tiles[i]));
    moveTo(i, true);
  }

  // What a key acts on: the file that has focus (unless it is part of a larger selection), else the selection.
  function targets() {
    var active = document.activeElement;
    var focused = active && active.closest ? active.closest("[data-file]") : null;
    var chosen = selected();
    if (focused && isOpen(focused)) {
      return chosen.indexOf(focused) >= 0 && chosen.length > 1 ? chosen : [focused];
    }
    return chosen;
  }

  function markDecided(decisions) {
    decisions.forEach(function (d) {
      var tile = document.getElementById("file-" + d.file);
      if (!tile) { return; }
      hide(tile);
      tile.classList.add("decided");
      tile.setAttribute("data-decision", String(d.decision));
      var p = pick(tile);
      if (p) { p.checked = false; p.disabled = true; }
      var chip = tile.querySelector("[data-decided]");
      if (chip) { chip.textContent = d.text + " (undo possible)"; chip.hidden = false; }
    });
    refreshOpen();
  }
  function markUndone(undone) {
    undone.forEach(function (u) {
      var tile = document.getElementById("file-" + u.file);
      if (!tile) { return; }
      tile.classList.remove("decided");
      tile.removeAttribute("data-decision");
      var p = pick(tile);
      if (p) { p.disabled = false; }
      var chip = tile.querySelector("[data-decided]");
      if (chip) { chip.hidden = true; chip.textContent = ""; }
    });
    refreshOpen();
  }
  function refreshOpen() {
    var open = tiles.filter(isOpen).length;
    var count = document.querySelector("[data-open-count]");
    if (count) { count.textContent = String(open); }
    var done = document.getElementById("all-decided");
    if (done) {
      done.hidden = open !== 0;
      if (open === 0) { var next = done.querySelector("[data-next-report]"); if (next) { next.focus(); } }
    }
    refreshSelection();
  }

  var undoTimer = null;
  function showUndo(decisions, seconds, text) {
    if (!undoPanel || !undoForm || seconds <= 0) { return; }
    Array.prototype.slice.call(undoForm.querySelectorAll("input[name=decision]")).forEach(function (i) { i.remove(); });
    decisions.forEach(function (d) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "decision"; input.value = String(d.decision);
      undoForm.querySelector("p").appendChild(input);
    });
    undoForm.querySelector("[data-undo-text]").textContent = text;
    undoPanel.hidden = false;
    if (undoTimer) { clearTimeout(undoTimer); }
    undoTimer = setTimeout(function () {
      undoPanel.hidden = true;
      tiles.forEach(function (t) { var chip = t.querySelector("[data-decided]"); if (chip) { chip.textContent = chip.textContent.replace(" (undo possible)", ""); } });
    }, seconds * 1000);
  }

  function send(form, data) {
    return fetch(form.getAttribute("action"), {
      method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) { throw new Error(json.error || json.message || json.detail || ("The server answered " + response.status + ".")); }
        return json;
      });
    });
  }

  function decide(form, data) {
    return send(form, data).then(function (json) {
      markDecided(json.decisions || []);
      say(json.message, false);
      if ((json.decisions || []).length > 0) { showUndo(json.decisions, json.undoSeconds || 0, json.message); }
    }, function (error) { say(error.message, true); });
  }

  // One decision for the chosen files through the batch form (its note and bundle choice included).
  function decideFiles(files, category, acceptList) {
    if (!batch) { return; }
    if (files.length === 0) { say("Move to a file (j/k or Tab) or select files first.", true); return; }
    var data = new FormData(batch);
    data.delete("file");
    data.delete("category");
    files.forEach(function (t) { data.append("file", pick(t) ? pick(t).value : t.getAttribute("data-file")); });
    if (acceptList) { data.set("accept", "list"); } else { data.set("category", category); }
    decide(batch, data);
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!window.fetch || !window.FormData) { return; }
    if (form.matches("form[data-batch], form[data-series-form]")) {
      e.preventDefault();
      var data = new FormData(form);
      if (e.submitter && e.submitter.name) { data.set(e.submitter.name, e.submitter.value); }
      decide(form, data);
    } else if (form.matches("form[data-undo]")) {
      e.preventDefault();
      send(form, new FormData(form)).then(function (json) {
        markUndone(json.undone || []);
        say(json.message, false);
        undoPanel.hidden = true;
      }, function (error) { say(error.message, true); undoPanel.hidden = true; });
    }
  });

  tiles.forEach(function (tile, index) {
    tile.addEventListener("focusin", function () { if (current !== index) { moveTo(index, false); } });
    tile.addEventListener("click", function (e) {
      var inControl = e.target.closest("button, a, summary, details, select, input[type=text], input[type=radio], label.category");
      var checkbox = e.target.closest("input[data-pick]");
      if (inControl && !checkbox) { return; }
      if (!checkbox) {
        if (e.target.closest("label.pick")) { return; } // the label toggles its checkbox itself
        setPicked(tile, !(pick(tile) && pick(tile).checked));
      }
      if (e.shiftKey && anchor >= 0) {
        var from = Math.min(anchor, index), to = Math.max(anchor, index);
        var on = pick(tile) ? pick(tile).checked : true;
        for (var i = from; i <= to; i++) { setPicked(tiles[i], on); }
      }
      anchor = index;
      moveTo(index, false);
      refreshSelection();
    });
    Array.prototype.slice.call(tile.querySelectorAll("[data-reveal-button]")).forEach(function (button) {
      var frame = button.closest("[data-keyframe]");
      var img = frame ? frame.querySelector("img[data-reveal]") : tile.querySelector("img[data-reveal]");
      button.addEventListener("click", function (e) {
        e.stopPropagation();
        moveTo(index, false);
        if (img.getAttribute("data-state") === "revealed") { hide(tile); } else { reveal(tile, false, img); }
      });
    });
    var colour = tile.querySelector("[data-colour-button]");
    if (colour) {
      colour.addEventListener("click", function (e) {
        e.stopPropagation();
        reveal(tile, colour.getAttribute("aria-pressed") !== "true");
      });
    }
  });
  Array.prototype.slice.call(document.querySelectorAll("[data-select-series]")).forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var series = button.closest("[data-series]");
      var members = tiles.filter(function (t) { return series.contains(t) && isOpen(t); });
      var all = members.every(function (t) { return pick(t) && pick(t).checked; });
      members.forEach(function (t) { setPicked(t, !all); });
      refreshSelection();
    });
  });
  refreshSelection();

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (typing(e.target) && !(e.target.matches && e.target.matches("input[type=checkbox], input[type=radio]"))) {
      if (e.key === "Escape") { e.target.blur(); }
      return;
    }
    if (e.key === "Escape") {
      tiles.forEach(hide);
      e.preventDefault();
      return;
    }
    var action = actionOf[e.key];
    if (!action) { return; }
    var focusedTile = document.activeElement && document.activeElement.closest ? document.activeElement.closest("[data-file]") : null;
    var tile = focusedTile || (current >= 0 ? tiles[current] : null);
    switch (action) {
      case "next": step(1); break;
      case "previous": step(-1); break;
      case "reveal": if (focusedTile) { reveal(focusedTile); } else if (tile) { reveal(tile); } break;
      case "select": if (tile) { setPicked(tile, !(pick(tile) && pick(tile).checked)); anchor = tiles.indexOf(tile); refreshSelection(); } break;
      case "decide0": case "decide1": case "decide2": case "decide3": case "decide4":
        decideFiles(targets(), action.charAt(6), false); break;
      case "escalate": decideFiles(targets(), "e", false); break;
      case "accept": decideFiles(targets(), null, true); break;
      case "undo":
        if (undoPanel && !undoPanel.hidden) { undoForm.querySelector("[data-undo-button]").click(); }
        break;
      case "nextReport":
        var next = document.querySelector("[data-next-report]");
        if (next) { next.click(); }
        break;
      default: return;
    }
    e.preventDefault();
  });
})();
