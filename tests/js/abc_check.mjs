// Reads ABC (one tune or a tunebook of several) on stdin, parses it with abcjs
// and prints, as a JSON array with one entry per tune, what abcjs makes of it:
//
//   title, warnings (abcjs's parser warnings, [] when none), systems (lines of music),
//   voices: [{ clef, brace,
//              bars:   duration of each bar, in whole notes,
//              notes:  [midi, start, duration] as abcjs plays them (ties merged),
//              heads:  [midi, midiLetterRule, start, duration] for every written note head,
//              ranges: [startChar, endChar] of every note and rest element (what a click reports),
//              errors: tie problems and unsupported input, [] when none }]
//
// All pitches come from abcjs's own MIDI flattener (tune.setUpAudio), which is what
// proves accidentals are right. midiLetterRule is the one thing computed here: the
// same heads read with accidentals holding for every octave of their letter (abcjs
// holds them for one octave), so a tune that means the same under both readings
// has midi === midiLetterRule everywhere.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const abcjs = require("abcjs");

const SCALE = [0, 2, 4, 5, 7, 9, 11];
const ALTER = { sharp: 1, flat: -1, natural: 0, dblsharp: 2, dblflat: -2 };
const LETTERS = "cdefgab";

// The key signature as an alteration per letter index (0 = C).
function keyAlters(key) {
  const alters = new Map();
  for (const accidental of key?.accidentals ?? []) {
    alters.set(LETTERS.indexOf(accidental.note.toLowerCase()), ALTER[accidental.acc] ?? 0);
  }
  return alters;
}

// Each voice's elements across all lines, numbered in score order (staff by staff).
function voicesOf(tune) {
  const voices = [];
  for (const line of tune.lines) {
    if (!line.staff) continue;
    let index = 0;
    for (const staff of line.staff) {
      for (const elements of staff.voices) {
        voices[index] ??= {
          clef: staff.clef.type,
          brace: staff.brace ?? null, // "start" / "end" on the staves a brace joins
          percussion: staff.clef.type === "perc",
          elements: [],
        };
        // Each line restates its key: a marker so the letter rule starts from it.
        voices[index].elements.push({ el_type: "line-key", key: staff.key }, ...elements);
        index += 1;
      }
    }
  }
  return voices;
}

function barDurations(elements) {
  const bars = [];
  let current = 0;
  let open = false;
  let tuplet = 1; // abcjs gives a tuplet's notes their written value: scale them to time
  for (const element of elements) {
    if (element.el_type === "bar") {
      if (open) bars.push(current);
      current = 0;
      open = false;
    } else if (element.el_type === "note") {
      if (element.startTriplet) tuplet = element.tripletMultiplier;
      current += element.duration * tuplet;
      if (element.endTriplet) tuplet = 1;
      open = true;
    }
  }
  if (open) bars.push(current); // music after the last bar line
  return bars;
}

function playedNotes(tune) {
  return tune
    .setUpAudio()
    .tracks.map((track) => track.filter((e) => e.cmd === "note").map((e) => [e.pitch, e.start, e.duration]));
}

