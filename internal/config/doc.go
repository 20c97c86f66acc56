// Package config loads driftwatch's single YAML configuration file.
//
// It decodes strictly (an unknown key, a wrong type or a duplicate key is an
// error), applies each package's defaults, runs each package's Validate,
// checks references between sections, and reports every problem at once
// with its file, line, column and field path. What each section means is
// owned by the package that uses it.
package config
