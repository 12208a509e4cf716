//go:build !linux

package threadprio

func lower(int) bool { return false }

func niceOf() (int, error) { return 0, nil }
