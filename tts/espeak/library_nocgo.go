//go:build !cgo

package espeak

import "fmt"

var libSem = make(chan struct{}, 1)

func initLibrary() error {
	return fmt.Errorf("%w: built without cgo", ErrUnavailable)
}

func synthLibrary(_ *stream, _, _ string, _ int, held bool) error {
	if held {
		<-libSem
	}
	return fmt.Errorf("%w: built without cgo", ErrUnavailable)
}
