package main

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: every power-of-two range of values is
// split into 1<<subBits equal buckets, so a bucket is at most 1/128 (0.8%) of the
// values it holds wide.
const subBits = 7

const (
	subCount = 1 << subBits
	// bucketCount covers every uint64: shifts 0..64-subBits-1, each adding subCount
	// buckets above the first 2*subCount exact ones.
	bucketCount = (64-subBits-1)*subCount + 2*subCount
)

// histogram counts durations (in nanoseconds) in log-linear buckets, the way HDR
// histograms do: values below 2*subCount are exact, larger ones land in buckets
// whose width is a fixed fraction of their value. Recording is a few integer
// operations and never allocates. The zero value is empty and ready; it is not
// safe for concurrent use (each load worker has its own, merged at the end).
type histogram struct {
	counts   [bucketCount]uint64
	total    uint64
	min, max uint64
}

// bucketOf returns the index of the bucket that holds v. Indexes grow with v.
func bucketOf(v uint64) int {
	shift := bits.Len64(v) - subBits - 1
	if shift < 0 {
		shift = 0
	}
	return shift<<subBits + int(v>>uint(shift))
}

// bucketBounds returns the smallest and largest value that bucket i holds.
func bucketBounds(i int) (lo, hi uint64) {
	if i < 2*subCount {
		return uint64(i), uint64(i)
	}
	shift := uint(i>>subBits - 1)
	top := uint64(i - int(shift)<<subBits) // the value's top subBits+1 bits
	lo = top << shift
	return lo, lo + (uint64(1)<<shift - 1)
}

// record adds one duration; a negative one counts as zero.
func (h *histogram) record(d time.Duration) { h.recordN(d, 1) }

// recordN adds n equal durations; a negative one counts as zero.
func (h *histogram) recordN(d time.Duration, n uint64) {
	if n == 0 {
		return
	}
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)] += n
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total += n
}

// merge adds every count of o to h.
func (h *histogram) merge(o *histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
}

// quantile returns the value at or below which a fraction q (0..1) of the
// recorded values lie: the upper bound of the bucket holding the value of rank
// ceil(q*total), kept within the exact minimum and maximum. It reports a value
// at most one bucket width (0.8%) above the true one. An empty histogram gives 0.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(min(max(q, 0), 1) * float64(h.total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(i)
			return time.Duration(min(max(hi, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
