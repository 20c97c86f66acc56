// Package deploy holds driftwatch's own Kubernetes manifests, as
// Kustomize bases and overlays, and the Dockerfile of its image; it has no
// Go code. Its tests build the example overlay and apply it to a real API
// server. docs/kubernetes.md explains how to install driftwatch with them.
package deploy
