// The part of node-postgres's result object that pg-result-shapes.ts replaces (pg ships no
// types for its lib modules).
declare module 'pg/lib/result.js' {
  export interface FieldDescription {
    readonly name: string;
    readonly dataTypeID: number;
    readonly format?: string;
  }

  export interface TypeSource {
    getTypeParser(oid: number, format: string): (value: unknown) => unknown;
  }

  class Result {
    fields: FieldDescription[];
    _parsers: Array<(value: unknown) => unknown> | undefined;
    _types: TypeSource | undefined;
    _prebuiltEmptyResultObject: Record<string, null> | null;
    addFields(fieldDescriptions: FieldDescription[]): void;
  }
  export default Result;
}