// Every written head on its own: the ties are taken out before abcjs flattens the
// tune, after noting where they were. abcjs joins a tie by staff position and
// drops the continuation before it reads any pitch, so the continuation sounds at
// the pitch it is tied from and its accidental holds for nothing later in the bar.
// That is modelled here for both readings: a continuation's accidental is taken
// out before flattening (the bar goes on as abcjs plays it) and its head reports
// the tied-from head's pitches. An accidental written on a continuation must
// still show the pitch the tie holds, or the tie is drawn between two pitches.
function writtenHeads(tune) {
  const voices = voicesOf(tune);
  const tieFrom = new Map(); // continuation pitch -> the pitch its tie starts on
  const tieErrors = voices.map(() => []);
  const drawnAccidental = new Map(); // continuation pitch -> the accidental written on it
  voices.forEach((voice, v) => {
    const open = new Map(); // staff position -> the pitch an unfinished tie starts on, as abcjs keys it
    for (const element of voice.elements) {
      for (const pitch of element.pitches ?? []) {
        if (pitch.startTie && !open.has(pitch.pitch)) open.set(pitch.pitch, pitch);
        else if (pitch.startTie || pitch.endTie) {
          if (!open.has(pitch.pitch)) {
            tieErrors[v].push(`tie ends on staff position ${pitch.pitch} with no start`);
            continue;
          }
          tieFrom.set(pitch, open.get(pitch.pitch));
          if (!pitch.startTie) open.delete(pitch.pitch);
          if (pitch.accidental !== undefined) drawnAccidental.set(pitch, pitch.accidental);
          delete pitch.accidental;
        }
      }
    }
    for (const [, pitch] of open) tieErrors[v].push(`tie from staff position ${pitch.pitch} never ends`);
    for (const element of voice.elements) {
      for (const pitch of element.pitches ?? []) {
        delete pitch.startTie;
        delete pitch.endTie;
      }
    }
  });
  tune.setUpAudio();
  return voices.map((voice, v) => {
    const heads = [];
    const errors = tieErrors[v];
    const headOf = new Map(); // pitch -> [midi, midiLetterRule]
    let key = new Map();
    let letterAlters = new Map();
    for (const element of voice.elements) {
      if (element.el_type === "line-key") key = keyAlters(element.key);
      if (element.el_type === "key") key = keyAlters(element);
      if (element.el_type === "bar") letterAlters = new Map();
      if (element.el_type !== "note" || !element.pitches) continue;
      element.pitches.forEach((pitch, i) => {
        const played = element.midiPitches[i];
        const letter = ((pitch.pitch % 7) + 7) % 7;
        const octave = Math.floor(pitch.pitch / 7);
        // treble-8 sounds an octave below where it is written.
        const clefShift = voice.clef === "treble-8" ? -12 : 0;
        const from = tieFrom.get(pitch);
        if (from !== undefined) {
          const [midi, letterRule] = headOf.get(from);
          headOf.set(pitch, [midi, letterRule]);
          heads.push([midi, letterRule, played.start, played.duration]);
          const drawn = drawnAccidental.get(pitch);
          if (drawn !== undefined) {
            const shown = 60 + 12 * octave + SCALE[letter] + (ALTER[drawn] ?? 0) + clefShift;
            if (shown !== midi) errors.push(`tie at ${played.start} is drawn from ${midi} to ${shown}`);
          }
          return;
        }
        if (pitch.accidental !== undefined) {
          if (!(pitch.accidental in ALTER)) errors.push(`unsupported accidental ${pitch.accidental}`);
          letterAlters.set(letter, ALTER[pitch.accidental] ?? 0);
        }
        const alter = letterAlters.get(letter) ?? key.get(letter) ?? 0;
        // Drum heads sound what %%percmap says, not their staff position.
        const letterRule = voice.percussion ? played.pitch : 60 + 12 * octave + SCALE[letter] + alter + clefShift;
        headOf.set(pitch, [played.pitch, letterRule]);
        heads.push([played.pitch, letterRule, played.start, played.duration]);
      });
    }
    return { heads, errors };
  });
}

const abc = readFileSync(0, "utf8");
const forPlaying = abcjs.parseOnly(abc);
const forHeads = abcjs.parseOnly(abc);
// In a tunebook abcjs counts characters from the start of the book: ranges are
// reported from the start of their own tune, as abcjs reports them for one tune.
const tuneStarts = new abcjs.TuneBook(abc).tunes.map((tune) => tune.startPos);
const report = forPlaying.map((tune, t) => {
  const notes = playedNotes(tune);
  const heads = writtenHeads(forHeads[t]);
  return {
    title: tune.metaText.title ?? "",
    warnings: tune.warnings ?? [],
    systems: tune.lines.filter((line) => line.staff).length,
    voices: voicesOf(tune).map((voice, v) => ({
      clef: voice.clef,
      brace: voice.brace,
      bars: barDurations(voice.elements),
      notes: notes[v] ?? [],
      heads: heads[v].heads,
      ranges: voice.elements
        .filter((e) => e.el_type === "note")
        .map((e) => [e.startChar - tuneStarts[t], e.endChar - tuneStarts[t]]),
      errors: heads[v].errors,
    })),
    tracks: notes.length,
  };
});
process.stdout.write(JSON.stringify(report));
