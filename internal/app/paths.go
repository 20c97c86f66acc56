package app

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/driftwatch/driftwatch/collectors"
)

// resolvePaths returns m with its relative data paths taken from dir.
func resolvePaths(m collectors.ModelConfig, dir string) collectors.ModelConfig {
	for _, p := range []*string{
		&m.Source.File.Path, &m.Source.File.LabelsPath,
		&m.Reference.Profile, &m.Reference.Data,
		&m.Source.Kafka.TLS.CAFile, &m.Source.Kafka.TLS.CertFile, &m.Source.Kafka.TLS.KeyFile,
	} {
		*p = resolvePath(dir, *p)
	}
	return m
}

func resolvePath(dir, p string) string {
	if p == "" || dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// checkFile reports a path that is not a readable regular file, naming the
// field it comes from.
func checkFile(fieldPath, path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", fieldPath, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", fieldPath, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: %s is not a regular file", fieldPath, path)
	}
	return nil
}
