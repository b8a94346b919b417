/**
 * `$text` search over a collection's text index. Matching follows MongoDB: terms are OR-ed,
 * quoted phrases are required, `-term` excludes, case and diacritics are ignored unless asked,
 * English stop words are ignored and English words are stemmed (Porter2, as MongoDB does).
 * Scores use MongoDB's formula, so they rank like MongoDB's (its stop-word list may differ a little).
 */
import { badValue, commandError, ErrorCode } from './command-error.js';
import { stemEnglish } from './english-stemmer.js';
import { isPlainObject, valuesAtPath, type Doc } from './values.js';

/** Words too common to search for, left out of the index and of queries. */
const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
    'ought our ours ourselves out over own same she should so some such than that the their theirs them themselves then ' +
    'there these they this those through to too under until up very was we were what when where which while who whom why ' +
    'will with would you your yours yourself yourselves'
  ).split(' '),
);

/** A parsed `$text` operand, ready to score documents. */
export interface TextSearch {
  /** 0 when the document does not match. */
  score(doc: Doc): number;
}

interface SearchOptions {
  caseSensitive: boolean;
  diacriticSensitive: boolean;
  stem: boolean;
}

function normalize(text: string, opts: SearchOptions): string {
  let out = opts.caseSensitive ? text : text.toLowerCase();
  if (!opts.diacriticSensitive) out = out.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  return out;
}

/** Stems a word; a case-sensitive search keeps the case of the letters the stem kept. */
function stem(word: string): string {
  const lower = word.toLowerCase();
  const stemmed = stemEnglish(lower);
  if (word === lower) return stemmed;
  return [...stemmed].map((c, i) => (word[i]?.toLowerCase() === c ? word[i] : c)).join('');
}

function tokens(text: string, opts: SearchOptions): string[] {
  const words = normalize(text, opts).match(/[\p{L}\p{N}_]+/gu) ?? [];
  return opts.stem ? words.filter((w) => !STOP_WORDS.has(w.toLowerCase())).map(stem) : words;
}

/**
 * MongoDB's score of one string for the terms it contains: each further occurrence of a term
 * counts half the previous one, scaled by how much of the string the term makes up, with a
 * small bonus when the term is the whole string.
 */
function scoreString(text: string, words: string[], weight: number, wanted: Set<string>): number {
  const stats = new Map<string, { count: number; freq: number }>();
  for (const word of words) {
    const s = stats.get(word) ?? { count: 0, freq: 0 };
    s.freq += 1 / 2 ** s.count;
    s.count++;
    stats.set(word, s);
  }
  let score = 0;
  for (const term of wanted) {
    const s = stats.get(term);
    if (!s) continue;
    let coefficient = (0.5 * s.count) / words.length + 0.5;
    if (text.trim().toLowerCase() === term.toLowerCase()) coefficient *= 1.1;
    score += weight * s.freq * coefficient;
  }
  return score;
}

function parseSearch(search: string, opts: SearchOptions): { terms: string[]; phrases: string[]; negated: string[] } {
  const phrases: string[] = [];
  const rest = search.replace(/"([^"]*)"/g, (_m, phrase: string) => {
    if (phrase.trim() !== '') phrases.push(normalize(phrase, opts));
    return ' ';
  });
  const terms: string[] = [];
  const negated: string[] = [];
  for (const word of rest.split(/\s+/)) {
    if (word === '') continue;
    if (word.startsWith('-')) negated.push(...tokens(word.slice(1), opts));
    else terms.push(...tokens(word, opts));
  }
  return { terms, phrases, negated };
}

/** Collects the strings of a text-indexed field, or of every string field for a `$**` index. */
function stringsOf(doc: Doc, field: string): string[] {
  if (field === '$**') {
    const out: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') out.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (isPlainObject(v)) Object.values(v).forEach(walk);
    };
    walk(doc);
    return out;
  }
  return valuesAtPath(doc, field).filter((v): v is string => typeof v === 'string');
}

/** Compiles a `$text` operand against the text index's field weights. */
export function compileTextSearch(operand: unknown, weights: Record<string, number> | null): TextSearch {
  if (!weights) throw commandError(ErrorCode.IndexNotFound, 'text index required for $text query');
  if (!isPlainObject(operand) || typeof operand.$search !== 'string') throw badValue('$text needs a $search string');
  const language = typeof operand.$language === 'string' ? operand.$language : 'english';
  const opts: SearchOptions = {
    caseSensitive: operand.$caseSensitive === true,
    diacriticSensitive: operand.$diacriticSensitive === true,
    stem: language === 'english' || language === 'en',
  };
  const { terms, phrases, negated } = parseSearch(operand.$search, opts);
  const fields = Object.entries(weights);
  const wanted = new Set(terms);
  return {
    score(doc) {
      let score = 0;
      const phraseHits = new Set<string>();
      for (const [field, weight] of fields) {
        for (const text of stringsOf(doc, field)) {
          const words = tokens(text, opts);
          if (negated.some((n) => words.includes(n))) return 0;
          const normalized = normalize(text, opts);
          for (const phrase of phrases) if (normalized.includes(phrase)) phraseHits.add(phrase);
          score += scoreString(text, words, weight, wanted);
        }
      }
      if (phraseHits.size < phrases.length) return 0;
      // Terms are OR-ed, but phrases alone are enough for a match.
      if (phrases.length === 0) return score;
      return score > 0 ? score : 1;
    },
  };
}
