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
// tune, after noting where they were so each tie can be checked to join equal pitches.
function writtenHeads(tune) {
  const voices = voicesOf(tune);
  const tieFlags = new Map();
  for (const voice of voices) {
    for (const element of voice.elements) {
      for (const pitch of element.pitches ?? []) {
        tieFlags.set(pitch, { start: Boolean(pitch.startTie), end: Boolean(pitch.endTie) });
        delete pitch.startTie;
        delete pitch.endTie;
      }
    }
  }
  tune.setUpAudio();
  return voices.map((voice) => {
    const heads = [];
    const errors = [];
    const openTies = new Map(); // staff position -> midi of the head the tie starts on
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
        if (pitch.accidental !== undefined) {
          if (!(pitch.accidental in ALTER)) errors.push(`unsupported accidental ${pitch.accidental}`);
          letterAlters.set(letter, ALTER[pitch.accidental] ?? 0);
        }
        const alter = letterAlters.get(letter) ?? key.get(letter) ?? 0;
        // Drum heads sound what %%percmap says, not their staff position.
        // treble-8 sounds an octave below where it is written.
        const clefShift = voice.clef === "treble-8" ? -12 : 0;
        const letterRule = voice.percussion ? played.pitch : 60 + 12 * octave + SCALE[letter] + alter + clefShift;
        heads.push([played.pitch, letterRule, played.start, played.duration]);
        const flags = tieFlags.get(pitch);
        if (flags.end) {
          if (!openTies.has(pitch.pitch)) errors.push(`tie ends at ${played.start} with no start`);
          else if (openTies.get(pitch.pitch) !== played.pitch)
            errors.push(`tie at ${played.start} joins ${openTies.get(pitch.pitch)} to ${played.pitch}`);
          openTies.delete(pitch.pitch);
        }
        if (flags.start) openTies.set(pitch.pitch, played.pitch);
      });
    }
    for (const [, midi] of openTies) errors.push(`tie from ${midi} never ends`);
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
