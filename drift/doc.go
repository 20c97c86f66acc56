// Package drift compares a window of production data with a reference
// profile built from training data.
//
// It holds the numerics only: reference profiles, bounded per-window
// accumulators, the drift tests (Kolmogorov-Smirnov, chi-square, PSI,
// Jensen-Shannon, Hellinger, Wasserstein, L-infinity, Cramér-von Mises and a
// two-proportion z-test), multiple-testing corrections and the dataset-level
// verdict. It performs no I/O: reading data files, consuming Kafka and
// exporting metrics are left to the collectors and the command line, which
// hand this package plain slices and counts.
package drift
