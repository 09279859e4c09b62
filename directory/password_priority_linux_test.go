package directory

import (
	"syscall"
	"testing"
)

// threadNice returns the nice value of the calling thread.
func threadNice(t *testing.T) int {
	t.Helper()
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatalf("getpriority: %v", err)
	}
	return 20 - prio // the raw system call answers 20 - nice
}

// TestHashThreadPriority checks that a hash runs on a thread of the hashing
// CPU priority, and that the thread ends with it: the goroutines that run
// next, the forward-auth checks among them, never land on it.
func TestHashThreadPriority(t *testing.T) {
	base := threadNice(t)
	var got int
	onHashThread(func() { got = threadNice(t) })
	if want := max(base, hashNice); got != want {
		t.Errorf("nice of a hashing thread in a process at nice %d: got %d, want %d", base, got, want)
	}
	for range 200 {
		done := make(chan int, 1)
		go func() { done <- threadNice(t) }()
		if n := <-done; n != base {
			t.Fatalf("a goroutine after the hash ran at nice %d, want the process's %d", n, base)
		}
	}
}
