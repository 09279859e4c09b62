package directory

import "syscall"

// hashNice is the CPU priority of a hashing thread: nice 10, a tenth of
// the CPU share of a thread at nice 0 when they compete. It is not 19 (a
// seventieth), so that on a host busy with other work sign-ins still go on.
const hashNice = 10

// lowerThreadPriority gives the calling thread the hashing priority. On
// Linux the nice value is per thread. It is best effort: a thread whose
// priority cannot be changed hashes at the process's.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), hashNice)
}
