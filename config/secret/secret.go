// Package secret refers to credentials that live outside the configuration
// file.
//
// A configuration never holds a password or token inline. It names an
// environment variable or a file instead, and the value is read when the
// component that needs it starts. Storing and rotating the secrets is left to
// the platform (Kubernetes Secrets, a vault agent, the shell).
package secret

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Ref points at a secret value held in an environment variable or a file.
// Exactly one of Env and File is set.
type Ref struct {
	// Env names an environment variable that holds the value.
	Env string `yaml:"env"`
	// File is the path of a file whose content, without a trailing newline,
	// is the value.
	File string `yaml:"file"`
}

// IsZero reports whether the reference is unset.
func (r Ref) IsZero() bool { return r.Env == "" && r.File == "" }

// ConfigHint explains the expected form when the configuration gives a plain
// value where a reference belongs.
func (Ref) ConfigHint() string {
	return "secrets are never written inline: use {env: VARIABLE} or {file: PATH}"
}

// Validate checks that exactly one source is named. It does no I/O.
func (r Ref) Validate() error {
	switch {
	case r.Env != "" && r.File != "":
		return errors.New("set either env or file, not both")
	case r.IsZero():
		return errors.New("set env or file")
	}
	return nil
}

// Source describes where the value comes from, without revealing it.
func (r Ref) Source() string {
	if r.Env != "" {
		return "environment variable " + r.Env
	}
	return "file " + r.File
}

// Resolver reads secret values. LookupEnv and ReadFile default to the
// process environment and the file system.
type Resolver struct {
	LookupEnv func(string) (string, bool)
	ReadFile  func(string) ([]byte, error)
	// Dir is the directory that relative file paths are taken from, as
	// the configuration file's other paths are; empty means the working
	// directory.
	Dir string
}

// Resolve returns the value r points at. An unset variable, an unreadable file
// or an empty value is an error: a missing credential never silently becomes
// an empty one.
func (res Resolver) Resolve(r Ref) (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	lookup, read := res.LookupEnv, res.ReadFile
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if read == nil {
		read = os.ReadFile
	}
	var v string
	if r.Env != "" {
		val, ok := lookup(r.Env)
		if !ok {
			return "", fmt.Errorf("secret from %s: variable is not set", r.Source())
		}
		v = val
	} else {
		path := r.File
		if res.Dir != "" && !filepath.IsAbs(path) {
			path = filepath.Join(res.Dir, path)
		}
		b, err := read(path)
		if err != nil {
			return "", fmt.Errorf("secret from %s: %w", r.Source(), err)
		}
		v = strings.TrimRight(string(b), "\r\n")
	}
	if v == "" {
		return "", fmt.Errorf("secret from %s is empty", r.Source())
	}
	return v, nil
}
