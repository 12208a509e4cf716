package threadprio

import "syscall"

func lower(delta int) bool {
	tid := syscall.Gettid()
	// The raw getpriority(2) returns 20 - nice.
	cur, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return false
	}
	nice := min(20-cur+delta, 19)
	return syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice) == nil
}

// niceOf returns the calling thread's nice value (tests).
func niceOf() (int, error) {
	cur, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	return 20 - cur, err
}
