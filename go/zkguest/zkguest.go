// Package zkguest is the helper for Go programs run by the ocp zkVM (docs/zkvm.md).
//
// A claim about a guest says "it halts with exit code 0 at step N on this input", so a
// guest checks its own result: the expected output is part of its input, and the guest
// exits 0 only when what it computes matches.  Build with
// GOOS=linux GOARCH=mips (or mipsle) GOMIPS=softfloat CGO_ENABLED=0.
package zkguest

import (
	"fmt"
	"io"
	"os"
)

// Input returns the whole input tape (file descriptor 0).  A read error rejects.
func Input() []byte {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		Reject("reading the input: %v", err)
	}
	return data
}

// Accept ends the run with exit code 0: the claim holds.
func Accept() {
	os.Exit(0)
}

// Reject prints the reason on stderr and ends the run with exit code 1.
func Reject(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "rejected: "+format+"\n", args...)
	os.Exit(1)
}

// Check rejects with the message unless ok.
func Check(ok bool, format string, args ...any) {
	if !ok {
		Reject(format, args...)
	}
}
