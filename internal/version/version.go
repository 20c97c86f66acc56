// Package version reports which driftwatch build is running.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at build time with
// -ldflags "-X github.com/driftwatch/driftwatch/internal/version.Version=v1.2.3".
// Without it, the module version recorded by the Go toolchain is used.
var Version = ""

// Info describes the running build.
type Info struct {
	Version   string
	Revision  string
	GoVersion string
}

// Get returns the build information.
func Get() Info {
	info := Info{Version: Version, GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if info.Version == "" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				info.Revision = s.Value
			}
		}
	}
	if info.Version == "" || info.Version == "(devel)" {
		info.Version = "devel"
	}
	return info
}

// String formats the information on one line.
func (i Info) String() string {
	s := "driftwatch " + i.Version
	if i.Revision != "" {
		s += fmt.Sprintf(" (revision %.12s)", i.Revision)
	}
	return s + " " + i.GoVersion
}
