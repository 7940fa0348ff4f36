// The piano roll beside the staff: the same canonical score drawn as bars of pitch
// over time, one colour per instrument. It reads the notes the server puts in every
// editor state (state.roll), selects through the editor (window.rescoredEditor), so a
// note clicked here is the note the keyboard edits, and follows the player's clock.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var ROW = 14; // pixels per semitone
  var KEYS_WIDTH = 58;
  var BARS_HEIGHT = 22;
  var ZOOMS = [12, 18, 26, 36, 48, 64, 88, 120, 160]; // pixels per quarter note
  var PADDING_ROWS = 3;
  var MIN_ROWS = 25;
  var NAMES = ["C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B"];
  var BLACK = [false, true, false, true, false, false, true, false, true, false, true, false];
  // No blue: blue is the selection's colour, in the roll as on the staff.
  var PALETTE = ["#0f8b8d", "#d9731a", "#8e44ad", "#3c8d2f", "#c2416b", "#8a7a12", "#8b5a2b", "#4f6d7a"];

  var root, editorRoot, switchBox, scroller, barsSvg, keysSvg, body, legend, empty;
  var roll = null; // the server's roll data for the current state
  var partId = "";
  var dirty = true;
  var zoom = 4;
  var layout = null; // {top, bottom, ppq, width, height}
  var rectsByEvent = {};
  var secondsAtBar = []; // score seconds at each bar start, from the written tempi
  var cursorLine = null, playing = [], frame = null, lastPosition = null;

  function visible() { return root && root.dataset.view === "roll"; }
  function pitchName(pitch) { return NAMES[pitch % 12] + (Math.floor(pitch / 12) - 1); }
  function colourOf(partIndex) { return PALETTE[partIndex % PALETTE.length]; }
  function escapeText(text) {
    return String(text).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  // ---------------------------------------------------------------- the data

  function readState() {
    var node = document.getElementById("editor-state-data");
    if (!node) return;
    var state = JSON.parse(node.textContent);
    roll = state.roll || null;
    partId = state.partId || "";
    secondsAtBar = [0];
    if (roll) roll.bars.forEach(function (start, i) {
      var end = i + 1 < roll.bars.length ? roll.bars[i + 1] : roll.end;
      secondsAtBar.push(secondsAtBar[i] + (end - start) * 60 / roll.tempi[i]);
    });
    paintTabs();
  }

  function shownNotes() {
    if (!roll) return [];
    var index = -1;
    roll.parts.forEach(function (part, i) { if (part.id === partId) index = i; });
    return index < 0 ? roll.notes : roll.notes.filter(function (n) { return n[2] === index; });
  }

  function quartersAt(seconds) {
    // The player's clock is score time at the written tempo: walk the tempo map.
    if (!roll || !roll.bars.length) return 0;
    for (var i = 0; i < roll.bars.length; i++) {
      if (seconds < secondsAtBar[i + 1] || i === roll.bars.length - 1)
        return roll.bars[i] + Math.max(0, seconds - secondsAtBar[i]) * roll.tempi[i] / 60;
    }
    return roll.end;
  }

  // ---------------------------------------------------------------- drawing

  function draw() {
    if (!roll) readState();
    dirty = false;
    var notes = shownNotes();
    empty.hidden = notes.length > 0;
    var low = Infinity, high = -Infinity;
    notes.forEach(function (n) { low = Math.min(low, n[4]); high = Math.max(high, n[4]); });
    if (!notes.length) { low = 60; high = 72; }
    low -= PADDING_ROWS; high += PADDING_ROWS;
    while (high - low + 1 < MIN_ROWS) { low -= 1; if (high - low + 1 < MIN_ROWS) high += 1; }
    low = Math.max(0, low); high = Math.min(127, high);
    var ppq = ZOOMS[zoom];
    var end = roll ? roll.end : 4;
    // At least as wide as the view, so a short piece's rows run to the edge.
    var width = Math.max(Math.ceil(end * ppq) + 24, scroller.clientWidth - KEYS_WIDTH - 2);
    layout = { top: high, bottom: low, ppq: ppq, width: width, height: (high - low + 1) * ROW };

    drawKeys();
    drawBars();
    drawBody(notes);
    paintSelection();
    lastPosition = null;
    followPlayer(true);
  }

  function size(svg, width, height) {
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
  }

  function rowY(pitch) { return (layout.top - pitch) * ROW; }

  function drawKeys() {
    var out = [];
    for (var p = layout.top; p >= layout.bottom; p--) {
      var y = rowY(p), black = BLACK[p % 12];
      out.push('<rect class="roll-key' + (black ? " is-black" : "") + '" x="0" y="' + y + '" width="' + KEYS_WIDTH +
        '" height="' + ROW + '"/>');
      out.push('<text class="roll-key-name' + (black ? " is-black" : "") + (p % 12 === 0 ? " is-c" : "") + '" x="' +
        (KEYS_WIDTH - 5) + '" y="' + (y + ROW - 3.5) + '">' + pitchName(p) + "</text>");
    }
    size(keysSvg, KEYS_WIDTH, layout.height);
    keysSvg.innerHTML = out.join("");
  }

  function drawBars() {
    var out = [];
    (roll ? roll.bars : []).forEach(function (start, i) {
      var x = Math.round(start * layout.ppq) + 0.5;
      out.push('<g class="roll-bar" data-bar="' + i + '"><rect x="' + x + '" y="0" width="' +
        Math.max(8, Math.round(((roll.bars[i + 1] !== undefined ? roll.bars[i + 1] : roll.end) - start) * layout.ppq)) +
        '" height="' + BARS_HEIGHT + '"/><line x1="' + x + '" x2="' + x + '" y1="6" y2="' + BARS_HEIGHT +
        '"/><text x="' + (x + 4) + '" y="' + (BARS_HEIGHT - 7) + '">' + (i + 1) + "</text></g>");
    });
    size(barsSvg, layout.width, BARS_HEIGHT);
    barsSvg.innerHTML = out.join("");
  }

  function drawBody(notes) {
    var out = [], ppq = layout.ppq, width = layout.width;
    for (var p = layout.top; p >= layout.bottom; p--) {
      var y = rowY(p);
      if (BLACK[p % 12]) out.push('<rect class="roll-row is-black" x="0" y="' + y + '" width="' + width + '" height="' + ROW + '"/>');
      if (p % 12 === 0) out.push('<line class="roll-octave" x1="0" x2="' + width + '" y1="' + (y + ROW - 0.5) + '" y2="' + (y + ROW - 0.5) + '"/>');
    }
    if (roll) {
      for (var q = 1; q < roll.end; q++) {
        var bx = Math.round(q * ppq) + 0.5;
        out.push('<line class="roll-beat" x1="' + bx + '" x2="' + bx + '" y1="0" y2="' + layout.height + '"/>');
      }
      roll.bars.concat([roll.end]).forEach(function (start) {
        var x = Math.round(start * ppq) + 0.5;
        out.push('<line class="roll-barline" x1="' + x + '" x2="' + x + '" y1="0" y2="' + layout.height + '"/>');
      });
    }
    notes.forEach(function (n) {
      var x = n[5] * ppq + 1, w = Math.max(4, n[6] * ppq - 2), y = rowY(n[4]) + 1;
      var part = roll.parts[n[2]];
      var label = n[7] + " · bar " + (barOf(n[5]) + 1) + (part ? " · " + part.name : "");
      out.push('<g class="roll-note' + (n[8] ? " is-grace" : "") + '" data-event="' + escapeText(n[0]) + '" data-note="' +
        escapeText(n[1]) + '" data-pitch="' + n[4] + '" data-start="' + n[5] + '" style="--part-colour:' + colourOf(n[2]) +
        '"><title>' + escapeText(label) + '</title><rect x="' + x.toFixed(1) + '" y="' + y + '" width="' + w.toFixed(1) +
        '" height="' + (ROW - 2) + '" rx="2.5"/>' +
        (w >= 30 ? '<text x="' + (x + 4).toFixed(1) + '" y="' + (y + ROW - 5.5) + '">' + escapeText(n[7]) + "</text>" : "") +
        "</g>");
    });
    out.push('<line class="roll-cursor" x1="0" x2="0" y1="0" y2="' + layout.height + '" visibility="hidden"/>');
    size(body, width, layout.height);
    body.innerHTML = out.join("");
    cursorLine = body.querySelector(".roll-cursor");
    playing = [];
    rectsByEvent = {};
    body.querySelectorAll(".roll-note").forEach(function (g) {
      (rectsByEvent[g.dataset.event] = rectsByEvent[g.dataset.event] || []).push(g);
    });
  }

  function barOf(quarters) {
    var bars = roll.bars, found = 0;
    for (var i = 0; i < bars.length; i++) if (bars[i] <= quarters + 1e-6) found = i;
    return found;
  }

  function paintTabs() {
    // Each instrument tab wears its colour in the roll.
    if (!roll) return;
    roll.parts.forEach(function (part, i) {
      var tab = document.querySelector('.editor-tabs [role=tab][data-part="' + CSS.escape(part.id) + '"]');
      if (tab) { tab.style.setProperty("--part-colour", colourOf(i)); tab.classList.add("has-part-colour"); }
    });
    legend.innerHTML = roll.parts.length > 1 ? roll.parts.map(function (part, i) {
      return '<span class="roll-legend-item" style="--part-colour:' + colourOf(i) + '">' + escapeText(part.name) + "</span>";
    }).join("") : "";
  }

  function paintSelection() {
    if (!body) return;
    body.querySelectorAll(".roll-note.is-selected").forEach(function (g) { g.classList.remove("is-selected"); });
    var ids = (editorRoot && editorRoot.dataset.selection ? editorRoot.dataset.selection.split(",") : []);
    var first = null;
    ids.forEach(function (id) {
      (rectsByEvent[id] || []).forEach(function (g) {
        g.classList.add("is-selected");
        g.parentNode.appendChild(g); // on top of its neighbours
        if (!first) first = g;
      });
    });
    if (cursorLine) body.appendChild(cursorLine);
    if (first && visible()) keepInView(first);
  }

  function keepInView(g) {
    var box = g.getBBox(), view = scroller.getBoundingClientRect();
    var left = scroller.scrollLeft, visibleWidth = view.width - KEYS_WIDTH;
    if (box.x < left || box.x + Math.min(box.width, 200) > left + visibleWidth)
      scroller.scrollLeft = Math.max(0, box.x - visibleWidth / 3);
    var top = scroller.scrollTop, visibleHeight = view.height - BARS_HEIGHT;
    if (box.y < top || box.y + box.height > top + visibleHeight)
      scroller.scrollTop = Math.max(0, box.y - visibleHeight / 2);
  }

  // ---------------------------------------------------------------- the player's clock

  function followPlayer(force) {
    var player = window.rescoredPlayer;
    var playerRoot = document.querySelector("[data-player]");
    if (!player || !playerRoot || !cursorLine) return;
    var stopped = playerRoot.dataset.state === "stopped" && !player.state.playing;
    var position = stopped ? null : player.position();
    if (!force && position === lastPosition) return;
    lastPosition = position;
    playing.forEach(function (g) { g.classList.remove("is-playing"); });
    playing = [];
    if (position === null) { cursorLine.setAttribute("visibility", "hidden"); root.dataset.cursorQuarters = ""; return; }
    var q = quartersAt(position), x = Math.round(q * layout.ppq) + 0.5;
    cursorLine.setAttribute("x1", x);
    cursorLine.setAttribute("x2", x);
    cursorLine.setAttribute("visibility", "visible");
    root.dataset.cursorQuarters = q.toFixed(3);
    body.querySelectorAll(".roll-note").forEach(function (g) {
      var start = parseFloat(g.dataset.start);
      if (start <= q + 1e-6 && q < start + noteLength(g)) { g.classList.add("is-playing"); playing.push(g); }
    });
    if (player.state.playing) {
      // Turn the page like a score: when the cursor nears the right edge, it goes back to the left.
      var visibleWidth = scroller.clientWidth - KEYS_WIDTH;
      if (x > scroller.scrollLeft + visibleWidth * 0.85 || x < scroller.scrollLeft)
        scroller.scrollLeft = Math.max(0, x - visibleWidth * 0.15);
    }
  }

  function noteLength(g) {
    var rect = g.querySelector("rect");
    return (parseFloat(rect.getAttribute("width")) + 2) / layout.ppq;
  }

  function tick() {
    frame = null;
    if (!visible()) return;
    followPlayer(false);
    frame = requestAnimationFrame(tick);
  }

  // ---------------------------------------------------------------- switching views

  function show(view) {
    root.dataset.view = view;
    var staff = editorRoot.querySelector(".editor-score");
    var help = editorRoot.querySelector(".editor-help");
    switchBox.querySelectorAll("[data-view]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.view === view ? "true" : "false");
    });
    editorRoot.dataset.view = view;
    alignSwitch();
    if (view === "roll") {
      // The staff stays laid out (off screen), so abcjs keeps measuring it and the
      // editor and player go on drawing on it while the roll is shown.
      if (staff) { staff.style.width = staff.offsetWidth + "px"; staff.classList.add("is-behind-roll"); }
      if (help) help.classList.add("is-behind-roll");
      root.hidden = false;
      var first = !layout;
      if (dirty || first) draw();
      if (first) centreOnNotes();
      if (!frame) frame = requestAnimationFrame(tick);
    } else {
      root.hidden = true;
      if (staff) { staff.classList.remove("is-behind-roll"); staff.style.width = ""; }
      if (help) help.classList.remove("is-behind-roll");
    }
    try { sessionStorage.setItem("rescored:view", view); } catch (e) { /* private mode */ }
  }

  function alignSwitch() {
    // The tabs' rule runs on under the switch at the same height (the tabs' top margin
    // collapses with the toolbar's, a float's does not, so measure rather than guess).
    var tabs = editorRoot.querySelector(".editor-tabs");
    if (!tabs || switchBox.hidden) return;
    switchBox.style.height = tabs.offsetHeight + "px";
    var shift = tabs.getBoundingClientRect().bottom - switchBox.getBoundingClientRect().bottom;
    var margin = parseFloat(getComputedStyle(switchBox).marginTop) || 0;
    if (Math.abs(shift) >= 0.5) switchBox.style.marginTop = margin + shift + "px";
  }

  function centreOnNotes() {
    var notes = body.querySelectorAll(".roll-note rect");
    if (!notes.length) return;
    var sum = 0;
    notes.forEach(function (r) { sum += parseFloat(r.getAttribute("y")); });
    scroller.scrollTop = Math.max(0, sum / notes.length - (scroller.clientHeight - BARS_HEIGHT) / 2);
  }

  function setZoom(step) {
    var centre = (scroller.scrollLeft + (scroller.clientWidth - KEYS_WIDTH) / 2) / layout.ppq;
    zoom = Math.max(0, Math.min(ZOOMS.length - 1, zoom + step));
    root.dataset.zoom = ZOOMS[zoom];
    draw();
    scroller.scrollLeft = Math.max(0, centre * layout.ppq - (scroller.clientWidth - KEYS_WIDTH) / 2);
  }

  // ---------------------------------------------------------------- wiring

  function onRendered(detail) {
    // A new state (an edit, undo, a tab switch): the roll redraws from it now, or when it is next shown.
    if (!root) return;
    readState();
    dirty = true;
    if (visible()) {
      var left = scroller.scrollLeft, top = scroller.scrollTop;
      draw();
      scroller.scrollLeft = left;
      scroller.scrollTop = top;
    }
    root.dataset.revision = detail && detail.revision !== undefined ? detail.revision : "";
  }

  function start() {
    root = document.querySelector("[data-piano-roll]");
    editorRoot = document.querySelector("[data-editor]");
    switchBox = document.querySelector("[data-view-switch]");
    if (!root || !editorRoot || !switchBox) return;
    scroller = root.querySelector("[data-roll-scroll]");
    barsSvg = root.querySelector("[data-roll-bars]");
    keysSvg = root.querySelector("[data-roll-keys]");
    body = root.querySelector("[data-roll-body]");
    legend = root.querySelector("[data-roll-legend]");
    empty = root.querySelector("[data-roll-empty]");
    root.dataset.zoom = ZOOMS[zoom];

    // The template puts the roll where the staff is; the switch belongs beside the instrument tabs.
    var tabs = editorRoot.querySelector(".editor-tabs");
    if (tabs) tabs.parentNode.insertBefore(switchBox, tabs);
    switchBox.hidden = false;
    alignSwitch();

    switchBox.addEventListener("click", function (event) {
      var button = event.target.closest("[data-view]");
      if (button) show(button.dataset.view);
    });
    root.addEventListener("click", function (event) {
      var zoomButton = event.target.closest("[data-roll-zoom]");
      if (zoomButton) { setZoom(parseInt(zoomButton.dataset.rollZoom, 10)); return; }
      var note = event.target.closest(".roll-note");
      if (note && window.rescoredEditor) { window.rescoredEditor.select(note.dataset.event); return; }
      var bar = event.target.closest(".roll-bar");
      if (bar && window.rescoredPlayer && roll) window.rescoredPlayer.seek(secondsAtBar[parseInt(bar.dataset.bar, 10)]);
    });
    // The editor writes its selection on its root; the roll mirrors it.
    new MutationObserver(paintSelection).observe(editorRoot, { attributes: true, attributeFilter: ["data-selection"] });
    readState();
    var remembered = null;
    try { remembered = sessionStorage.getItem("rescored:view"); } catch (e) { /* private mode */ }
    if (remembered === "roll") show("roll");
  }

  document.addEventListener("rescored:rendered", function (event) { if (root) onRendered(event.detail); else dirty = true; });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
