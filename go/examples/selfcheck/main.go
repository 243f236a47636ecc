// selfcheck: a guest that checks its own claimed output.
//
// Input: a line with the hex SHA-256 the operator claims for the data, then the data.
// The guest recomputes the digest and exits 0 only if it matches, so a claim
// "selfcheck halts with exit 0 on this input" proves the digest is right.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"ocp.dev/zkvm/zkguest"
)

func main() {
	in := zkguest.Input()
	line, data, found := strings.Cut(string(in), "\n")
	zkguest.Check(found, "the input must be a hex digest line, then the data")
	claimed, err := hex.DecodeString(strings.TrimSpace(line))
	zkguest.Check(err == nil && len(claimed) == sha256.Size, "bad digest line %q", line)
	sum := sha256.Sum256([]byte(data))
	zkguest.Check(string(sum[:]) == string(claimed), "digest mismatch: computed %x", sum)
	fmt.Printf("ok: %d bytes hash to %x\n", len(data), sum)
	zkguest.Accept()
}
