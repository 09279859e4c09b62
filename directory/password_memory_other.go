//go:build !linux

package directory

// hashMemoryOnHeap tells whether a hash's memory comes from the Go heap.
const hashMemoryOnHeap = true

// allocBlocks returns n zeroed blocks from the Go heap.
func allocBlocks(n uint32) ([]argonBlock, func()) {
	return make([]argonBlock, n), func() {}
}
