package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/driftwatch/driftwatch/pipelines"
)

// maxName is the longest Job name: Job names are DNS labels, and the Job
// controller copies them into a label value of its pods.
const maxName = 63

// Labels and annotations that driftwatch puts on what it creates.
const (
	labelManagedBy = "app.kubernetes.io/managed-by"
	labelComponent = "app.kubernetes.io/component"
	labelModel     = "driftwatch.dev/model"
	labelPipeline  = "driftwatch.dev/pipeline"
	labelRun       = "driftwatch.dev/run-id"
	labelStep      = "driftwatch.dev/step"
	labelAttempt   = "driftwatch.dev/attempt"
	// annotationAttempt holds the attempt's full name, <run>-<step>-<attempt>.
	annotationAttempt = "driftwatch.dev/attempt-name"
	// labelKueueQueue names the Kueue LocalQueue of a Job.
	labelKueueQueue = "kueue.x-k8s.io/queue-name"
	managedBy       = "driftwatch"
)

// JobName is the name of the Job of a step attempt:
// <model>-<run>-<step>-<attempt>. It is the same on every call, so a
// restarted driftwatch finds the Job of an attempt it was running. When
// that is not a DNS label of at most 63 characters, the model is cut short
// and followed by a hash of the whole name, which keeps names unique:
// <model…>-<hash>-<run>-<step>-<attempt>.
func JobName(s pipelines.StepSpec) string {
	tail := fmt.Sprintf("%s-%s-%d", s.RunID, s.Step, s.Attempt)
	full := s.Model + "-" + tail
	if isDNSLabel(full) {
		return full
	}
	sum := hash(full)
	if room := maxName - len(tail) - len(sum) - 2; isDNSLabel(tail) && room > 0 {
		model := clean(s.Model)
		model = strings.TrimRight(model[:min(len(model), room)], "-")
		if model == "" {
			return sum + "-" + tail
		}
		return model + "-" + sum + "-" + tail
	}
	return dnsLabel(full)
}

// dnsLabel returns s if it is a DNS label of at most 63 characters, and
// otherwise a cleaned-up, shortened s with a hash of s at the end.
func dnsLabel(s string) string {
	if isDNSLabel(s) {
		return s
	}
	sum := hash(s)
	c := clean(s)
	prefix := strings.TrimRight(c[:min(len(c), maxName-len(sum)-1)], "-")
	if prefix == "" {
		return sum
	}
	return prefix + "-" + sum
}

// isDNSLabel reports whether s is a DNS label (RFC 1123) of at most 63
// characters.
func isDNSLabel(s string) bool {
	return len(s) <= maxName && s != "" && s == clean(s)
}

// clean lowercases s, replaces what a DNS label may not hold with '-', and
// trims '-' from its ends.
func clean(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// hash is a short hash of s, for names that had to be cut.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

// labelValue makes s a valid label value: at most 63 characters of
// letters, digits, '-', '_' and '.', starting and ending alphanumeric.
func labelValue(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	v := b.String()
	if len(v) > maxName {
		v = v[:maxName]
	}
	return strings.TrimFunc(v, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
}

// stepLabels are the labels of a step's Job, its pods and its Secret.
func stepLabels(s pipelines.StepSpec) map[string]string {
	return map[string]string{
		labelManagedBy: managedBy,
		labelComponent: "pipeline-step",
		labelModel:     labelValue(s.Model),
		labelPipeline:  labelValue(s.Pipeline),
		labelRun:       labelValue(s.RunID),
		labelStep:      labelValue(s.Step),
		labelAttempt:   strconv.Itoa(s.Attempt),
	}
}

// sameAttempt reports whether labels, of an existing Job, name the attempt
// that want names: adopting a Job made for anything else would be wrong.
func sameAttempt(labels, want map[string]string) bool {
	for _, k := range []string{labelManagedBy, labelRun, labelStep, labelAttempt} {
		if labels[k] != want[k] {
			return false
		}
	}
	return true
}
