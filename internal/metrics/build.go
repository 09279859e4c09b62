package metrics

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// newBuildInfo is keygate_build_info: always 1, with the version, the VCS
// revision and the Go version as labels.
func newBuildInfo(b Build) prometheus.Collector {
	revision := ""
	if b.Info != nil {
		for _, s := range b.Info.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1; the labels identify the running binary.",
		ConstLabels: prometheus.Labels{
			"version": b.Version, "revision": revision, "goversion": runtime.Version(),
		},
	})
	g.Set(1)
	return g
}
