// The score editor: draws the score with abcjs from the server's editor state, keeps a
// selection and a cursor by our ids, and turns clicks, drags and keys into small HTMX
// POSTs that answer with the changed ABC. The server holds the truth and the history;
// this page only remembers what is selected, the current note value and the clipboard.
(function () {
  "use strict";

  var CLIPBOARD_KEY = "rescored:clipboard";
  var DURATION_KEYS = { "1": "1/16", "2": "1/8", "3": "1/4", "4": "1/2", "5": "1", "6": "2", "7": "4" };

  var root, renderTarget, stateBox, messageBox;
  var canEdit = false;
  var state = null; // the parsed editor state from the server
  var visualObj = null;
  var elements = []; // our elements sorted by start char
  var svgByEvent = {}; // event id -> [svg elements]
  var svgByStart = {}; // element start char -> [svg elements]
  var selection = []; // selected event ids, in click order
  var anchor = null; // element a shift-click range starts from
  var cursor = null; // {part, staff, voice, measure, offset}
  var duration = "1";
  var dotted = false;
  var queue = Promise.resolve();
  var pointer = null; // mouse-down position, for sideways drags and box selection

  // ---------------------------------------------------------------- fractions

  function frac(text) {
    var parts = String(text).split("/");
    return parts.length === 2 ? Number(parts[0]) / Number(parts[1]) : Number(parts[0]);
  }
  function measureStarts() {
    var starts = [0];
    (state.lengths || []).forEach(function (length, i) { starts.push(starts[i] + frac(length)); });
    return starts;
  }
  function absoluteOf(el) { return measureStarts()[el.m] + frac(el.o); }
  function currentDuration() {
    var value = frac(duration) * (dotted ? 1.5 : 1);
    return toFraction(value);
  }
  function toFraction(value) {
    for (var d = 1; d <= 96; d++) {
      var n = Math.round(value * d);
      if (Math.abs(n / d - value) < 1e-9) return d === 1 ? String(n) : n + "/" + d;
    }
    return String(value);
  }

  // ---------------------------------------------------------------- state and drawing

  function readState() {
    var node = document.getElementById("editor-state-data");
    if (!node) return;
    state = JSON.parse(node.textContent);
    elements = state.elements.map(function (r) {
      return { s: r[0], e: r[1], ev: r[2], n: r[3], p: r[4], st: r[5], v: r[6], m: r[7], o: r[8], d: r[9] };
    }).sort(function (a, b) { return a.s - b.s; });
    var known = {};
    elements.forEach(function (el) { if (el.ev) known[el.ev] = true; });
    if (state.selection && state.selection.length) selection = state.selection.filter(function (id) { return known[id]; });
    else selection = selection.filter(function (id) { return known[id]; });
    if (state.cursor) cursor = state.cursor;
    else if (state.selection && state.selection.length) {
      // The cursor follows what an edit selected (a moved note, a deleted one's rest).
      var first = elements.find(function (x) { return x.ev === selection[0]; });
      if (first) cursor = { part: first.p, staff: first.st, voice: first.v, measure: first.m, offset: first.o };
    }
    render();
    showMessage();
    updateToolbar();
  }

  function elementAt(startChar) {
    var lo = 0, hi = elements.length - 1, found = null;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (elements[mid].s <= startChar) { found = elements[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    return found && startChar < Math.max(found.e, found.s + 1) ? found : null;
  }

  function render() {
    if (!window.ABCJS || !state) return;
    var options = {
      add_classes: true,
      responsive: "resize",
      staffwidth: 980,
      wrap: { minSpacing: 1.6, maxSpacing: 2.7, preferredMeasuresPerLine: 4 },
      clickListener: onAbcClick,
      selectTypes: ["note"], // notes and rests: focusable, clickable, draggable
      selectionColor: "#3451b2",
      dragColor: "#3451b2",
      dragging: canEdit,
    };
    if (state.tablature && state.tablature.length) options.tablature = state.tablature;
    visualObj = ABCJS.renderAbc(renderTarget, state.abc, options)[0];
    indexSvg();
    paintSelection();
    document.dispatchEvent(new CustomEvent("rescored:rendered", {
      detail: { visualObj: visualObj, abc: state.abc, partId: state.partId || null, revision: state.revision },
    }));
  }

  function indexSvg() {
    svgByEvent = {};
    svgByStart = {};
    if (!visualObj || !visualObj.lines) return;
    visualObj.lines.forEach(function (line) {
      (line.staff || []).forEach(function (staff) {
        (staff.voices || []).forEach(function (voice) {
          voice.forEach(function (abcelem) {
            if (abcelem.el_type !== "note" || !abcelem.abselem) return;
            var ours = elementAt(abcelem.startChar);
            if (!ours) return;
            var svgs = abcelem.abselem.elemset || [];
            svgByStart[ours.s] = (svgByStart[ours.s] || []).concat(svgs);
            svgs.forEach(function (svg) { svg.dataset.start = ours.s; });
            if (ours.ev) svgByEvent[ours.ev] = (svgByEvent[ours.ev] || []).concat(svgs);
          });
        });
      });
    });
  }

  function paintSelection() {
    renderTarget.querySelectorAll(".rs-selected, .rs-cursor").forEach(function (node) {
      node.classList.remove("rs-selected", "rs-cursor");
    });
    selection.forEach(function (id) {
      (svgByEvent[id] || []).forEach(function (svg) { svg.classList.add("rs-selected"); });
    });
    var at = cursorElement();
    if (at) (svgByStart[at.s] || []).forEach(function (svg) { svg.classList.add("rs-cursor"); });
    root.dataset.selection = selection.join(",");
  }

  function cursorElement() {
    if (!cursor) return null;
    var offset = frac(cursor.offset);
    return elements.find(function (el) {
      return el.p === cursor.part && el.st === cursor.staff && el.m === cursor.measure &&
        frac(el.o) <= offset + 1e-9 && offset < frac(el.o) + frac(el.d) - 1e-9;
    }) || null;
  }

  function showMessage() {
    messageBox.textContent = state.message || "";
    messageBox.className = "editor-status" + (state.error ? " is-error" : "") + (state.conflict ? " is-conflict" : "");
  }

  function updateToolbar() {
    root.dataset.revision = state.revision;
    var undo = root.querySelector("[data-command=undo]"), redo = root.querySelector("[data-command=redo]");
    if (undo) undo.disabled = !state.canUndo;
    if (redo) redo.disabled = !state.canRedo;
    root.querySelectorAll("[data-duration]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.duration === duration ? "true" : "false");
    });
    var dot = root.querySelector("[data-dot]");
    if (dot) dot.setAttribute("aria-pressed", dotted ? "true" : "false");
    root.querySelectorAll(".editor-tabs [role=tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", tab.dataset.part === (state.partId || "") ? "true" : "false");
    });
  }

  function say(text, isError) {
    messageBox.textContent = text;
    messageBox.className = "editor-status" + (isError ? " is-error" : "");
  }

  // ---------------------------------------------------------------- talking to the server

  function send(url, values) {
    // One at a time, in order: each request names the revision the previous one produced.
    queue = queue.then(function () {
      var body = Object.assign({ revision: state.revision, part: state.partId || "" }, values);
      root.classList.add("is-busy");
      return htmx.ajax("POST", url, { target: "#editor-state", swap: "innerHTML", select: "#editor-state-data", values: body })
        .catch(function () { say("The server could not be reached; your last edit was not saved.", true); })
        .then(function () { root.classList.remove("is-busy"); });
    });
    return queue;
  }

  function edit(op, params) {
    if (!canEdit) return;
    send(root.dataset.editUrl, { op: op, params: JSON.stringify(params || {}) });
  }

  function needSelection() {
    if (selection.length) return true;
    say("Select a note first: click it.", true);
    return false;
  }

  function needCursor() {
    if (cursor) return true;
    say("Click in the score first to place the cursor.", true);
    return false;
  }

  function showTab(partId) {
    queue = queue.then(function () {
      var url = root.dataset.stateUrl + (partId ? "?part=" + encodeURIComponent(partId) : "");
      // select: only the state is taken, whatever else the answer holds.
      return htmx.ajax("GET", url, { target: "#editor-state", swap: "innerHTML", select: "#editor-state-data" });
    });
  }

  function copySelection(thenDelete) {
    if (!needSelection()) return Promise.resolve();
    var body = new URLSearchParams({ ids: selection.join(",") });
    return fetch(root.dataset.clipboardUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
    }).then(function (response) { return response.json(); }).then(function (data) {
      if (data.error) { say(data.error, true); return; }
      try { localStorage.setItem(CLIPBOARD_KEY, JSON.stringify(data.fragment)); } catch (e) { /* private mode */ }
      window.rescoredClipboard = data.fragment;
      say(thenDelete ? "Cut." : "Copied " + data.fragment.events.length + " notes and rests.");
      if (thenDelete) edit("delete", { ids: selection });
    });
  }

  function clipboard() {
    if (window.rescoredClipboard) return window.rescoredClipboard;
    try { return JSON.parse(localStorage.getItem(CLIPBOARD_KEY) || "null"); } catch (e) { return null; }
  }

  function paste() {
    if (!needCursor()) return;
    var fragment = clipboard();
    if (!fragment) { say("The clipboard is empty: copy some notes first.", true); return; }
    edit("paste", Object.assign({ fragment: fragment }, cursor));
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  // ---------------------------------------------------------------- selecting

  function select(el, extend) {
    if (!el) return;
    cursor = { part: el.p, staff: el.st, voice: el.v, measure: el.m, offset: el.o };
    if (extend && anchor && anchor.p === el.p) {
      var from = Math.min(absoluteOf(anchor), absoluteOf(el)), to = Math.max(absoluteOf(anchor), absoluteOf(el));
      var low = Math.min(anchor.st, el.st), high = Math.max(anchor.st, el.st);
      selection = elements.filter(function (x) {
        var at = absoluteOf(x);
        return x.ev && x.p === el.p && x.st >= low && x.st <= high && at >= from - 1e-9 && at <= to + 1e-9;
      }).map(function (x) { return x.ev; });
      selection = selection.filter(function (id, i) { return selection.indexOf(id) === i; });
    } else {
      anchor = el;
      selection = el.ev ? [el.ev] : [];
    }
    paintSelection();
  }

  function onAbcClick(abcelem, tuneNumber, classes, analysis, drag, mouseEvent) {
    var el = elementAt(abcelem.startChar);
    if (!el) return;
    var dx = pointer && mouseEvent && mouseEvent.clientX !== undefined ? mouseEvent.clientX - pointer.x : 0;
    var steps = drag && drag.step ? -drag.step : 0;
    if (canEdit && el.ev && el.n.length && Math.abs(dx) > 14 && Math.abs(steps) <= 1) {
      moveTo(el, mouseEvent);
      return;
    }
    if (canEdit && el.ev && el.n.length && steps) {
      var ids = selection.indexOf(el.ev) >= 0 ? selection : [el.ev];
      selection = ids;
      edit("shift_steps", { ids: ids, steps: steps });
      return;
    }
    select(el, mouseEvent && mouseEvent.shiftKey);
  }

  function moveTo(el, mouseEvent) {
    // Sideways drag: the note goes to where the element under the drop point starts.
    var target = nearestElement(el, mouseEvent.clientX);
    if (!target || target === el) { render(); return; }
    var delta = absoluteOf(target) - absoluteOf(el);
    var ids = selection.indexOf(el.ev) >= 0 ? selection : [el.ev];
    selection = ids;
    edit("move", { ids: ids, delta: toFraction(delta) });
  }

  function nearestElement(like, clientX) {
    var best = null, bestDistance = Infinity;
    elements.forEach(function (x) {
      if (x.p !== like.p || x.st !== like.st || x.v !== like.v) return;
      (svgByStart[x.s] || []).slice(0, 1).forEach(function (svg) {
        var box = svg.getBoundingClientRect();
        var distance = Math.abs(box.left - clientX);
        if (distance < bestDistance) { bestDistance = distance; best = x; }
      });
    });
    return best;
  }

  function neighbour(step, extend) {
    var current = cursorElement();
    if (!current) return;
    var same = elements.filter(function (x) { return x.p === current.p && x.st === current.st && x.v === current.v; })
      .sort(function (a, b) { return absoluteOf(a) - absoluteOf(b); });
    var index = same.indexOf(current) + step;
    if (index < 0 || index >= same.length) return;
    select(same[index], extend);
  }

  // Drag a box over empty paper to select every note inside it. A press on empty
  // paper is kept from abcjs (which would start dragging the nearest note); a press
  // that does not become a box selects the note nearest to it, as abcjs would.
  function boxSelection() {
    var box = null, start = null;
    renderTarget.addEventListener("mousedown", function (event) {
      pointer = { x: event.clientX, y: event.clientY };
      if (event.button !== 0 || event.target.closest("[selectable]")) return;
      event.stopPropagation();
      start = { x: event.clientX, y: event.clientY, shift: event.shiftKey };
    }, true);
    document.addEventListener("mousemove", function (event) {
      if (!start) return;
      var dx = event.clientX - start.x, dy = event.clientY - start.y;
      if (!box && Math.abs(dx) + Math.abs(dy) < 8) return;
      if (!box) { box = document.createElement("div"); box.className = "rs-box"; document.body.appendChild(box); }
      box.style.left = Math.min(start.x, event.clientX) + window.scrollX + "px";
      box.style.top = Math.min(start.y, event.clientY) + window.scrollY + "px";
      box.style.width = Math.abs(dx) + "px";
      box.style.height = Math.abs(dy) + "px";
    });
    document.addEventListener("mouseup", function (event) {
      if (!start) return;
      var began = start;
      start = null;
      if (!box) {
        var near = nearestByPoint(event.clientX, event.clientY, 14);
        if (near) select(near, began.shift);
        return;
      }
      var left = Math.min(began.x, event.clientX), right = Math.max(began.x, event.clientX);
      var top = Math.min(began.y, event.clientY), bottom = Math.max(began.y, event.clientY);
      var picked = [], first = null;
      elements.forEach(function (x) {
        if (!x.ev || !x.n.length) return;
        var hit = (svgByStart[x.s] || []).some(function (svg) {
          var r = svg.getBoundingClientRect();
          return r.right >= left && r.left <= right && r.bottom >= top && r.top <= bottom;
        });
        if (hit && picked.indexOf(x.ev) < 0) { picked.push(x.ev); if (!first) first = x; }
      });
      box.remove();
      box = null;
      if (first) {
        anchor = first;
        cursor = { part: first.p, staff: first.st, voice: first.v, measure: first.m, offset: first.o };
      }
      selection = picked;
      paintSelection();
    });
  }

  function nearestByPoint(clientX, clientY, limit) {
    var best = null, bestDistance = limit;
    elements.forEach(function (x) {
      (svgByStart[x.s] || []).forEach(function (svg) {
        var r = svg.getBoundingClientRect();
        var dx = Math.max(r.left - clientX, 0, clientX - r.right), dy = Math.max(r.top - clientY, 0, clientY - r.bottom);
        var distance = Math.sqrt(dx * dx + dy * dy);
        if (distance < bestDistance) { bestDistance = distance; best = x; }
      });
    });
    return best;
  }

  // ---------------------------------------------------------------- commands

  var commands = {
    up: function () { if (needSelection()) edit("transpose", { ids: selection, semitones: 1 }); },
    down: function () { if (needSelection()) edit("transpose", { ids: selection, semitones: -1 }); },
    "octave-up": function () { if (needSelection()) edit("transpose", { ids: selection, semitones: 12 }); },
    "octave-down": function () { if (needSelection()) edit("transpose", { ids: selection, semitones: -12 }); },
    respell: function () { if (needSelection()) edit("respell", { ids: selection }); },
    "delete": function () { if (needSelection()) edit("delete", { ids: selection }); },
    tie: function () { if (needSelection()) edit("set_tie", { ids: selection }); },
    rest: function () { if (needCursor()) edit("insert_rest", Object.assign({ duration: currentDuration() }, cursor)); },
    undo: function () { send(root.dataset.undoUrl, {}); },
    redo: function () { send(root.dataset.redoUrl, {}); },
    copy: function () { copySelection(false); },
    cut: function () { copySelection(true); },
    paste: paste,
    "add-measure": function () { edit("add_measures", { at: cursor ? cursor.measure : 0, count: 1 }); },
    "append-measure": function () { edit("add_measures", { at: cursor ? cursor.measure + 1 : state.measures, count: 1 }); },
    "delete-measure": function () { if (needCursor()) edit("delete_measures", { start: cursor.measure, count: 1 }); },
    simplify: function () { edit("simplify_piano", {}); },
  };

  function setDuration(value) {
    duration = value;
    dotted = false;
    updateToolbar();
    if (selection.length) edit("set_duration", { ids: selection, duration: currentDuration() });
  }

  function toggleDot() {
    dotted = !dotted;
    updateToolbar();
    if (selection.length) edit("set_duration", { ids: selection, duration: currentDuration() });
  }

  function insertLetter(letter, chord) {
    if (!needCursor()) return;
    edit("insert_note", Object.assign({ letter: letter, duration: currentDuration(), chord: chord }, cursor));
  }

  function fillMenu() {
    // The Score menu opens on what is in force at the cursor's bar.
    var bar = state.bars && state.bars[cursor ? cursor.measure : 0];
    if (!bar) return;
    var set = function (selector, value) { var input = root.querySelector(selector); if (input) input.value = String(value); };
    set("form[data-form=key] [name=fifths]", bar[0]);
    set("form[data-form=key] [name=mode]", bar[1]);
    set("form[data-form=time] [name=beats]", bar[2]);
    set("form[data-form=time] [name=beat_type]", bar[3]);
    set("form[data-form=tempo] [name=bpm]", Math.round(bar[4]));
    var chord = cursor && (bar[5] || []).find(function (c) { return frac(c[0]) === frac(cursor.offset); });
    set("form[data-form=chord] [name=symbol]", chord ? chord[1] : "");
  }

  function onForm(event) {
    var form = event.target.closest("form[data-form]");
    if (!form) return;
    event.preventDefault();
    var menu = form.closest("details");
    if (menu) menu.open = false;
    var data = Object.fromEntries(new FormData(form).entries());
    var bar = cursor ? cursor.measure : 0;
    switch (form.dataset.form) {
      case "key": edit("set_key", { measure: bar, fifths: Number(data.fifths), mode: data.mode }); break;
      case "time": edit("set_time", { measure: bar, beats: Number(data.beats), beat_type: Number(data.beat_type) }); break;
      case "tempo": edit("set_tempo", { measure: bar, bpm: Number(data.bpm) }); break;
      case "chord":
        if (!needCursor()) return;
        edit("set_chord_symbol", { measure: cursor.measure, offset: cursor.offset, symbol: data.symbol });
        break;
      case "transpose":
        if (data.scope === "score") edit("transpose", { semitones: Number(data.semitones) });
        else if (needSelection()) edit("transpose", { ids: selection, semitones: Number(data.semitones) });
        break;
    }
  }

  function onKey(event) {
    if (!canEdit || !state) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || event.target.isContentEditable) return;
    var ctrl = event.ctrlKey || event.metaKey;
    var key = event.key;
    var handled = true;
    if (ctrl && (key === "z" || key === "Z")) { event.shiftKey ? commands.redo() : commands.undo(); }
    else if (ctrl && (key === "y" || key === "Y")) commands.redo();
    else if (ctrl && (key === "c" || key === "C")) commands.copy();
    else if (ctrl && (key === "x" || key === "X")) commands.cut();
    else if (ctrl && (key === "v" || key === "V")) commands.paste();
    else if (key === "ArrowUp") ctrl ? commands["octave-up"]() : commands.up();
    else if (key === "ArrowDown") ctrl ? commands["octave-down"]() : commands.down();
    else if (key === "ArrowLeft" && !ctrl) neighbour(-1, event.shiftKey);
    else if (key === "ArrowRight" && !ctrl) neighbour(1, event.shiftKey);
    else if (key === "Delete" || key === "Backspace") commands["delete"]();
    else if (key === "Escape") { selection = []; anchor = null; paintSelection(); }
    else if (ctrl || event.altKey) handled = false;
    else if (DURATION_KEYS[key]) setDuration(DURATION_KEYS[key]);
    else if (key === ".") toggleDot();
    else if (/^[a-gA-G]$/.test(key)) insertLetter(key.toUpperCase(), event.shiftKey);
    else if (key === "r" || key === "R") commands.rest();
    else if (key === "j" || key === "J") commands.respell();
    else if (key === "t" || key === "T") commands.tie();
    else handled = false;
    if (handled) event.preventDefault();
  }

  function onClick(event) {
    var tab = event.target.closest(".editor-tabs [role=tab]");
    if (tab) { showTab(tab.dataset.part); return; }
    if (!canEdit) return;
    var button = event.target.closest("button");
    if (!button || !root.contains(button) || button.closest("form")) return;
    if (button.dataset.command && commands[button.dataset.command]) commands[button.dataset.command]();
    else if (button.dataset.duration) setDuration(button.dataset.duration);
    else if (button.hasAttribute("data-dot")) toggleDot();
    else if (button.dataset.articulation) {
      if (needSelection()) edit("set_articulation", { ids: selection, articulation: button.dataset.articulation });
    }
  }

  function onDynamic(event) {
    var select = event.target.closest("select[data-dynamic]");
    if (!select || !select.value) return;
    if (needSelection()) edit("set_dynamic", { ids: selection, dynamic: select.value === "-" ? "" : select.value });
    select.value = "";
  }

  // ---------------------------------------------------------------- start

  function start() {
    root = document.querySelector("[data-editor]");
    if (!root) return;
    canEdit = root.dataset.canEdit === "true";
    renderTarget = root.querySelector("[data-editor-render]");
    stateBox = document.getElementById("editor-state");
    messageBox = root.querySelector("[data-editor-message]");
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      // Conflicts (409) and refused edits (422) carry the score as it stands and the reason: show both.
      var status = event.detail.xhr.status;
      if (status === 409 || status === 422) { event.detail.shouldSwap = true; event.detail.isError = false; }
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target === stateBox) readState();
    });
    root.addEventListener("click", onClick);
    root.addEventListener("submit", onForm);
    root.addEventListener("change", onDynamic);
    var menu = root.querySelector(".tool-menu");
    // On the click that opens it (not on "toggle", which comes a task later, after typing may have begun).
    if (menu) menu.querySelector("summary").addEventListener("click", function () { if (!menu.open) fillMenu(); });
    document.addEventListener("keydown", onKey);
    boxSelection();
    readState();
    window.rescoredEditor = {
      get state() { return state; },
      get selection() { return selection.slice(); },
      get cursor() { return cursor; },
      select: function (eventId) { select(elements.find(function (x) { return x.ev === eventId; }), false); },
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
