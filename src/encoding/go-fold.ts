/**
 * How Go's `encoding/json` matches an object key to a struct field when the
 * key is not the field's exact name: case-insensitively, with Unicode simple
 * folding. Notary 0.7 decodes metadata with docker/go canonical/json (a fork
 * of Go 1.5's decoder: `foldFunc`/`equalFoldRight`); Go 1.21+ uses
 * `foldName`. Both agree for ASCII field names, which all of Notary's are:
 * a key matches a field when, rune by rune, it is the field's letter in either
 * ASCII case, the same non-letter byte, U+017F LATIN SMALL LETTER LONG S for
 * `s`, or U+212A KELVIN SIGN for `k`. (No other rune folds to an ASCII letter.)
 * Go prefers an exact match; among the keys of one object that match the same
 * field, the last one wins (and maps are merged).
 */

const FOLDS_TO_ASCII = /^[\u0000-\u007f\u017f\u212a]*$/;
const UPPER_OR_SPECIAL = /[A-Z\u017f\u212a]/g;

function lower(c: string): string {
  if (c === '\u017f') return 's';
  if (c === '\u212a') return 'k';
  return String.fromCharCode(c.charCodeAt(0) | 0x20);
}

/**
 * The key as Go folds it for matching against ASCII field names (ASCII lower
 * case), or undefined when it holds a rune that can never match one.
 */
export function goFoldKey(key: string): string | undefined {
  if (!FOLDS_TO_ASCII.test(key)) return undefined;
  return key.replace(UPPER_OR_SPECIAL, lower);
}

/** The field names of one Go struct (json tags), for {@link goFieldFor}. */
export class GoStruct {
  readonly fields: ReadonlySet<string>;
  /**
   * Folded name -> field, made at the first key that is not a field's exact name (served metadata
   * almost never has one): built for every struct at start, it cost two regular-expression
   * compilations and ~80 runs in each warm `trust verify` (issue 12).
   */
  #folded: ReadonlyMap<string, string> | undefined;

  constructor(
    /** What the struct is, for messages (`FileMeta`). */
    readonly name: string,
    fields: readonly string[],
  ) {
    this.fields = new Set(fields);
  }

  /** The field Go stores `key` in (exact or folded match), or undefined when Go ignores the key. */
  fieldFor(key: string): string | undefined {
    if (this.fields.has(key)) return key;
    const folded = goFoldKey(key);
    if (folded === undefined) return undefined;
    this.#folded ??= new Map(Array.from(this.fields, (f) => [goFoldKey(f)!, f]));
    return this.#folded.get(folded);
  }
}
