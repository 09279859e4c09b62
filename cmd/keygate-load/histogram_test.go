package main

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBucketBoundsHoldTheirValues(t *testing.T) {
	values := []uint64{0, 1, 127, 128, 255, 256, 257, 511, 512, 1000, 123_456, 1 << 40, 1<<40 + 1, math.MaxUint64 - 1, math.MaxUint64}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= bucketCount {
			t.Fatalf("bucketOf(%d) = %d, want within [0, %d)", v, i, bucketCount)
		}
		lo, hi := bucketBounds(i)
		if v < lo || v > hi {
			t.Errorf("bucketOf(%d) = %d with bounds [%d, %d], want the bounds to hold the value", v, i, lo, hi)
		}
		if width := hi - lo + 1; v >= 2*subCount && width > lo/subCount {
			t.Errorf("bucket of %d is %d wide, want at most %d (1/%d of its lower bound)", v, width, lo/subCount, subCount)
		}
		if v < 2*subCount && lo != hi {
			t.Errorf("bucket of small value %d is [%d, %d], want exact", v, lo, hi)
		}
	}
}

func TestBucketsAreContiguous(t *testing.T) {
	_, prevHi := bucketBounds(0)
	for i := 1; i < bucketCount; i++ {
		lo, hi := bucketBounds(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, want %d (right after bucket %d)", i, lo, prevHi+1, i-1)
		}
		if got := bucketOf(lo); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", lo, got, i)
		}
		if got := bucketOf(hi); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", hi, got, i)
		}
		prevHi = hi
	}
	if prevHi != math.MaxUint64 {
		t.Errorf("last bucket ends at %d, want %d", prevHi, uint64(math.MaxUint64))
	}
}

func TestQuantile(t *testing.T) {
	uniform := make([]time.Duration, 1000) // 1 µs .. 1000 µs
	for i := range uniform {
		uniform[i] = time.Duration(i+1) * time.Microsecond
	}
	skewed := make([]time.Duration, 0, 1000) // 990 fast answers, 10 slow ones
	for range 990 {
		skewed = append(skewed, time.Millisecond)
	}
	for range 10 {
		skewed = append(skewed, 100*time.Millisecond)
	}
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"single value is exact", []time.Duration{1234567}, 0.99, 1234567},
		{"small values are exact", []time.Duration{10, 20, 30, 40}, 0.5, 20},
		{"uniform p50", uniform, 0.50, 500 * time.Microsecond},
		{"uniform p99", uniform, 0.99, 990 * time.Microsecond},
		{"uniform p100 is the maximum", uniform, 1, 1000 * time.Microsecond},
		{"uniform p0 is the minimum", uniform, 0, time.Microsecond},
		{"skewed p50", skewed, 0.50, time.Millisecond},
		{"skewed p99 is the last fast one", skewed, 0.99, time.Millisecond},
		{"skewed p99.1 is slow", skewed, 0.991, 100 * time.Millisecond},
		{"negative counts as zero", []time.Duration{-5}, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			for _, v := range tt.values {
				h.record(v)
			}
			got := h.quantile(tt.q)
			// A bucket is at most 1/128 of its value wide and quantile reports its upper bound.
			if got < tt.want || float64(got) > float64(tt.want)*(1+1.0/subCount) {
				t.Errorf("quantile(%v) = %v, want %v (or up to 1/%d above)", tt.q, got, tt.want, subCount)
			}
		})
	}
}

func TestMergeEqualsRecordingEverything(t *testing.T) {
	var a, b, all histogram
	for i := 1; i <= 5000; i++ {
		v := time.Duration(i*i) * time.Nanosecond
		all.record(v)
		if i%3 == 0 {
			a.record(v)
		} else {
			b.record(v)
		}
	}
	var merged histogram
	merged.merge(&a)
	merged.merge(&histogram{}) // an empty one changes nothing
	merged.merge(&b)
	if diff := cmp.Diff(all, merged, cmp.AllowUnexported(histogram{})); diff != "" {
		t.Errorf("merged histogram differs from one that recorded everything (-want +got):\n%s", diff)
	}
}
