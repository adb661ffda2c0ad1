// Where something is written in the configuration, for diagnostics.

export interface SourcePos {
  /** Path relative to the working directory (as the user would type it). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based column of the start, in characters, when known. */
  column?: number;
  /** The end of the range (line, and exclusive 1-based column), when known. */
  endLine?: number;
  endColumn?: number;
}
