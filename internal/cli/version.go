package cli

import (
	"fmt"

	"github.com/driftwatch/driftwatch/internal/version"
)

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints one line with the version, revision and Go version.
func (VersionCmd) Run(env *Env) error {
	_, err := fmt.Fprintln(env.Stdout, version.Get())
	return err
}
