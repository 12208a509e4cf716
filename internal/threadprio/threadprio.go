// Package threadprio lowers the CPU priority of the calling goroutine's
// OS thread, so that bulk work (video decoding) yields the CPU to
// latency-bound work (audio pacing and encoding) when the machine is busy.
package threadprio

import "runtime"

// Lower locks the calling goroutine to its OS thread and raises that
// thread's nice value by delta (Linux; elsewhere it only locks). The
// thread is never unlocked: when the goroutine returns, the runtime ends
// the thread, so no other goroutine inherits the priority (threads the
// runtime starts meanwhile are cloned from a template thread, not from a
// locked one). It reports whether the priority was changed.
func Lower(delta int) bool {
	runtime.LockOSThread()
	if delta <= 0 {
		return false
	}
	return lower(delta)
}
