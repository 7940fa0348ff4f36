// The score player: hears the transcription (abcjs's synth with our own samples) or
// the recording and its stems, in step with the score, with a cursor that follows.
//
// One position, in seconds of score time at the written tempo, is the truth; each
// sound source maps it to its own clock: the synth plays at tempo × warp, the
// recording starts bar 1 at `recordingOffset` seconds and plays at rate warp.
// The engraver wrote the score at the tempo it heard, so both clocks agree.
(function () {
  "use strict";

  var SCORE = "score";
  var DRIFT_SECONDS = 0.08; // past this the cursor is pulled back onto the sound
  // The chord symbols are for reading: played, they would sound as an extra
  // instrument no part owns (and get a mute row of their own).
  var AUDIO_OPTIONS = { chordsOff: true };

  var root, config, els = {};
  var visualObj = null;
  var synth = null, synthReady = null, synthDirty = true;
  var timer = null;
  var audios = {};
  var state = {
    playing: false, position: 0, warp: 100, source: SCORE, lastRecording: null,
    muted: {}, soloed: {}, loop: null, tracks: [], partOfVoice: {}, duration: 0,
  };
  var frame = null, lastEvent = null;

  function $(selector) { return root.querySelector(selector); }
  function rate() { return state.warp / 100; }
  function formatTime(seconds) {
    seconds = Math.max(0, seconds);
    var m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function say(text) { els.status.textContent = text; }

  // ---- what the score says -------------------------------------------------

  function baseQpm() { return visualObj.getBpm(); }

  function measureStarts() {
    // Seconds of score time at which each bar starts, from abcjs's own timings.
    var starts = [];
    timer.noteTimings.forEach(function (t) {
      if (t.measureNumber !== undefined && starts[t.measureNumber] === undefined)
        starts[t.measureNumber] = t.milliseconds / 1000 * rate();
    });
    return starts;
  }

  function voiceNames(abc) {
    // V: lines in order of first appearance (abcjs makes one synth track per voice in
    // that order); a voice without a name is another staff of the part named before it.
    var names = [], seen = {}, current = null;
    abc.split("\n").forEach(function (line) {
      var m = /^V:\s*(\S+)(.*)$/.exec(line.trim());
      if (!m || seen[m[1]]) return;
      seen[m[1]] = true;
      var label = /(?:name|nm)="([^"]*)"/.exec(m[2]);
      if (label || current === null) current = label ? label[1] : "Score";
      names.push(current);
    });
    return names;
  }

  function scorePartNames() {
    // The score's own parts (the editor's state), so that only real parts get a row.
    var node = document.getElementById("editor-state-data");
    if (!node) return null;
    try {
      return JSON.parse(node.textContent).parts.map(function (part) { return part.name; });
    } catch (e) { return null; }
  }

  function buildTracks(abc) {
    // One row of mute/solo per part; a part's tracks (its staves) go silent together.
    // A track that is no part's (one abcjs adds beyond the written voices) gets no row.
    var flattened = visualObj.setUpAudio(AUDIO_OPTIONS); // also gives every note its midiPitches, for click-to-hear
    var names = voiceNames(abc);
    var parts = scorePartNames();
    var byName = {};
    state.tracks = [];
    flattened.tracks.forEach(function (_, i) {
      var name = names[i];
      if (!name || (parts && parts.indexOf(name) < 0 && name !== "Score")) return;
      if (!byName[name]) { byName[name] = { index: state.tracks.length, name: name, voices: [] }; state.tracks.push(byName[name]); }
      byName[name].voices.push(i);
    });
    state.partOfVoice = {};
    state.tracks.forEach(function (track) { track.voices.forEach(function (v) { state.partOfVoice[v] = track.index; }); });
    els.tracks.innerHTML = "";
    if (state.tracks.length < 2) return;
    state.tracks.forEach(function (track) {
      var row = document.createElement("span");
      row.className = "player-track";
      row.dataset.track = track.index;
      row.innerHTML = '<span class="player-track-name"></span>' +
        '<label><input type="checkbox" data-mute> Mute</label>' +
        '<label><input type="checkbox" data-solo> Solo</label>';
      row.querySelector(".player-track-name").textContent = track.name;
      row.querySelector("[data-mute]").checked = !!state.muted[track.index];
      row.querySelector("[data-solo]").checked = !!state.soloed[track.index];
      els.tracks.appendChild(row);
    });
  }

  function silenced(voice) {
    var index = state.partOfVoice[voice];
    var anySolo = Object.keys(state.soloed).some(function (k) { return state.soloed[k]; });
    return anySolo ? !state.soloed[index] : !!state.muted[index];
  }

  // ---- the transcription's sound (abcjs synth) --------------------------------

  function prepareSynth() {
    if (!synthDirty && synthReady) return synthReady;
    if (synth) synth.stop();
    synth = new ABCJS.synth.CreateSynth();
    synthDirty = false;
    say("Loading sounds…");
    synthReady = synth.init({
      visualObj: visualObj,
      millisecondsPerMeasure: visualObj.millisecondsPerMeasure() / rate(),
      options: {
        chordsOff: AUDIO_OPTIONS.chordsOff,
        soundFontUrl: config.soundFontUrl,
        sequenceCallback: function (noteMapTracks) {
          noteMapTracks.forEach(function (notes, index) { if (silenced(index)) notes.length = 0; });
        },
      },
    }).then(function () { return synth.prime(); }).then(function () {
      say("");
      root.dataset.synthReady = "1";
    });
    return synthReady;
  }

  function synthElapsed() {
    // abcjs keeps the start time on the synth; the audio context's clock is the sound's clock.
    return ABCJS.synth.activeAudioContext().currentTime - synth.startTimeSec;
  }

  // ---- the clock ----------------------------------------------------------------

  function currentPosition() {
    if (!state.playing) return state.position;
    if (state.source === SCORE) return synth && synth.isRunning ? synthElapsed() * rate() : state.position;
    var audio = audios[state.source];
    return audio.currentTime - config.recordingOffset;
  }

  function makeTimer() {
    if (timer) timer.stop();
    timer = new ABCJS.TimingCallbacks(visualObj, {
      qpm: baseQpm() * rate(),
      beatSubdivisions: 4,
      eventCallback: showEvent,
    });
    state.duration = timer.lastMoment / 1000 * rate();
    var lastEnd = visualObj.millisecondsPerMeasure() / 1000 * (measureStarts().length || 1);
    state.duration = Math.max(state.duration, lastEnd);
  }

  function showEvent(event) {
    if (lastEvent) lastEvent.forEach(function (el) { el.classList.remove("player-playing"); });
    lastEvent = null;
    if (!event) return;
    lastEvent = [];
    (event.elements || []).forEach(function (group) {
      group.forEach(function (el) { el.classList.add("player-playing"); lastEvent.push(el); });
    });
    placeCursor(event);
    root.dataset.cursorMeasure = event.measureNumber;
    document.dispatchEvent(new CustomEvent("rescored:playhead", { detail: { seconds: event.milliseconds / 1000 * rate(), event: event } }));
  }

  function placeCursor(event) {
    // A vertical line over the staff system at the note being played.
    var svg = lastEvent.length ? lastEvent[0].ownerSVGElement : null;
    if (!svg) return;
    var line = svg.querySelector("line.player-cursor");
    if (!line) {
      line = document.createElementNS("http://www.w3.org/2000/svg", "line");
      line.setAttribute("class", "player-cursor");
      svg.appendChild(line);
    }
    document.querySelectorAll("line.player-cursor").forEach(function (other) { if (other !== line) other.remove(); });
    var x = event.left - 2;
    line.setAttribute("x1", x); line.setAttribute("x2", x);
    line.setAttribute("y1", event.top); line.setAttribute("y2", event.top + event.height);
    root.dataset.cursorX = Math.round(x);
  }

  function tick() {
    frame = null;
    if (!state.playing) return;
    var position = currentPosition();
    if (state.loop && position >= state.loop.end) {
      seek(state.loop.start);
      position = state.loop.start;
    } else if (position >= state.duration + 0.3) {
      stop();
      return;
    }
    var timerPosition = timer.currentMillisecond() / 1000 * rate();
    if (Math.abs(timerPosition - position) > DRIFT_SECONDS) timer.setProgress(position / rate(), "seconds");
    showTime(position);
    frame = requestAnimationFrame(tick);
  }

  function showTime(position) {
    els.time.textContent = formatTime(position) + " / " + formatTime(state.duration);
    root.dataset.position = position.toFixed(3);
  }

  // ---- transport -----------------------------------------------------------------

  function play() {
    if (!visualObj || state.playing) return Promise.resolve();
    var start = state.position;
    if (state.loop && (start < state.loop.start || start >= state.loop.end)) start = state.loop.start;
    var ready = state.source === SCORE ? prepareSynth() : startRecordingAt(start, true);
    return ready.then(function () {
      if (state.playing) return;
      state.playing = true;
      state.position = start;
      if (state.source === SCORE) {
        synth.seek(start / rate(), "seconds");
        synth.start();
      } else {
        var audio = audios[state.source];
        audio.playbackRate = rate();
        var playing = audio.play();
        if (playing && playing.catch) playing.catch(function (err) { say("The recording cannot play: " + err.message); });
      }
      timer.start();
      timer.setProgress(start / rate(), "seconds");
      root.dataset.state = "playing";
      els.play.disabled = true;
      if (!frame) frame = requestAnimationFrame(tick);
    }).catch(function (err) {
      say("Playback failed: " + (err && err.message ? err.message : err));
    });
  }

  function startRecordingAt(position, paused) {
    var audio = audios[state.source];
    return new Promise(function (resolve) {
      var seekTo = Math.max(0, config.recordingOffset + position);
      if (audio.readyState >= 1) { audio.currentTime = seekTo; resolve(); return; }
      audio.addEventListener("loadedmetadata", function () { audio.currentTime = seekTo; resolve(); }, { once: true });
      audio.load();
    });
  }

  function haltSound() {
    if (synth && synth.isRunning) synth.stop();
    Object.keys(audios).forEach(function (id) { audios[id].pause(); });
  }

  function pause() {
    if (!state.playing) return;
    state.position = currentPosition();
    state.playing = false;
    haltSound();
    timer.pause();
    root.dataset.state = "paused";
    els.play.disabled = false;
    showTime(state.position);
  }

  function stop() {
    state.playing = false;
    haltSound();
    if (timer) timer.stop();
    state.position = state.loop ? state.loop.start : 0;
    showEvent(null);
    document.querySelectorAll("line.player-cursor").forEach(function (l) { l.remove(); });
    root.dataset.state = "stopped";
    els.play.disabled = false;
    showTime(state.position);
  }

  function seek(position) {
    position = Math.max(0, Math.min(position, state.duration));
    state.position = position;
    if (!timer) return;
    timer.setProgress(position / rate(), "seconds");
    if (state.playing) {
      if (state.source === SCORE) synth.seek(position / rate(), "seconds");
      else audios[state.source].currentTime = Math.max(0, config.recordingOffset + position);
    }
    showTime(position);
  }

  function restartWith(change) {
    // Changes that need the sound rebuilt: stop at the current spot, change, go on.
    var wasPlaying = state.playing;
    pause();
    change();
    return wasPlaying ? play() : Promise.resolve();
  }

  function setWarp(percent) {
    var position = currentPosition();
    return restartWith(function () {
      state.warp = percent;
      synthDirty = true;
      makeTimer();
      state.position = position;
      timer.setProgress(position / rate(), "seconds");
      els.tempoValue.textContent = percent + "% · " + Math.round(baseQpm() * rate()) + " bpm";
      root.dataset.warp = percent;
    });
  }

  function setSource(source) {
    if (source !== SCORE && !audios[source]) return Promise.resolve();
    return restartWith(function () {
      state.source = source;
      if (source !== SCORE) state.lastRecording = source;
      root.dataset.source = source;
      var radio = root.querySelector('input[name="player-source"][value="' + source + '"]');
      if (radio) radio.checked = true;
    });
  }

  function setLoop(fromBar, toBar) {
    var starts = measureStarts();
    if (!fromBar || !toBar || fromBar > toBar || fromBar > starts.length) {
      state.loop = null;
      root.dataset.loopBars = "";
      return;
    }
    var end = toBar < starts.length ? starts[toBar] : state.duration;
    state.loop = { start: starts[fromBar - 1], end: end };
    root.dataset.loopBars = fromBar + "-" + toBar;
    els.loopFrom.value = fromBar;
    els.loopTo.value = toBar;
    els.loop.checked = true;
    if (state.position < state.loop.start || state.position >= state.loop.end) seek(state.loop.start);
  }

  function selectedBars() {
    // The editor marks what is selected in the drawn score; abcjs marks every element with its bar (abcjs-mmN).
    var bars = [];
    document.querySelectorAll(".abc-render .rs-selected, .abc-render .abcjs-note_selected")
      .forEach(function (el) {
        var m = /(?:^|\s)abcjs-mm(\d+)(?:\s|$)/.exec(el.getAttribute("class") || "");
        if (m) bars.push(parseInt(m[1], 10) + 1);
      });
    return bars.length ? [Math.min.apply(null, bars), Math.max.apply(null, bars)] : null;
  }

  // ---- the drawn score: seek by bar, hear a note ------------------------------------

  function onScoreClick(event) {
    if (!visualObj) return;
    var target = event.target.closest ? event.target.closest("[data-index], .abcjs-bar, [class*='abcjs-mm']") : null;
    if (!target || !target.closest(".abc-render")) return;
    var bar = /(?:^|\s)abcjs-mm(\d+)(?:\s|$)/.exec(target.getAttribute("class") || "");
    if (bar && timer) {
      var start = measureStarts()[parseInt(bar[1], 10)];
      if (start !== undefined) seek(start);
    }
    if (!state.playing && target.classList.contains("abcjs-note")) hearNote(target);
  }

  function hearNote(svgElement) {
    // abcjs numbers each drawn element (data-index) in its engraver's list of selectables.
    var selectables = visualObj.engraver ? visualObj.engraver.selectables : [];
    var selectable = selectables[parseInt(svgElement.getAttribute("data-index"), 10)];
    var abcelem = selectable && selectable.absEl ? selectable.absEl.abcelem : null;
    if (!abcelem || !abcelem.midiPitches || !abcelem.midiPitches.length) return;
    ABCJS.synth.playEvent(abcelem.midiPitches, abcelem.midiGraceNotePitches,
      visualObj.millisecondsPerMeasure(), config.soundFontUrl)
      .then(function () { root.dataset.heardPitches = abcelem.midiPitches.map(function (p) { return p.pitch; }).join(","); })
      .catch(function (err) { say("Cannot play that note: " + err.message); });
  }

  // ---- wiring ---------------------------------------------------------------------

  function onRendered(event) {
    var detail = event.detail || {};
    if (!root) init();
    if (!root || !detail.visualObj) return;
    var wasPlaying = state.playing;
    if (wasPlaying) pause();
    visualObj = detail.visualObj;
    synthDirty = true;
    buildTracks(detail.abc || "");
    makeTimer();
    timer.setProgress(state.position / rate(), "seconds");
    els.tempoValue.textContent = state.warp + "% · " + Math.round(baseQpm() * rate()) + " bpm";
    root.dataset.ready = "1";
    root.dataset.revision = detail.revision === undefined ? "" : detail.revision;
    els.play.disabled = false;
    showTime(state.position);
    if (wasPlaying) play();
  }

  function init() {
    if (root) return;
    root = document.querySelector("[data-player]");
    if (!root) return;
    config = JSON.parse(document.getElementById("player-config").textContent);
    els = {
      play: $("[data-action=play]"), status: $("[data-status]"), time: $("[data-time]"),
      tempo: $("[data-tempo]"), tempoValue: $("[data-tempo-value]"), tracks: $("[data-tracks]"),
      loop: $("[data-loop]"), loopFrom: $("[data-loop-from]"), loopTo: $("[data-loop-to]"),
    };
    root.querySelectorAll("audio[data-recording]").forEach(function (audio) {
      audios[audio.dataset.recording] = audio;
      audio.preservesPitch = true;
    });
    state.lastRecording = Object.keys(audios)[0] || null;

    root.addEventListener("click", function (event) {
      var action = event.target.closest("[data-action]");
      if (!action) return;
      switch (action.dataset.action) {
        case "play": play(); break;
        case "pause": pause(); break;
        case "stop": stop(); break;
        case "ab": setSource(state.source === SCORE ? state.lastRecording || SCORE : SCORE); break;
        case "loop-selection":
          var bars = selectedBars();
          if (bars) setLoop(bars[0], bars[1]); else say("Select some notes in the score first.");
          break;
      }
    });
    els.tempo.addEventListener("change", function () { setWarp(parseInt(els.tempo.value, 10)); });
    els.tempo.addEventListener("input", function () { els.tempoValue.textContent = els.tempo.value + "%"; });
    root.addEventListener("change", function (event) {
      var t = event.target;
      if (t.name === "player-source") setSource(t.value);
      else if (t.matches("[data-loop], [data-loop-from], [data-loop-to]")) {
        if (els.loop.checked) setLoop(parseInt(els.loopFrom.value, 10), parseInt(els.loopTo.value, 10));
        else { state.loop = null; root.dataset.loopBars = ""; }
      } else if (t.matches("[data-mute], [data-solo]")) {
        var index = parseInt(t.closest("[data-track]").dataset.track, 10);
        restartWith(function () {
          (t.matches("[data-mute]") ? state.muted : state.soloed)[index] = t.checked;
          synthDirty = true;
        });
      }
    });
    document.addEventListener("click", onScoreClick);
    window.rescoredPlayer = {
      play: play, pause: pause, stop: stop, seek: seek, setWarp: setWarp, setSource: setSource, setLoop: setLoop,
      position: currentPosition, state: state, synth: function () { return synth; },
    };
  }

  // Listen before any renderer's DOMContentLoaded handler can dispatch.
  document.addEventListener("rescored:rendered", onRendered);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
