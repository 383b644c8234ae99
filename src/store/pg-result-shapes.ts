/**
 * Result shapes resolved once. node-postgres describes a result afresh on every execution,
 * prepared or not: for each column it looks up a type parser, and it builds the empty row
 * every row is copied from through a dictionary-mode object. For a user's ~40 columns that
 * is ~9 us per statement, 4-9% of the service's CPU on SCIM lookups and one-member PATCHes,
 * whose statements return one or a few rows. A statement returns the same columns each time,
 * so here each shape (the columns' names, types and formats) is resolved once per type set
 * and its parsers and empty row are shared by every result of that shape; nothing writes to
 * either. The one place that reaches into pg's Result: if its internals are not the ones
 * this knows, it is left alone. Type parsers are set when the store module loads
 * (database.ts), before any statement runs.
 */
import pg from 'pg';
import Result, { type FieldDescription, type TypeSource } from 'pg/lib/result.js';

interface Shape {
  readonly parsers: Array<(value: unknown) => unknown>;
  readonly emptyRow: Record<string, null>;
}

/** Shapes per type set (each pg client has its own), by their columns' signature. */
const shapesByTypes = new WeakMap<TypeSource, Map<string, Shape>>();
const MAX_SHAPES = 1000;
const DEFAULT_TYPES: TypeSource = pg.types as unknown as TypeSource;

function signatureOf(fields: readonly FieldDescription[]): string {
  let key = '';
  for (const f of fields) key += `${f.name}\u0000${f.dataTypeID}\u0000${f.format ?? 'text'}\u0001`;
  return key;
}

function shapeOf(types: TypeSource, fields: readonly FieldDescription[]): Shape {
  let shapes = shapesByTypes.get(types);
  if (!shapes) {
    shapes = new Map();
    shapesByTypes.set(types, shapes);
  }
  const key = signatureOf(fields);
  let shape = shapes.get(key);
  if (!shape) {
    const row: Record<string, null> = Object.create(null) as Record<string, null>;
    for (const f of fields) row[f.name] = null;
    shape = {
      parsers: fields.map((f) => types.getTypeParser(f.dataTypeID, f.format || 'text')),
      emptyRow: { ...row },
    };
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(key, shape);
  }
  return shape;
}

let installed = false;

/** Makes node-postgres reuse each result shape's parsers and empty row (idempotent). */
export function reuseResultShapes(): void {
  const proto = Result.prototype as Partial<Result>;
  if (installed || typeof proto.addFields !== 'function' || !('_prebuiltEmptyResultObject' in new Result())) return;
  installed = true;
  proto.addFields = function addFields(this: Result, fields: FieldDescription[]): void {
    this.fields = fields;
    const shape = shapeOf(this._types ?? DEFAULT_TYPES, fields);
    if (fields.length) this._parsers = shape.parsers;
    this._prebuiltEmptyResultObject = shape.emptyRow;
  };
}
