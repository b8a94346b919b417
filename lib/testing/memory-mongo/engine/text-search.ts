/**
 * `$text` search over a collection's text index. Matching follows MongoDB: terms are OR-ed,
 * quoted phrases are required, `-term` excludes, case and diacritics are ignored unless asked,
 * and English words are reduced by a light suffix stemmer. Scores rank by weighted term
 * frequency; they order results like MongoDB's but are not the same numbers.
 */
import { badValue, commandError, ErrorCode } from './command-error.js';
import { isPlainObject, valuesAtPath, type Doc } from './values.js';

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

function stem(word: string): string {
  if (word.length <= 3) return word;
  for (const [suffix, replacement] of [["'s", ''], ['ies', 'y'], ['ing', ''], ['edly', ''], ['ed', ''], ['es', ''], ['s', '']] as const) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3 && !(suffix === 's' && word.endsWith('ss'))) {
      return word.slice(0, -suffix.length) + replacement;
    }
  }
  return word;
}

function tokens(text: string, opts: SearchOptions): string[] {
  const words = normalize(text, opts).match(/[\p{L}\p{N}_]+/gu) ?? [];
  return opts.stem ? words.map(stem) : words;
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
    stem: language !== 'none',
  };
  const { terms, phrases, negated } = parseSearch(operand.$search, opts);
  const fields = Object.entries(weights);
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
          let hits = 0;
          for (const term of terms) for (const w of words) if (w === term) hits++;
          if (hits > 0) score += (weight * hits) / (1 + 0.1 * words.length) + weight;
        }
      }
      if (phraseHits.size < phrases.length) return 0;
      // Terms are OR-ed, but phrases alone are enough for a match.
      if (phrases.length === 0) return score;
      return score > 0 ? score : 1;
    },
  };
}
