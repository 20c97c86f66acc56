// Package dataset reads tabular data files into typed, in-memory columns.
//
// It reads CSV (RFC 4180 with a header row) and JSON Lines (one object per
// line, nested objects flattened into dotted column names). Every column
// comes back either numeric, as float64 values, or categorical, as
// dictionary codes; missing cells are tracked apart from the values, so a
// NaN read from the file stays distinct from an empty cell. Large files are
// parsed in parallel chunks.
//
// The package only reads. Comparing columns is left to package drift, and
// deciding which columns to compare to its callers, such as the command line
// and the reference profile builder.
package dataset
