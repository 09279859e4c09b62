package directory

import "syscall"

// hashNice is the CPU priority of a hashing thread: nice 10, a tenth of the
// CPU share of a thread at nice 0 when they compete. It is not 19 (a
// seventieth), so that on a host busy with other work sign-ins still go on.
const hashNice = 10

// lowerThreadPriority gives the calling thread the hashing priority, or
// leaves it lower if the process already runs lower. On Linux the nice value
// is per thread. It is best effort: a thread whose priority cannot be read or
// changed hashes at the process's.
func lowerThreadPriority() {
	tid := syscall.Gettid()
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil || 20-prio >= hashNice { // the raw system call answers 20 - nice
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, hashNice)
}
