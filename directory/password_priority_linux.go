package directory

import "syscall"

// lowestNice is the CPU priority of a hashing thread: the lowest there is.
const lowestNice = 19

// lowerThreadPriority gives the calling thread the lowest CPU priority. On
// Linux the nice value is per thread. It is best effort: a thread whose
// priority cannot be changed hashes at the process's.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), lowestNice)
}
