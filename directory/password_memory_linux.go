package directory

import (
	"syscall"
	"unsafe"
)

// hashMemoryOnHeap tells whether a hash's memory comes from the Go heap.
// Here it does not: see allocBlocks.
const hashMemoryOnHeap = false

// allocBlocks returns n zeroed blocks mapped outside the Go heap, and the
// function that unmaps them. The memory of a hash then never grows the heap
// nor its collection target, costs the garbage collector nothing (no
// collection, no assist work for the goroutines that allocate meanwhile,
// forward-auth's among them), and goes back to the operating system the
// moment the hash ends. Should the mapping fail, the blocks come from the heap.
func allocBlocks(n uint32) ([]argonBlock, func()) {
	size := int(n) * int(unsafe.Sizeof(argonBlock{}))
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]argonBlock, n), func() {}
	}
	// A block holds no pointers, so memory the collector does not know is fine.
	blocks := unsafe.Slice((*argonBlock)(unsafe.Pointer(&mem[0])), n)
	return blocks, func() { _ = syscall.Munmap(mem) }
}
