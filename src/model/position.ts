// Where something is written in the configuration, for diagnostics.

export interface SourcePos {
  /** Path relative to the working directory (as the user would type it). */
  file: string;
  /** 1-based. */
  line: number;
}
